// The page of dlfs serve in a real browser: Debian's chromium-headless-shell (or chromium),
// driven by playwright-core from npm (pinned by tests/browser/package-lock.json, installed with
// `npm ci --ignore-scripts` into $DLFS_NPM_CACHE/browser or ~/.cache/dlfs/npm-browser; it downloads
// no browser). Strokes traced from real test digits (each row's run of ink as a polyline) are drawn
// with mouse events; the page must show what `dlfs predict --image` says of the very canvas it
// sent, and of an uploaded PNG. Skipped, with the reason, when a piece is missing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "dlfs/data/image.hpp"
#include "integration/robust_util.hpp"
#include "integration/serve_util.hpp"

using namespace dlfs_robust;
using nlohmann::json;

namespace {

// playwright-core installed from the pinned lock file; "" with the reason when it cannot be.
std::string playwright(std::string& why) {
  if (std::system("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1") != 0) {
    why = "node or npm is not installed";
    return "";
  }
  const char* env = std::getenv("DLFS_NPM_CACHE");
  const char* home = std::getenv("HOME");
  if (!env && !home) {
    why = "neither DLFS_NPM_CACHE nor HOME is set: no folder for the npm cache";
    return "";
  }
  const std::string dir = env ? std::string(env) + "/browser" : std::string(home) + "/.cache/dlfs/npm-browser";
  const std::string src = std::string(DLFS_SOURCE_DIR) + "/tests/browser";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    why = "cannot create the npm cache folder " + dir + ": " + ec.message();
    return "";
  }
  const bool current = std::filesystem::exists(dir + "/node_modules/playwright-core/package.json") &&
                       slurp(dir + "/package-lock.json") == slurp(src + "/package-lock.json");
  if (!current) {
    spit(dir + "/package.json", slurp(src + "/package.json"));
    spit(dir + "/package-lock.json", slurp(src + "/package-lock.json"));
    CliRun r = run_program("/usr/bin/env", {"npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"}, dir);
    if (r.exit_code != 0) {
      why = "npm ci (playwright-core) failed: " + last_line(r.err);
      return "";
    }
  }
  return dir;
}

std::string chromium_binary() {
  for (const char* p : {"/usr/bin/chromium-headless-shell", "/usr/bin/chromium"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

// The first test digit with this label, as bytes.
std::size_t first_with_label(int label) {
  std::string labels = slurp(mnist_root() + "/mnist/t10k-labels-idx1-ubyte");
  for (std::size_t i = 8; i < labels.size(); ++i)
    if (static_cast<unsigned char>(labels[i]) == label) return i - 8;
  throw std::runtime_error("no test digit labelled " + std::to_string(label));
}

// Each row's runs of ink (>= 128) as a horizontal polyline, at 10x on the page's 280x280 canvas.
json strokes_of(const std::vector<std::uint8_t>& px) {
  json strokes = json::array();
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28;) {
      if (px[y * 28 + x] < 128) {
        ++x;
        continue;
      }
      int x0 = x;
      while (x < 28 && px[y * 28 + x] >= 128) ++x;
      strokes.push_back({{x0 * 10 + 5, y * 10 + 5}, {(x - 1) * 10 + 5, y * 10 + 5}});
    }
  return strokes;
}

json predict_image(const std::string& model, const std::string& png, const std::string& dir) {
  CliRun p = run_dlfs({"predict", "--model", model, "--image", png, "--json"}, dir);
  if (p.exit_code != 0) throw std::runtime_error("dlfs predict --image " + png + ": " + p.err);
  return json::parse(p.out.substr(p.out.rfind('{')));
}

// What the page shows equals dlfs predict's answer: the digit, the red bar, each bar's percentage.
void expect_page_shows(const json& shown, const json& want, const std::string& what) {
  EXPECT_EQ(shown["predicted"], std::to_string(want["predicted"].get<int>())) << what;
  EXPECT_EQ(shown["top"], want["predicted"]) << what;
  ASSERT_EQ(shown["percents"].size(), 10u) << what;
  for (std::size_t k = 0; k < 10; ++k) {
    const double page = std::stod(shown["percents"][k].get<std::string>());  // "12.3%", one decimal
    EXPECT_NEAR(page, 100 * want["probabilities"][k].get<double>(), 0.05 + 1e-9) << what << " class " << k;
  }
  EXPECT_GT(shown["seenInk"].get<double>(), 0) << what << ": the 28x28 image the net saw is blank";
  EXPECT_EQ(shown["acts"], 1) << what << ": an MLP's hidden layer is one strip";
  EXPECT_NE(shown["model"].get<std::string>().find("two-layer, 39,760 parameters"), std::string::npos) << shown["model"];
  EXPECT_EQ(shown["status"], "") << what;
}

TEST(ServeBrowser, DrawnAndUploadedDigitsShowDlfsPredictsAnswer) {
#ifndef DLFS_HAVE_HTTPLIB
  GTEST_SKIP() << "dlfs was built without cpp-httplib, so without dlfs serve (apt-get install libcpp-httplib-dev)";
#endif
  if (!have_mnist()) GTEST_SKIP() << "no MNIST in " << mnist_root() << " (scripts/fetch_mnist.sh)";
  const std::string chromium = chromium_binary();
  if (chromium.empty())
    GTEST_SKIP() << "no browser: neither /usr/bin/chromium-headless-shell nor /usr/bin/chromium (apt-get install "
                    "chromium-headless-shell)";
  std::string why;
  const std::string modules = playwright(why);
  if (modules.empty()) GTEST_SKIP() << "playwright-core unavailable: " << why;

  TempDir dir("serve-browser");
  const std::string model = dir.file("model.npz");
  CliRun t = run_dlfs({"train", "--iters", "200", "--save", model, "--data-root", mnist_root(), "--out", dir.file("out")},
                      dir.path());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  ServeProcess server(model, dir.path());
  ASSERT_GT(server.port, 0) << server.banner;
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port) + "/";

  // Screenshots stay in the test's output folder (the build's tests/ when run by ctest).
  const std::filesystem::path out = std::filesystem::current_path() / "serve_browser";
  std::filesystem::create_directories(out);
  for (auto [drawn, uploaded] : {std::pair{7, 1}, std::pair{1, 7}}) {
    const std::string tag = "draw" + std::to_string(drawn);
    const std::filesystem::path o = out / tag;
    std::filesystem::create_directories(o);
    auto px = test_digit(first_with_label(drawn));
    spit(dir.file(tag + ".json"), strokes_of(px).dump());
    auto up = test_digit(first_with_label(uploaded));
    const std::string up_png = dir.file(tag + "-upload.png");
    dlfs::save_png_grey(up_png, up.data(), 28, 28);

    CliRun r = run_program("/usr/bin/env",
                           {"node", std::string(DLFS_SOURCE_DIR) + "/tests/browser/serve_page.js", modules, url, chromium,
                            dir.file(tag + ".json"), up_png, o.string()},
                           dir.path());
    if (r.exit_code != 0 && r.err.find("Failed to launch") != std::string::npos)
      GTEST_SKIP() << "the browser does not start here: " << last_line(r.err);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json page = json::parse(last_line(r.out));
    // The canvas as the page sent it, judged by dlfs predict --image: the same preparation.
    expect_page_shows(page["drawn"], predict_image(model, (o / "drawn.png").string(), dir.path()), tag + " drawn");
    EXPECT_EQ(page["cleared"]["predicted"], "") << tag;
    EXPECT_EQ(page["cleared"]["seenInk"], 0) << tag;
    expect_page_shows(page["uploaded"], predict_image(model, up_png, dir.path()), tag + " upload");
    EXPECT_TRUE(std::filesystem::file_size(o / "page.png") > 1000) << "no screenshot in " << o;
    std::printf("screenshot of the drawn %d: %s (page says %s)\n", drawn, (o / "page.png").c_str(),
                page["drawn"]["predicted"].get<std::string>().c_str());
  }
}

}  // namespace
