// dlfs serve, run as a real process on 127.0.0.1 (a free port it picks and prints) with a model
// this test trains, and spoken to over loopback with cpp-httplib's client: its answers equal
// dlfs predict's, a batch equals its single answers, concurrent requests each get their own
// answer, every refusal has its status and a JSON message, and SIGTERM ends it with status 0.
#include <gtest/gtest.h>

#ifdef DLFS_HAVE_HTTPLIB
#include <httplib.h>
#include <cmath>
#include <thread>

#include <nlohmann/json.hpp>

#include "dlfs/data/image.hpp"
#include "integration/robust_util.hpp"
#include "integration/serve_util.hpp"

using namespace dlfs_robust;
using nlohmann::json;

namespace {

// The pixels as the net sees them, byte / 255 in float, written exactly (a float is a double).
json pixels_json(const std::vector<std::uint8_t>& px) {
  json a = json::array();
  for (auto b : px) a.push_back(double(float(b) / 255.0f));
  return a;
}

class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_mnist()) return;
    dir = new TempDir("serve");
    CliRun t = run_dlfs({"train", "--iters", "200", "--save", dir->file("model.npz"), "--data-root", mnist_root(),
                         "--out", dir->file("out")},
                        dir->path());
    if (t.exit_code != 0) throw std::runtime_error("dlfs train failed: " + t.err);
    server = new ServeProcess(dir->file("model.npz"), dir->path());
    for (std::size_t i = 0; i < kImages; ++i) {
      CliRun p = run_dlfs({"predict", "--model", dir->file("model.npz"), "--index", std::to_string(i), "--data-root",
                           mnist_root(), "--json"},
                          dir->path());
      if (p.exit_code != 0) throw std::runtime_error("dlfs predict failed: " + p.err);
      std::string last = p.out.substr(p.out.rfind('{'));
      expected.push_back(json::parse(last));
    }
  }
  static void TearDownTestSuite() {
    delete server;
    delete dir;
    server = nullptr;
    dir = nullptr;
  }
  void SetUp() override {
    if (!have_mnist()) GTEST_SKIP() << "no MNIST in " << mnist_root() << " (scripts/fetch_mnist.sh)";
    ASSERT_GT(server->port, 0) << "dlfs serve printed no port: " << server->banner;
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server->port);
    c.set_read_timeout(120, 0);
    return c;
  }
  static void expect_same(const json& got, const json& want, double tol, const std::string& what) {
    ASSERT_TRUE(got.contains("predicted") && got.contains("probabilities")) << what << ": " << got.dump();
    EXPECT_EQ(got["predicted"], want["predicted"]) << what;
    ASSERT_EQ(got["probabilities"].size(), 10u) << what;
    for (std::size_t k = 0; k < 10; ++k)
      EXPECT_NEAR(got["probabilities"][k].get<double>(), want["probabilities"][k].get<double>(), tol) << what << " class " << k;
  }
  // POSTs body and returns (status, parsed JSON body); the server must stay healthy afterwards.
  std::pair<int, json> post(const std::string& body, const std::string& type, const std::string& path = "/api/predict") {
    auto c = client();
    auto r = c.Post(path.c_str(), body, type.c_str());
    if (!r) return {-1, json()};
    json j = json::parse(r->body, nullptr, false);
    return {r->status, j};
  }

  static constexpr std::size_t kImages = 5;
  static inline TempDir* dir = nullptr;
  static inline ServeProcess* server = nullptr;
  static inline std::vector<json> expected;  // dlfs predict --index i --json
};

TEST_F(Serve, PredictionsEqualDlfsPredict) {
  for (std::size_t i = 0; i < kImages; ++i) {
    auto [status, j] = post(pixels_json(test_digit(i)).dump(), "application/json");
    ASSERT_EQ(status, 200) << j.dump();
    expect_same(j, expected[i], 1e-9, "test image " + std::to_string(i));
  }
}

TEST_F(Serve, BatchEqualsSingleAnswers) {
  json batch = json::array();
  for (std::size_t i = 0; i < kImages; ++i) batch.push_back(pixels_json(test_digit(i)));
  auto [status, j] = post(batch.dump(), "application/json");
  ASSERT_EQ(status, 200) << j.dump();
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), kImages);
  // A batch's product may sum in another order than a single row's: equal to float precision.
  for (std::size_t i = 0; i < kImages; ++i) expect_same(j[i], expected[i], 1e-5, "batch row " + std::to_string(i));
}

TEST_F(Serve, BigBatchIsAnsweredInOrderAcrossChunks) {
  // 250 rows (the server predicts in chunks of 100): row r is test image r % 5, with activations.
  json batch = json::array();
  for (std::size_t r = 0; r < 250; ++r) batch.push_back(pixels_json(test_digit(r % kImages)));
  auto [status, j] = post(batch.dump(), "application/json", "/api/predict?activations=1");
  ASSERT_EQ(status, 200) << j.dump().substr(0, 300);
  ASSERT_EQ(j.size(), 250u);
  for (std::size_t r = 0; r < 250; ++r) {
    expect_same(j[r], expected[r % kImages], 1e-5, "row " + std::to_string(r));
    ASSERT_EQ(j[r]["activations"]["values"].size(), 50u) << r;
  }
  // The same image in another chunk has the same hidden activations.
  for (std::size_t i = 0; i < 50; ++i)
    EXPECT_NEAR(j[3]["activations"]["values"][i].get<double>(), j[203]["activations"]["values"][i].get<double>(), 1e-5);
}

TEST_F(Serve, ActivationsAreTheHiddenLayer) {
  auto [status, j] = post(pixels_json(test_digit(0)).dump(), "application/json", "/api/predict?activations=1");
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j["activations"]["layer"], "Relu1");
  EXPECT_EQ(j["activations"]["shape"], json::array({50}));  // dlfs train's default hidden_size
  ASSERT_EQ(j["activations"]["values"].size(), 50u);
  for (auto& v : j["activations"]["values"]) EXPECT_GE(v.get<double>(), 0.0);  // after a ReLU
}

TEST_F(Serve, PngUploadEqualsPredictImage) {
  // Test image 0 as a PNG: the server's preparation must be dlfs predict --image's.
  auto px = test_digit(0);
  const std::string png = dir->file("digit0.png");
  dlfs::save_png_grey(png, px.data(), 28, 28);
  CliRun p = run_dlfs({"predict", "--model", dir->file("model.npz"), "--image", png, "--json"}, dir->path());
  ASSERT_EQ(p.exit_code, 0) << p.err;
  json want = json::parse(p.out.substr(p.out.rfind('{')));
  auto [status, j] = post(slurp(png), "image/png", "/api/predict?preprocessed=1");
  ASSERT_EQ(status, 200) << j.dump();
  expect_same(j, want, 1e-9, "digit0.png");
  // The image the net saw: decode_digit_image's, divided by 255.
  auto seen = dlfs::digit_to_input(dlfs::load_digit_image(png));
  ASSERT_EQ(j["preprocessed"].size(), 784u);
  for (std::size_t i = 0; i < 784; ++i) ASSERT_FLOAT_EQ(j["preprocessed"][i].get<float>(), seen[i]) << i;
}

TEST_F(Serve, ConcurrentRequestsEachGetTheirOwnAnswer) {
  // 4 clients x 25 requests over the 5 images, on a 4-thread server: no answer lost or swapped.
  std::vector<json> bodies;
  for (std::size_t i = 0; i < kImages; ++i) bodies.push_back(pixels_json(test_digit(i)));
  std::vector<std::vector<std::pair<std::size_t, json>>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto c = client();
      for (std::size_t r = 0; r < 25; ++r) {
        std::size_t i = (t + r) % kImages;
        auto res = c.Post("/api/predict", bodies[i].dump(), "application/json");
        got[t].push_back({i, res && res->status == 200 ? json::parse(res->body, nullptr, false) : json()});
      }
    });
  for (auto& th : threads) th.join();
  for (std::size_t t = 0; t < 4; ++t) {
    ASSERT_EQ(got[t].size(), 25u);
    for (auto& [i, j] : got[t]) expect_same(j, expected[i], 1e-9, "client " + std::to_string(t) + " image " + std::to_string(i));
  }
}

TEST_F(Serve, ModelHealthAndPage) {
  auto c = client();
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body)["status"], "ok");
  auto m = c.Get("/api/model");
  ASSERT_TRUE(m);
  json mj = json::parse(m->body);
  EXPECT_EQ(mj["name"], "two-layer");
  EXPECT_EQ(mj["parameters"], 784 * 50 + 50 + 50 * 10 + 10);  // W1, b1, W2, b2
  EXPECT_EQ(mj["architecture"]["hidden_size"], 50);
  EXPECT_TRUE(mj["accuracy"].is_null());  // dlfs train's model files record none
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<canvas id=\"pad\""), std::string::npos);
  EXPECT_NE(page->body.find("/api/predict?preprocessed=1"), std::string::npos);
  EXPECT_EQ(page->body.find("http"), std::string::npos) << "the page must fetch nothing from elsewhere";
}

struct BadRequest {
  const char* what;
  std::string body, type;
  int status;
  std::string error;  // a part of the message
};

TEST_F(Serve, BadRequestsGetTheirStatusAndTheServerStaysUp) {
  json short_row = json::array({0.5, 0.5});
  json with_string = pixels_json(test_digit(0));
  with_string[10] = "x";
  json too_bright = pixels_json(test_digit(0));
  too_bright[3] = 255;
  json ragged = json::array({pixels_json(test_digit(0)), short_row});
  std::string inf = pixels_json(test_digit(0)).dump();
  inf.replace(1, 3, "1e999");  // "0.0" -> a number past double's range, which nlohmann refuses
  std::string nan = pixels_json(test_digit(0)).dump();
  nan.replace(1, 3, "NaN");  // not JSON at all: NaN and infinity cannot arrive as numbers
  const std::vector<BadRequest> cases = {
      {"wrong length", short_row.dump(), "application/json", 400, "expected 784 numbers (28x28), found 2"},
      {"ragged batch", ragged.dump(), "application/json", 400, "image 1: expected 784 numbers (28x28), found 2"},
      {"a string", with_string.dump(), "application/json", 400, "pixel 10: expected a number in 0..1, found string"},
      {"out of range", too_bright.dump(), "application/json", 400, "pixel 3: expected a number in 0..1, found 255"},
      {"infinity", inf, "application/json", 400, "found invalid JSON"},
      {"NaN", nan, "application/json", 400, "found invalid JSON"},
      {"bad JSON", "[0.1, 0.2", "application/json", 400, "found invalid JSON"},
      {"an object", "{\"x\": 1}", "application/json", 400, "found object"},
      {"too deep", "[[[0]]]", "application/json", 400, "nested deeper than expected"},
      {"empty", "", "application/json", 400, "found invalid JSON"},
      {"gif", "GIF89a", "image/gif", 415, "found Content-Type image/gif"},
      {"text", "[0]", "text/plain", 415, "found text/plain"},
      {"png that is not", "not a png", "image/png", 415, "the body is not a PNG or JPEG"},
      {"truncated png", std::string("\x89PNG\r\n\x1a\n", 8) + "xx", "image/png", 400, "uploaded image: "},
      {"oversized", std::string(9u << 20, ' '), "application/json", 413, "at most 8 MB"},
  };
  for (const auto& c : cases) {
    auto [status, j] = post(c.body, c.type);
    EXPECT_EQ(status, c.status) << c.what << ": " << j.dump();
    ASSERT_TRUE(j.is_object() && j.contains("error")) << c.what << ": " << j.dump();
    EXPECT_NE(j["error"].get<std::string>().find(c.error), std::string::npos) << c.what << ": " << j["error"];
    auto h = client().Get("/healthz");
    ASSERT_TRUE(h) << "server down after " << c.what;
    EXPECT_EQ(h->status, 200) << c.what;
  }
  // And it still answers correctly.
  auto [status, j] = post(pixels_json(test_digit(1)).dump(), "application/json");
  EXPECT_EQ(status, 200);
  expect_same(j, expected[1], 1e-9, "after the bad requests");
}

TEST_F(Serve, APortInUseIsRefused) {
  // httplib's default SO_REUSEPORT would let a second server bind and share the port silently.
  CliRun r = run_dlfs({"serve", "--model", dir->file("model.npz"), "--port", std::to_string(server->port)}, dir->path());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(server->port) + ": expected a free port"),
            std::string::npos)
      << r.err;
  auto h = client().Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST_F(Serve, SigtermExitsWithStatusZero) {
  ServeProcess s(dir->file("model.npz"), dir->path());
  ASSERT_GT(s.port, 0) << s.banner;
  httplib::Client c("127.0.0.1", s.port);
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(s.stop(), 0);
}

}  // namespace

#else
TEST(Serve, NeedsCppHttplib) { GTEST_SKIP() << "built without cpp-httplib (apt-get install libcpp-httplib-dev)"; }
#endif
