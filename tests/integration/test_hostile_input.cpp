// Hostile and malformed input, one table: each row runs the real `dlfs` binary on a file or flag
// made bad on purpose and expects ONE clear error (the message names what was expected and what
// was found), exit status 1 (or CLI11's own code for a flag it cannot parse), no signal, and no
// change to the files already on disk.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <sstream>

#include <zlib.h>

#include "dlfs/data/idx.hpp"
#include "dlfs/io/npz.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/model_file.hpp"
#include "integration/robust_util.hpp"

using namespace dlfs;
using namespace dlfs_robust;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kCli11 = -2;  // any CLI11 parse-error code (>= 100)

struct Case {
  const char* name;
  std::vector<std::string> args;  // "@x" is the file x of the scratch folder
  int exit_code;                  // 1, or kCli11
  const char* message;            // expected substring of stderr
};

// A copy of the tiny data set with one file changed by edit(bytes).
void variant(const std::string& good, const std::string& dir, const std::string& file,
             const std::function<void(std::string&)>& edit) {
  fs::create_directories(dir);
  for (auto& e : fs::directory_iterator(good)) fs::copy_file(e.path(), dir + "/" + e.path().filename().string());
  std::string bytes = slurp(dir + "/" + file);
  edit(bytes);
  spit(dir + "/" + file, bytes);
}

void put_be32(std::string& b, std::size_t at, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) b[at + k] = static_cast<char>((v >> (24 - 8 * k)) & 0xff);
}

std::string gzip(const std::string& raw) {
  uLongf n = compressBound(raw.size()) + 32;
  std::string out(n, '\0');
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // gzip wrapper
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Rewrites an .npz with edit(map of arrays) applied.
void edit_npz(const std::string& from, const std::string& to,
              const std::function<void(std::map<std::string, NpyArray>&)>& edit) {
  auto arrays = load_npz(from);
  edit(arrays);
  std::vector<NpyArray> list;
  for (auto& [name, a] : arrays) {
    list.push_back(a);
    list.back().name = name;
  }
  save_npz(to, list);
}

std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  auto be32 = [&](std::uint32_t v) {
    for (int k = 0; k < 4; ++k) out += static_cast<char>((v >> (24 - 8 * k)) & 0xff);
  };
  be32(static_cast<std::uint32_t>(data.size()));
  std::string td = type + data;
  out += td;
  be32(static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(td.data()), static_cast<uInt>(td.size()))));
  return out;
}

// An 8-bit grey PNG of w x h pixels, all of value v.
std::string flat_png(std::uint32_t w, std::uint32_t h, unsigned char v) {
  std::string ihdr(13, '\0');
  put_be32(ihdr, 0, w);
  put_be32(ihdr, 4, h);
  ihdr[8] = 8;  // bit depth; colour type 0 (grey)
  std::string raw;
  for (std::uint32_t r = 0; r < h; ++r) raw += '\0' + std::string(w, static_cast<char>(v));
  uLongf n = compressBound(raw.size());
  std::string z(n, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(raw.data()), raw.size());
  z.resize(n);
  return "\x89PNG\r\n\x1a\n" + png_chunk("IHDR", ihdr) + png_chunk("IDAT", z) + png_chunk("IEND", "");
}

class HostileInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("hostile");
    const std::string good = f("good");
    write_tiny_idx(good);
    const std::string ti = "train-images-idx3-ubyte", tl = "train-labels-idx1-ubyte";
    variant(good, f("idx_trunc"), ti, [](std::string& b) { b.resize(b.size() / 2); });
    variant(good, f("idx_magic"), ti, [](std::string& b) { put_be32(b, 0, 0x804); });
    variant(good, f("idx_overflow"), ti, [](std::string& b) {
      for (int k = 0; k < 3; ++k) put_be32(b, 4 + 4 * k, 0xffffffffu);
    });
    variant(good, f("idx_too_many"), ti, [](std::string& b) { put_be32(b, 4, 1000); });
    variant(good, f("idx_counts"), tl, [](std::string& b) {
      put_be32(b, 4, 19);
      b.pop_back();
    });
    variant(good, f("idx_label"), tl, [](std::string& b) { b[8 + 3] = 12; });
    variant(good, f("gz_trunc"), ti, [](std::string& b) {});
    spit(f("gz_trunc/" + ti + ".gz"), gzip(slurp(f("gz_trunc/" + ti))).substr(0, 300));
    fs::remove(f("gz_trunc/" + ti));
    variant(good, f("gz_corrupt"), ti, [](std::string& b) {});
    std::string gz = gzip(slurp(f("gz_corrupt/" + ti)));
    for (std::size_t i = 40; i < 60; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
    spit(f("gz_corrupt/" + ti + ".gz"), gz);
    fs::remove(f("gz_corrupt/" + ti));
    fs::create_directories(f("empty_dir"));

    // Models: a good two-layer (784, 7, 10) and broken copies of it.
    json arch = {{"net", "two-layer"}, {"input_size", 784}, {"hidden_size", 7}, {"output_size", 10}};
    auto net = make_net<float>(arch, 1);
    save_model(*net, f("model.npz"));
    const std::string good_model = slurp(f("model.npz"));
    spit(f("keep.npz"), good_model);  // every train row passes --save keep.npz: it must survive
    spit(f("random.npz"), std::string(3000, '\x17'));
    spit(f("trunc.npz"), good_model.substr(0, good_model.size() / 2));
    spit(f("empty.npz"), "");
    std::string flipped = good_model;
    flipped[flipped.size() / 3] = static_cast<char>(flipped[flipped.size() / 3] ^ 0xff);  // inside W1's data
    spit(f("flipped.npz"), flipped);
    edit_npz(f("model.npz"), f("shape.npz"), [](auto& m) { m["W1"] = to_npy("W1", Tensor<float>({784, 6})); });
    edit_npz(f("model.npz"), f("int32.npz"), [](auto& m) { m["W1"] = to_npy("W1", Tensor<std::int32_t>({784, 7})); });
    edit_npz(f("model.npz"), f("missing.npz"), [](auto& m) { m.erase("b2"); });
    edit_npz(f("model.npz"), f("other_arch.npz"), [](auto& m) { m["W3"] = to_npy("W3", Tensor<float>({10, 10})); });
    edit_npz(f("model.npz"), f("bad_json.npz"), [](auto& m) {
      m["__config__"] = json_entry("__config__", json::array());
      m["__config__"].bytes = {'{', 'n', 'o'};
      m["__config__"].shape = {3};
    });
    edit_npz(f("model.npz"), f("huge_config.npz"), [&](auto& m) {
      json meta = {{"format", "dlfs-model"}, {"version", 1}, {"architecture", arch}};
      meta["architecture"]["hidden_size"] = 1000000000;
      m["__config__"] = json_entry("__config__", meta);
    });
    edit_npz(f("model.npz"), f("no_config.npz"), [](auto& m) { m.erase("__config__"); });
    json narrow = arch;
    narrow["input_size"] = 100;
    auto net100 = make_net<float>(narrow, 1);
    save_model(*net100, f("input100.npz"));

    // Images.
    spit(f("garbage.png"), "this is not an image, whatever its name says");
    spit(f("empty.png"), "");
    std::string digit = flat_png(28, 28, 0);
    spit(f("truncated.png"), digit.substr(0, 45));
    spit(f("blank.png"), flat_png(40, 30, 255));

    // A real checkpoint and a not-a-checkpoint.
    CliRun ck = run_dlfs({"train", "--data", "good", "--iters", "2", "--checkpoint-every", "1", "--checkpoint",
                          "ck.npz", "--quiet", "--out", "out"},
                         dir_->path().string());
    ASSERT_EQ(ck.exit_code, 0) << ck.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string f(const std::string& name) { return dir_->file(name); }
  static TempDir* dir_;
};
TempDir* HostileInput::dir_ = nullptr;

std::vector<std::string> train(std::vector<std::string> extra, std::string data = "good") {
  std::vector<std::string> v = {"train", "--quiet", "--save", "keep.npz", "--out", "out", "--data", data};
  if (std::find(extra.begin(), extra.end(), "--iters") == extra.end()) v.insert(v.end(), {"--iters", "3"});
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}
std::vector<std::string> predict_model(const std::string& model, std::vector<std::string> extra = {}) {
  std::vector<std::string> v = {"predict", "--model", model, "--data", "good", "--index", "0"};
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}
std::vector<std::string> predict_image(const std::string& image) {
  return {"predict", "--model", "model.npz", "--image", image};
}

const std::vector<Case>& table() {
  static const std::vector<Case> t = {
      // IDX files
      {"idx_truncated", train({}, "idx_trunc"), 1, "truncated: header declares 20 x 28 x 28 = 15,680 bytes of images, found only 7,"},
      {"idx_wrong_magic", train({}, "idx_magic"), 1, "expected magic 2051 (images), found 2052"},
      {"idx_dims_overflow", train({}, "idx_overflow"), 1, "4294967295 x 4294967295 x 4294967295: expected at most 1,073,741,824 bytes"},
      {"idx_dims_exceed_file", train({}, "idx_too_many"), 1, "header declares 1000 x 28 x 28 = 784,000 bytes of images, found only 15,680"},
      {"idx_counts_disagree", train({}, "idx_counts"), 1, "expected 20 labels (one per image in"},
      {"idx_label_out_of_range", train({}, "idx_label"), 1, "expected labels 0..9, found 12 at index 3"},
      {"gz_truncated", train({}, "gz_trunc"), 1, "corrupt gzip data"},
      {"gz_corrupt", train({}, "gz_corrupt"), 1, "corrupt gzip data"},
      {"idx_missing", train({}, "empty_dir"), 1, "expected the four IDX files"},
      // Model files
      {"npz_not_a_zip", predict_model("random.npz"), 1, "random.npz is not an .npz file: expected a zip archive"},
      {"npz_truncated", predict_model("trunc.npz"), 1, "trunc.npz is not an .npz file: expected a zip archive"},
      {"npz_empty", predict_model("empty.npz"), 1, "empty.npz is an empty file (0 bytes), expected an .npz (zip) archive"},
      {"npz_flipped_byte", predict_model("flipped.npz"), 1, "flipped.npz: member 'W1.npy': CRC error"},
      {"npz_wrong_shape", predict_model("shape.npz"), 1, "shape.npz: array W1: expected shape (784, 7), found (784, 6)"},
      {"npz_int32", predict_model("int32.npz"), 1, "int32.npz: array W1: expected dtype <f4 or <f8, found <i4"},
      {"npz_missing_array", predict_model("missing.npz"), 1, "missing.npz: missing array b2 (net two-layer needs (10,))"},
      {"npz_other_architecture", predict_model("other_arch.npz"), 1, "unexpected array W3 for net two-layer"},
      {"npz_bad_config_json", predict_model("bad_json.npz"), 1, "__config__: not valid JSON"},
      {"npz_huge_config", predict_model("huge_config.npz"), 1, "'hidden_size' is 1000000000, larger than any array dimension"},
      {"npz_no_config_wrong_net", predict_model("no_config.npz", {"--net", "multi-layer"}), 1,
       "no_config.npz: array W1: expected shape (784, 100), found (784, 7)"},
      {"npz_is_a_folder", predict_model("good"), 1, "good is not a regular file"},
      {"npz_missing_file", predict_model("nothing.npz"), 1, "cannot open nothing.npz: No such file or directory"},
      {"net_wrong_input_shape", predict_model("input100.npz"), 1, "Affine1: expected input (N, 100), got (1, 784)"},
      // Images
      {"image_not_an_image", predict_image("garbage.png"), 1, "garbage.png: expected a PNG, JPEG or BMP image"},
      {"image_empty", predict_image("empty.png"), 1, "empty.png: expected a PNG, JPEG or BMP image, found an empty file"},
      {"image_truncated", predict_image("truncated.png"), 1, "truncated.png: truncated PNG: chunk IDAT declares"},
      {"image_blank", predict_image("blank.png"), 1, "blank.png: expected a digit"},
      {"image_missing", predict_image("nothing.png"), 1, "nothing.png: cannot open"},
      {"predict_index_out_of_range", {"predict", "--model", "model.npz", "--data", "good", "--index", "99"}, 1,
       "--index: expected 0 to 9, got 99"},
      // Checkpoints
      {"resume_not_a_checkpoint", train({"--resume", "model.npz"}), 1, "model.npz: no __checkpoint__ entry"},
      {"resume_changes_the_run", train({"--resume", "ck.npz", "--lr", "0.5"}), 1, "--lr: cannot be changed when resuming"},
      // Flags
      {"batch_zero", train({"--batch", "0"}), kCli11, "--batch: expected a whole number from 1 to 1000000, got 0"},
      {"lr_nan", train({"--lr", "nan"}), 1, "--lr: expected a finite number > 0, got nan"},
      {"lr_negative", train({"--lr", "-1"}), 1, "--lr: expected a finite number > 0, got -1"},
      {"hidden_negative", train({"--hidden", "-5"}), kCli11, "--hidden: expected a whole number from 1 to 1000000000, got -5"},
      {"hidden_absurd", train({"--net", "multi-layer", "--hidden", "100000,100000"}), 1, "--hidden: the net would have 1.00794e+10 weights, more than the limit of 1e+08"},
      {"iters_absurd", train({"--iters", "1000000000000"}), kCli11, "--iters: expected a whole number from 1 to 100000000, got 1000000000000"},
      {"epochs_negative", train({"--epochs", "-3"}), kCli11, "--epochs: expected a whole number from 1 to 1000000, got -3"},
      {"threads_negative", train({"--threads", "-1"}), kCli11, "--threads: expected a whole number from 0 to 1024, got -1"},
      {"dropout_above_one", train({"--net", "multi-layer", "--dropout", "1.5"}), 1, "--dropout: expected a number in [0, 1), got 1.5"},
      {"weight_init_negative", train({"--weight-init-std", "-1"}), 1, "--weight-init-std: expected a finite number > 0, got -1"},
      {"checkpoint_every_negative", train({"--checkpoint-every", "-1"}), kCli11, "--checkpoint-every: expected a whole number from 0 to 100000000, got -1"},
      {"unknown_net", train({"--net", "resnet"}), 1, "unknown net 'resnet' (known: two-layer, two-layer-sigmoid, multi-layer"},
      {"unknown_optimizer", train({"--optimizer", "lion"}), 1, "unknown optimizer 'lion' (accepted: sgd, momentum"},
      {"momentum_nan", train({"--optimizer", "momentum", "--momentum", "nan"}), 1, "momentum must be in [0, 1), got nan"},
      {"batch_not_a_number", train({"--batch", "abc"}), kCli11, "--batch"},
      {"unknown_flag", train({"--bogus"}), kCli11, "--bogus"},
      {"gradient_not_a_choice", train({"--gradient", "magic"}), kCli11, "--gradient: magic not in {backprop,numerical}"},
      // Divergence: a clear stop, never NaN accuracies.
      {"diverges", train({"--lr", "1e20", "--iters", "50"}), 1, "training diverged at iteration"},
      {"check_numerics", train({"--lr", "1e20", "--iters", "50", "--check-numerics"}), 1, "check-numerics: Affine"},
  };
  return t;
}

int count_lines_with(const std::string& text, const std::string& word) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    std::transform(line.begin(), line.end(), line.begin(), [](unsigned char c) { return std::tolower(c); });
    n += line.find(word) != std::string::npos;
  }
  return n;
}

}  // namespace

TEST_F(HostileInput, EveryCaseGivesOneClearErrorAndChangesNothing) {
  const std::string keep = slurp(f("keep.npz"));
  const std::string model = slurp(f("model.npz"));
  for (const Case& c : table()) {
    SCOPED_TRACE(c.name);
    CliRun r = run_dlfs(c.args, dir_->path().string());
    EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << "\n" << r.err;
    if (c.exit_code == kCli11) {
      EXPECT_GE(r.exit_code, 100) << r.err;  // CLI11's parse-error codes
      EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    } else {
      EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
      EXPECT_NE(r.err.find(std::string("dlfs: error: ")), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(c.message), std::string::npos) << "expected \"" << c.message << "\" in:\n" << r.err;
      EXPECT_EQ(count_lines_with(r.err, "error"), 1) << r.err;
    }
    EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
    EXPECT_TRUE(slurp(f("keep.npz")) == keep) << "the --save target changed";
    EXPECT_TRUE(slurp(f("model.npz")) == model) << "the model file changed";
  }
}
