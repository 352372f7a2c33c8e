// .npy/.npz: round trips through dlfs, and interchange with NumPy in both directions.
#include <gtest/gtest.h>

#include <map>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "dlfs/io/npz.hpp"
#include "io_test_util.hpp"

namespace dlfs {
namespace {

using test::TempDir;

template <class T>
Tensor<T> iota_tensor(Shape shape, double scale, double offset) {
  Tensor<T> t(std::move(shape));
  for (std::size_t i = 0; i < t.size(); ++i) {
    double v = offset + scale * static_cast<double>(i);
    if constexpr (std::is_integral_v<T>)
      t[i] = static_cast<T>(static_cast<std::int64_t>(v));  // wraps modulo 2^bits for unsigned T
    else
      t[i] = static_cast<T>(v);
  }
  return t;
}

class NpzRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(NpzRoundTrip, EveryDtypeAndRankComesBackBitForBit) {
  const bool compressed = GetParam();
  TempDir dir;
  Tensor<float> scalar(Shape{}, 2.5f);                                   // 0-d
  auto w1 = iota_tensor<float>({7}, 0.1, -0.3);                          // 1-d
  auto x4 = iota_tensor<float>({2, 3, 4, 5}, -1.0 / 3.0, 1e-3);          // 4-d
  auto d2 = iota_tensor<double>({3, 2}, 1.0 / 7.0, -1e300);              // doubles beyond float range
  d2[1] = std::numeric_limits<double>::denorm_min();
  auto img = iota_tensor<std::uint8_t>({2, 1, 2, 3}, 51, 0);             // 0, 51, ..., 255 wraps
  auto i32 = iota_tensor<std::int32_t>({4}, -1000000, 7);
  std::vector<std::int64_t> labels{0, -1, 9, std::numeric_limits<std::int64_t>::min()};
  std::vector<std::uint64_t> counts{0, 1, std::numeric_limits<std::uint64_t>::max()};
  Tensor<float> empty(Shape{0, 3});
  nlohmann::json config = {{"hidden_size_list", {100, 100}}, {"weight_init_std", "he"}, {"lr", 0.01}};

  const std::string path = dir.file(compressed ? "c.npz" : "s.npz");
  save_npz(path,
           {to_npy("scalar", scalar), to_npy("W1", w1), to_npy("x4", x4), to_npy("d2", d2), to_npy("img", img),
            to_npy("i32", i32), to_npy("labels", labels), to_npy("counts", counts), to_npy("empty", empty),
            json_entry("__config__", config)},
           compressed);
  auto m = load_npz(path);
  ASSERT_EQ(m.size(), 10u);
  EXPECT_EQ(npy_as<float>(m.at("scalar")), scalar);
  EXPECT_EQ(m.at("scalar").shape, Shape{});
  EXPECT_EQ(npy_as<float>(m.at("W1")), w1);
  EXPECT_EQ(npy_as<float>(m.at("x4")), x4);
  EXPECT_EQ(npy_as<double>(m.at("d2")), d2);
  EXPECT_EQ(npy_as<std::uint8_t>(m.at("img")), img);
  EXPECT_EQ(npy_as<std::int32_t>(m.at("i32")), i32);
  EXPECT_EQ(npy_as<std::int64_t>(m.at("labels")).vec(), labels);
  EXPECT_EQ(npy_as<std::uint64_t>(m.at("counts")).vec(), counts);
  EXPECT_EQ(npy_as<float>(m.at("empty")).shape(), (Shape{0, 3}));
  EXPECT_EQ(parse_json_entry(m.at("__config__")), config);
  EXPECT_EQ(m.at("W1").dtype, "<f4");
  EXPECT_EQ(m.at("img").dtype, "|u1");
  EXPECT_EQ(m.at("W1").name, "W1");
}

INSTANTIATE_TEST_SUITE_P(StoredAndDeflated, NpzRoundTrip, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "compressed" : "stored"; });

TEST(Npz, CompressionShrinksRedundantDataAndIsDeterministic) {
  TempDir dir;
  Tensor<float> zeros(Shape{100, 100});
  save_npz(dir.file("s.npz"), {to_npy("z", zeros)}, false);
  save_npz(dir.file("c.npz"), {to_npy("z", zeros)}, true);
  save_npz(dir.file("c2.npz"), {to_npy("z", zeros)}, true);
  auto stored = test::slurp(dir.file("s.npz")), deflated = test::slurp(dir.file("c.npz"));
  EXPECT_GT(stored.size(), 40000u);
  EXPECT_LT(deflated.size(), 1000u);
  EXPECT_EQ(deflated, test::slurp(dir.file("c2.npz")));  // fixed timestamps: same arrays, same bytes
}

TEST(Npy, HeaderIsByteForByteWhatNumPySaveWrites) {
  // np.save(f, np.zeros((2, 3), np.float32)) writes 152 bytes: a 128-byte header (version 1.0,
  // length 0x76, dict padded with spaces to a multiple of 64, then '\n') and 24 data bytes.
  auto bytes = npy_encode(to_npy("a", Tensor<float>(Shape{2, 3})));
  ASSERT_EQ(bytes.size(), 152u);
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string expected = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict + std::string(128 - 10 - dict.size() - 1, ' ') + "\n";
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 128), expected);
  auto v = npy_encode(to_npy("v", std::vector<std::int64_t>{1}));
  EXPECT_EQ(v.size(), 136u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(v.data()) + 10, 60),
            "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }   ");
  NpyArray back = npy_decode(bytes.data(), bytes.size(), "a.npy");
  EXPECT_EQ(back.shape, (Shape{2, 3}));
  EXPECT_EQ(back.dtype, "<f4");
}

NpyArray decode(const std::string& file, const std::string& name) {
  return npy_decode(reinterpret_cast<const std::uint8_t*>(file.data()), file.size(), name);
}

TEST(Npy, ReadsHeaderVersions2And3) {
  // Versions 2.0 and 3.0 only differ by a 4-byte header length (3.0 allows UTF-8 in the dict).
  const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
  const double values[2] = {1.5, -2};
  for (char major : {2, 3}) {
    std::string file = test::npy_bytes(dict, std::string(reinterpret_cast<const char*>(values), sizeof values), major);
    NpyArray a = decode(file, "v.npy");
    EXPECT_EQ(npy_as<double>(a).vec(), (std::vector<double>{1.5, -2})) << "version " << int(major);
  }
}

// NumPy writes fortran_order True for a transpose and '>' dtypes on big-endian hosts; the loader
// turns both into little-endian C order, so the values below are read as NumPy reads them.
TEST(Npy, FortranOrderIsTransposedIntoCOrderOnLoad) {
  // a = [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6.
  const float col_major[6] = {1, 4, 2, 5, 3, 6};
  std::string f = test::npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                  std::string(reinterpret_cast<const char*>(col_major), sizeof col_major));
  Tensor<float> t = npy_as<float>(decode(f, "a.npy"));
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.vec(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // Three axes: element (i, j, k) of a 2x2x2 array sits at i + 2j + 4k in Fortran order.
  double f3[8];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) f3[i + 2 * j + 4 * k] = 100 * i + 10 * j + k;
  f = test::npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2, 2), }",
                      std::string(reinterpret_cast<const char*>(f3), sizeof f3));
  Tensor<double> d = npy_as<double>(decode(f, "b.npy"));
  EXPECT_EQ(d.vec(), (std::vector<double>{0, 1, 10, 11, 100, 101, 110, 111}));
}

TEST(Npy, BigEndianIsSwappedOnLoad) {
  // 1.5f is 0x3fc00000; -2.0 is 0xc000000000000000; 258 as >i4 is 00 00 01 02.
  std::string f = test::npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", std::string("\x3f\xc0\0\0", 4));
  EXPECT_EQ(npy_as<float>(decode(f, "f.npy")).vec(), std::vector<float>{1.5f});
  f = test::npy_bytes("{'descr': '>f8', 'fortran_order': True, 'shape': (1,), }", std::string("\xc0\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(npy_as<double>(decode(f, "d.npy")).vec(), std::vector<double>{-2.0});
  f = test::npy_bytes("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }", std::string("\0\0\x01\x02", 4));
  NpyArray i = decode(f, "i.npy");
  EXPECT_EQ(i.dtype, "<i4");
  EXPECT_EQ(npy_as<std::int32_t>(i).vec(), std::vector<std::int32_t>{258});
}

TEST(Npz, LoadsNumPysTransposedAndBigEndianMembers) {
  if (!test::python_has_numpy()) GTEST_SKIP() << "skipped: /usr/bin/python3 with NumPy is not installed";
  TempDir dir;
  const std::string path = dir.file("np.npz");
  std::string out;
  ASSERT_EQ(test::run_python(dir, R"PY(
import numpy as np
a = np.arange(24, dtype=np.float32).reshape(4, 6)
np.savez_compressed(')PY" + path + R"PY(', T=a.T, B=np.arange(5, dtype='>f8') / 4, BT=a.astype('>f4').T.reshape(2, 3, 4, order='F'))
)PY", &out), 0) << out;
  std::map<std::string, NpyArray> by = load_npz(path);
  ASSERT_EQ(by.size(), 3u);
  Tensor<float> t = npy_as<float>(by.at("T"));
  ASSERT_EQ(t.shape(), (Shape{6, 4}));
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(t.data()[i * 4 + j], float(j * 6 + i)) << i << "," << j;
  EXPECT_EQ(npy_as<double>(by.at("B")).vec(), (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  // Compare the 3-D one with NumPy's own C-order flattening of the same array.
  ASSERT_EQ(test::run_python(dir, R"PY(
import numpy as np
a = np.arange(24, dtype=np.float32).reshape(4, 6)
print(' '.join(str(int(v)) for v in np.ascontiguousarray(a.T.reshape(2, 3, 4, order='F')).ravel()))
)PY", &out), 0) << out;
  Tensor<float> bt = npy_as<float>(by.at("BT"));
  ASSERT_EQ(bt.shape(), (Shape{2, 3, 4}));
  std::string ours;
  for (float v : bt.vec()) ours += (ours.empty() ? "" : " ") + std::to_string(int(v));
  EXPECT_EQ(ours + "\n", out);
}

TEST(Npz, NpyAsRefusesAnotherDtypeNamingBoth) {
  NpyArray a = to_npy("W1", Tensor<double>::from({1, 2}));
  try {
    npy_as<float>(a);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "W1: expected dtype <f4, found <f8");
  }
  EXPECT_THROW(npy_as<std::int64_t>(to_npy("u", std::vector<std::uint64_t>{1})), std::runtime_error);
}

TEST(Npz, SaveRejectsBadArraysAndLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.file("m.npz");
  auto a = to_npy("W1", Tensor<float>(Shape{2}));
  EXPECT_THROW(save_npz(path, {a, a}), std::invalid_argument);
  EXPECT_THROW(save_npz(path, {to_npy("", Tensor<float>(Shape{2}))}), std::invalid_argument);
  EXPECT_THROW(save_npz(path, {to_npy("a/b", Tensor<float>(Shape{2}))}), std::invalid_argument);
  NpyArray short_bytes = a;
  short_bytes.bytes.pop_back();
  EXPECT_THROW(save_npz(path, {short_bytes}), std::invalid_argument);
  NpyArray complex = a;
  complex.dtype = "<c8";
  EXPECT_THROW(save_npz(path, {complex}), std::invalid_argument);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(Npz, EmptyArchiveRoundTrips) {
  TempDir dir;
  save_npz(dir.file("e.npz"), {});
  EXPECT_EQ(test::slurp(dir.file("e.npz")).size(), 22u);
  EXPECT_TRUE(load_npz(dir.file("e.npz")).empty());
}

TEST(Npz, ParseJsonEntryNamesTheEntryOnBadText) {
  NpyArray a{"__config__", "|u1", Shape{3}, {'{', 'x', '}'}};
  try {
    parse_json_entry(a);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("__config__: not valid JSON"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_json_entry(to_npy("f", Tensor<float>(Shape{2}))), std::runtime_error);
}

// ---- interchange with NumPy itself ------------------------------------------------------------

TEST(NpzNumPy, LoadsFilesWrittenBySavezAndSavezCompressed) {
  if (!test::python_has_numpy()) GTEST_SKIP() << "/usr/bin/python3 has no numpy";
  TempDir dir;
  std::string out;
  ASSERT_EQ(test::run_python(dir, R"PY(
import numpy as np, sys
d = sys.argv[0].rsplit('/', 1)[0]
arrays = dict(
    W1=(np.arange(6, dtype=np.float32).reshape(2, 3) * np.float32(0.1)),
    b1=np.array([1/3, -2.5e-300, 1e308], dtype=np.float64),
    t=np.array([3, 1, 4, 1, 5], dtype=np.int64),
    img=np.arange(16, dtype=np.uint8).reshape(2, 2, 2, 2) * 17,
    big=np.array([2**64 - 1, 0], dtype=np.uint64),
    s=np.array(3.25),
    e=np.zeros((0, 3), dtype=np.float32),
)
np.savez(d + '/stored.npz', **arrays)
np.savez_compressed(d + '/deflated.npz', **arrays)
print('written')
)PY", &out), 0) << out;

  for (const char* name : {"stored.npz", "deflated.npz"}) {
    SCOPED_TRACE(name);
    auto m = load_npz(dir.file(name));
    ASSERT_EQ(m.size(), 7u);
    Tensor<float> w1 = npy_as<float>(m.at("W1"));
    ASSERT_EQ(w1.shape(), (Shape{2, 3}));
    for (int i = 0; i < 6; ++i) EXPECT_EQ(w1[i], static_cast<float>(i) * 0.1f);  // float32 * float32 in NumPy too
    EXPECT_EQ(npy_as<double>(m.at("b1")).vec(), (std::vector<double>{1.0 / 3.0, -2.5e-300, 1e308}));
    EXPECT_EQ(npy_as<std::int64_t>(m.at("t")).vec(), (std::vector<std::int64_t>{3, 1, 4, 1, 5}));
    Tensor<std::uint8_t> img = npy_as<std::uint8_t>(m.at("img"));
    EXPECT_EQ(img.shape(), (Shape{2, 2, 2, 2}));
    EXPECT_EQ(img(1, 1, 1, 1), 255);
    EXPECT_EQ(img(0, 1, 0, 1), 5 * 17);
    EXPECT_EQ(npy_as<std::uint64_t>(m.at("big")).vec(), (std::vector<std::uint64_t>{UINT64_MAX, 0}));
    Tensor<double> s = npy_as<double>(m.at("s"));
    EXPECT_EQ(s.shape(), Shape{});
    EXPECT_EQ(s[0], 3.25);
    EXPECT_EQ(m.at("e").shape, (Shape{0, 3}));
  }
}

TEST(NpzNumPy, NumPyLoadsWhatDlfsWrites) {
  if (!test::python_has_numpy()) GTEST_SKIP() << "/usr/bin/python3 has no numpy";
  TempDir dir;
  auto x4 = iota_tensor<float>({2, 1, 3, 3}, 0.25, -1);
  std::vector<NpyArray> arrays{to_npy("W1", iota_tensor<float>({3, 2}, 0.5, -1)), to_npy("x4", x4),
                               to_npy("b1", Tensor<double>::from({1.0 / 3.0, -0.0})),
                               to_npy("img", iota_tensor<std::uint8_t>({2, 2}, 100, 55)),
                               to_npy("t", std::vector<std::int64_t>{7, -2}),
                               to_npy("n", std::vector<std::uint64_t>{18446744073709551615ull}),
                               to_npy("s", Tensor<float>(Shape{}, 4.5f)),
                               json_entry("__config__", {{"net", "MultiLayerNet"}, {"use_batchnorm", true}})};
  save_npz(dir.file("stored.npz"), arrays, false);
  save_npz(dir.file("deflated.npz"), arrays, true);
  std::string out;
  ASSERT_EQ(test::run_python(dir, R"PY(
import numpy as np, json, sys
d = sys.argv[0].rsplit('/', 1)[0]
for name in ('stored.npz', 'deflated.npz'):
    z = np.load(d + '/' + name)
    assert sorted(z.files) == sorted(['W1', 'x4', 'b1', 'img', 't', 'n', 's', '__config__']), z.files
    assert z['W1'].dtype == np.float32 and z['W1'].shape == (3, 2)
    assert (z['W1'] == np.arange(6, dtype=np.float32).reshape(3, 2) * 0.5 - 1).all(), z['W1']
    assert z['x4'].shape == (2, 1, 3, 3) and z['x4'][1, 0, 2, 2] == np.float32(17 * 0.25 - 1)
    assert z['b1'].dtype == np.float64 and z['b1'][0] == 1/3 and np.signbit(z['b1'][1])
    assert z['img'].dtype == np.uint8 and z['img'].tolist() == [[55, 155], [255, 99]], z['img']
    assert z['t'].dtype == np.int64 and z['t'].tolist() == [7, -2]
    assert z['n'].dtype == np.uint64 and int(z['n'][0]) == 2**64 - 1
    assert z['s'].shape == () and z['s'] == 4.5
    cfg = json.loads(bytes(z['__config__']).decode('utf-8'))
    assert cfg == {'net': 'MultiLayerNet', 'use_batchnorm': True}, cfg
print('OK')
)PY", &out), 0) << out;
  EXPECT_EQ(out, "OK\n");
}

}  // namespace
}  // namespace dlfs
