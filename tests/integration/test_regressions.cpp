// Replays every input the fuzzers ever crashed on (tests/regressions/<target>/, written by
// scripts/fuzz.sh) through the same entry points as the fuzz targets: each must now end in a
// return or a clean exception. The committed seeds (fuzz/corpus/<target>/) are valid files, so
// they must load without any exception at all.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>

#include "../../fuzz/fuzz_entry.hpp"
#include "integration/robust_util.hpp"

using namespace dlfs;
using namespace dlfs_robust;
namespace fs = std::filesystem;

namespace {

using Entry = void (*)(const std::uint8_t*, std::size_t);
const std::map<std::string, Entry> kTargets = {
    {"idx", dlfs::fuzz::idx}, {"npz", dlfs::fuzz::npz}, {"image", dlfs::fuzz::image}};

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (fs::is_directory(dir))
    for (auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(FuzzRegressions, SavedCrashInputsEndCleanly) {
  std::size_t replayed = 0;
  for (const auto& [target, entry] : kTargets) {
    for (const fs::path& p : files_in(fs::path(DLFS_SOURCE_DIR) / "tests/regressions" / target)) {
      SCOPED_TRACE(p.string());
      std::string bytes = slurp(p.string());
      entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());  // a crash fails the suite
      ++replayed;
    }
  }
  RecordProperty("replayed", static_cast<int>(replayed));
}

// The seeds are valid: read them with the throwing readers, not the fuzz entries.
TEST(FuzzRegressions, SeedCorporaAreValidFiles) {
  const fs::path corpus = fs::path(DLFS_SOURCE_DIR) / "fuzz/corpus";
  auto idx = files_in(corpus / "idx");
  ASSERT_EQ(idx.size(), 4u);
  for (const fs::path& p : idx) {
    std::string b = slurp(p.string());
    auto* d = reinterpret_cast<const std::uint8_t*>(b.data());
    if (p.filename().string().rfind("images", 0) == 0) {
      EXPECT_EQ(parse_idx_images(d, b.size(), p.string()).shape(), (Shape{3, 5, 4})) << p;
    } else {
      EXPECT_EQ(parse_idx_labels(d, b.size(), p.string()), (std::vector<std::uint8_t>{7, 2, 1})) << p;
    }
  }
  const nlohmann::json arch = {{"net", "two-layer"}, {"input_size", 4}, {"hidden_size", 3}, {"output_size", 2}};
  EXPECT_EQ(load_model<float>((corpus / "npz/model_f4.npz").string())->param("W1").value.shape(), (Shape{4, 3}));
  EXPECT_EQ(load_model<float>((corpus / "npz/numpy_f8_compressed.npz").string(), &arch)->param("W2").value.shape(),
            (Shape{3, 2}));
  EXPECT_EQ(read_checkpoint_info((corpus / "npz/checkpoint.npz").string()).iteration, 2u);
  EXPECT_THROW(load_model<float>((corpus / "npz/int32.npz").string(), &arch), std::runtime_error);
  for (const char* img : {"digit.png", "digit.jpg", "digit.bmp", "rgba.png"})
    EXPECT_EQ(load_digit_image((corpus / "image" / img).string()).shape(), (Shape{28, 28})) << img;
}

namespace {

// Loads bytes through a scratch file; returns the exception message ("" when it loaded).
std::string load_error(const std::string& bytes) {
  const std::string path = (fs::temp_directory_path() / ("dlfs-regress-" + std::to_string(::getpid()))).string();
  { std::ofstream(path, std::ios::binary) << bytes; }
  std::string msg;
  try {
    load_digit_image(path);
  } catch (const std::runtime_error& e) {
    msg = e.what();
  }
  fs::remove(path);
  return msg;
}

}  // namespace

// stb reads missing BMP rows as zeros: fuzz_image found a 1,839-byte BMP declaring 7168x7168 pixels.
TEST(FuzzRegressions, TruncatedBmpIsRefusedBeforeDecoding) {
  const std::string bmp = slurp((fs::path(DLFS_SOURCE_DIR) / "fuzz/corpus/image/digit.bmp").string());
  ASSERT_EQ(load_error(bmp), "");
  // The seed is 28x28 at 8 bits (stride 28): without its last row the file is 28 bytes short.
  const std::string msg = load_error(bmp.substr(0, bmp.size() - 28));
  EXPECT_NE(msg.find("truncated BMP: 28x28 pixels at 8 bits need " + std::to_string(bmp.size()) +
                     " bytes, the file holds " + std::to_string(bmp.size() - 28)),
            std::string::npos)
      << msg;
}

// stb decodes missing JPEG data as zeros: a small file must not declare millions of pixels.
TEST(FuzzRegressions, JpegTooSmallForItsSizeIsRefused) {
  std::string jpg = slurp((fs::path(DLFS_SOURCE_DIR) / "fuzz/corpus/image/digit.jpg").string());
  ASSERT_EQ(load_error(jpg), "");
  const std::size_t sof = jpg.find("\xFF\xC0", 2);
  ASSERT_NE(sof, std::string::npos);
  jpg[sof + 5] = '\x20', jpg[sof + 6] = '\x00', jpg[sof + 7] = '\x20', jpg[sof + 8] = '\x00';  // 8192x8192
  // 1024 x 1024 blocks of 8x8 need 131,072 bytes at one bit each.
  const std::string msg = load_error(jpg);
  EXPECT_NE(msg.find("truncated JPEG: a 8192x8192 image needs at least 131072 bytes of coded data"), std::string::npos)
      << msg;
}
