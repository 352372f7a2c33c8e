// dlfs serve: a trained net behind an HTTP API and a draw-a-digit page (issue 20).
//
// The server is cpp-httplib, as Debian 12 ships it (libcpp-httplib-dev 0.11): it is in Debian, so
// scripts/install_deps.sh installs it like our other dependencies; it is small (one header, and
// Debian builds its implementation as a small shared library); it is well kept and widely used;
// and it brings a thread pool, request-size limits and a clean stop() (the listening socket
// closes, the pool finishes the requests it holds). civetweb is C with a callback API, and
// Boost.Beast would make us write the HTTP server around it.
//
// The net is loaded once. It is not thread-safe: every layer keeps its forward output in its own
// buffer (a training step allocates nothing), so two requests running predict at once would
// overwrite each other's activations. One mutex serialises predict; the pool's threads still parse
// JSON and decode images in parallel, and a batch request amortises the lock over its rows.
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <mutex>
#include <thread>

#include "commands.hpp"
#include "common.hpp"
#include "dlfs/data/image.hpp"
#include "dlfs/json_depth.hpp"
#include "dlfs/nets/layer_net.hpp"
#include "dlfs/train/model_file.hpp"
#include "dlfs/train/trainer.hpp"
#include "serve_page.hpp"

namespace dlfs::cli {
namespace {

constexpr std::size_t kPixels = 28 * 28;
constexpr std::size_t kMaxBody = std::size_t(8) << 20;  // 8 MB: a batch of ~1000 images as JSON text

struct ServeFlags {
  std::string model;
  std::string host = "127.0.0.1";
  long long port = 8080;
  long long threads = 0;  // 0: one per core, at least 2
};

// A refusal of one request: its HTTP status and a one-line message.
struct HttpError : std::runtime_error {
  int status;
  HttpError(int s, const std::string& m) : std::runtime_error(m), status(s) {}
};

void send_json(httplib::Response& res, const nlohmann::json& j, int status = 200) {
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

class Model {
 public:
  explicit Model(const std::string& path) : net_(load_model<float>(path)), images_(net_wants_images(net_->config())) {
    layers_ = dynamic_cast<LayerNet<float>*>(net_.get());
    std::size_t n = 0;
    for (auto* p : net_->params()) n += p->value.size();
    params_ = n;
    // A dry run: a model for other inputs than 28x28 digits, or with other than 10 classes, is
    // refused now rather than on every request.
    std::vector<float> zeros(kPixels, 0.0f);
    try {
      auto p = predict(zeros, 1, false);
      if (p[0]["probabilities"].size() != 10) throw std::runtime_error("not 10 classes");
    } catch (const std::exception& e) {
      throw std::invalid_argument("--model " + path + ": expected a net for 28x28 digits with 10 classes (" +
                                  e.what() + ")");
    }
  }

  nlohmann::json info(const std::string& path) const {
    nlohmann::json cfg = net_->config();
    nlohmann::json j = {{"name", net_->name()}, {"file", path}, {"architecture", cfg}, {"parameters", params_}};
    // Model files written by dlfs train hold no accuracy today; a config that carries one shows it.
    j["accuracy"] = cfg.contains("accuracy") ? cfg["accuracy"] : nlohmann::json(nullptr);
    return j;
  }

  // rows images of 784 values in 0..1 -> one {predicted, probabilities[, activations]} per row.
  // In chunks of kChunk rows, so a big batch (an 8 MB body holds ~5,000 images) costs the working
  // memory of kChunk (a DeepConvNet's im2col of 5,000 images would be gigabytes), and other
  // requests get the lock between chunks.
  nlohmann::json predict(const std::vector<float>& pixels, std::size_t rows, bool activations) {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t r0 = 0; r0 < rows; r0 += kChunk) {
      const std::size_t n = std::min(kChunk, rows - r0);
      Tensor<float> x(images_ ? Shape{n, 1, 28, 28} : Shape{n, kPixels},
                      std::vector<float>(pixels.begin() + r0 * kPixels, pixels.begin() + (r0 + n) * kPixels));
      std::lock_guard<std::mutex> lock(mutex_);
      const Tensor<float>& y = net_->predict(x, false);
      const std::size_t classes = y.size() / n;
      for (std::size_t r = 0; r < n; ++r) {
        const float* s = y.data() + r * classes;
        std::vector<double> p(classes);
        double mx = *std::max_element(s, s + classes), sum = 0;  // softmax, overflow-safe
        for (std::size_t k = 0; k < classes; ++k) sum += (p[k] = std::exp(double(s[k]) - mx));
        for (auto& v : p) v /= sum;
        auto pred = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
        out.push_back({{"predicted", pred}, {"probabilities", p}});
      }
      if (activations) add_activations(x, out, r0);
    }
    return out;
  }

 private:
  static constexpr std::size_t kChunk = 100;

  // The first hidden activation: the layers up to and including the first ReLU/Sigmoid (Conv1 +
  // Relu1 for the conv nets: feature maps; Affine1 [+ BatchNorm1] + Relu1 for the MLPs: a strip).
  // x holds the rows of out from first on.
  void add_activations(const Tensor<float>& x, nlohmann::json& out, std::size_t first) {
    if (!layers_ || layers_->layers().empty()) return;
    const Tensor<float>* a = &x;
    std::string name;
    for (std::size_t i = 0; i < layers_->layers().size(); ++i) {
      a = &layers_->layers()[i]->forward(*a, false);
      name = layers_->layer_name(i);
      const std::string type = layers_->layers()[i]->type();
      if (type == "Relu" || type == "Sigmoid") break;
    }
    const std::size_t rows = a->dim(0), per = a->size() / rows;
    Shape shape(a->shape().begin() + 1, a->shape().end());
    for (std::size_t r = 0; r < rows; ++r)
      out[first + r]["activations"] = {{"layer", name},
                                       {"shape", shape},
                                       {"values", std::vector<float>(a->data() + r * per, a->data() + (r + 1) * per)}};
  }

  std::unique_ptr<Net<float>> net_;
  LayerNet<float>* layers_ = nullptr;
  bool images_;
  std::size_t params_ = 0;
  std::mutex mutex_;
};

// One image of 784 numbers, or a batch of them; every value a finite number in 0..1.
std::vector<float> parse_pixels(const std::string& body, std::size_t& rows, bool& batch) {
  try {  // an image is one level deep, a batch two: refuse deeper text before nlohmann builds it
    check_json_depth(body.data(), body.size(), "request body", 2);
  } catch (const std::runtime_error& e) {
    throw HttpError(400, e.what());
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) throw HttpError(400, "expected a JSON body (784 numbers, or an array of such arrays), found invalid JSON");
  if (!j.is_array() || j.empty())
    throw HttpError(400, "expected a JSON array of 784 numbers, or an array of such arrays, found " +
                             std::string(j.is_array() ? "an empty array" : j.type_name()));
  batch = j[0].is_array();
  const nlohmann::json rows_json = batch ? j : nlohmann::json::array({j});
  rows = rows_json.size();
  std::vector<float> px;
  px.reserve(rows * kPixels);
  for (std::size_t r = 0; r < rows; ++r) {
    const auto& row = rows_json[r];
    const std::string where = batch ? "image " + std::to_string(r) : "the image";
    if (!row.is_array()) throw HttpError(400, where + ": expected an array of 784 numbers, found " + row.type_name());
    if (row.size() != kPixels)
      throw HttpError(400, where + ": expected 784 numbers (28x28), found " + std::to_string(row.size()));
    for (std::size_t i = 0; i < kPixels; ++i) {
      if (!row[i].is_number())
        throw HttpError(400, where + ", pixel " + std::to_string(i) + ": expected a number in 0..1, found " +
                                 row[i].type_name());
      const double v = row[i].get<double>();
      if (!std::isfinite(v) || v < 0 || v > 1)
        throw HttpError(400, where + ", pixel " + std::to_string(i) + ": expected a number in 0..1, found " +
                                 row[i].dump());
      px.push_back(static_cast<float>(v));
    }
  }
  return px;
}

// image/png or image/jpeg, checked against the bytes' signature, then MNIST's preparation.
Tensor<std::uint8_t> parse_image(const std::string& type, const std::string& body) {
  const bool png = body.size() >= 8 && body.compare(0, 8, "\x89PNG\r\n\x1a\n", 8) == 0;
  const bool jpeg = body.size() >= 3 && body.compare(0, 3, "\xFF\xD8\xFF", 3) == 0;
  if ((type == "image/png" && !png) || (type == "image/jpeg" && !jpeg))
    throw HttpError(415, "Content-Type " + type + ": the body is not a " + (png || jpeg ? "file of that type" : "PNG or JPEG") +
                             " (expected image/png with a PNG, image/jpeg with a JPEG)");
  try {
    return decode_digit_image(body, "uploaded image");
  } catch (const std::runtime_error& e) {
    throw HttpError(400, e.what());
  }
}

void handle_predict(Model& model, const httplib::Request& req, httplib::Response& res) {
  std::string type = req.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool activations = req.get_param_value("activations") == "1";
  if (type == "image/png" || type == "image/jpeg") {
    Tensor<std::uint8_t> img = parse_image(type, req.body);
    std::vector<float> x = digit_to_input(img);
    nlohmann::json j = model.predict(x, 1, activations)[0];
    if (req.get_param_value("preprocessed") == "1") j["preprocessed"] = x;  // the 28x28 the net saw, 0..1
    return send_json(res, j);
  }
  if (type.rfind("image/", 0) == 0)
    throw HttpError(415, "expected a PNG (image/png) or a JPEG (image/jpeg), found Content-Type " + type);
  if (!type.empty() && type != "application/json")
    throw HttpError(415, "expected Content-Type application/json, image/png or image/jpeg, found " + type);
  std::size_t rows = 0;
  bool batch = false;
  std::vector<float> x = parse_pixels(req.body, rows, batch);
  nlohmann::json out = model.predict(x, rows, activations);
  send_json(res, batch ? out : out[0]);
}

// Wraps a handler: our refusals become {"error": ...} with their status, anything else a 500 with
// its message. A request never takes the server down.
httplib::Server::Handler guarded(std::function<void(const httplib::Request&, httplib::Response&)> h) {
  return [h](const httplib::Request& req, httplib::Response& res) {
    try {
      h(req, res);
    } catch (const HttpError& e) {
      send_json(res, {{"error", e.what()}}, e.status);
    } catch (const std::exception& e) {
      send_json(res, {{"error", std::string("internal error: ") + e.what()}}, 500);
    }
  };
}

int g_stop_pipe[2] = {-1, -1};
extern "C" void on_stop_signal(int sig) {
  const unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] auto n = write(g_stop_pipe[1], &b, 1);  // async-signal-safe
}

int run(const ServeFlags& f) {
  if (f.port < 0 || f.port > 65535) throw std::invalid_argument("--port: expected 0 to 65535, got " + std::to_string(f.port));
  if (f.threads < 0 || f.threads > 1024)
    throw std::invalid_argument("--threads: expected 0 (one per core) to 1024, got " + std::to_string(f.threads));
  // SIGINT and SIGTERM only write their number to a pipe (BLAS and our own pools start threads
  // before main, so masking the signals in this thread would not keep them from the process); a
  // waiting thread reads it and calls stop() outside any signal handler. Installed first, so a
  // signal while the model loads still ends in a clean stop.
  if (pipe(g_stop_pipe) != 0) throw std::runtime_error(std::string("dlfs serve: pipe: ") + std::strerror(errno));
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  Model model(f.model);
  const nlohmann::json info = model.info(f.model);

  httplib::Server svr;
  const std::size_t threads =
      f.threads > 0 ? std::size_t(f.threads) : std::max<std::size_t>(2, std::thread::hardware_concurrency());
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_payload_max_length(kMaxBody);
  // An answer is one small write after the request: without TCP_NODELAY, Nagle's algorithm and the
  // client's delayed ACK held each answer for ~40 ms (126 requests/s on loopback, p50 87 ms).
  svr.set_tcp_nodelay(true);
  // httplib's default is SO_REUSEPORT, with which a second dlfs serve on a port already served
  // binds too and silently shares the requests. SO_REUSEADDR alone restarts at once on a port in
  // TIME_WAIT, yet refuses one that another process listens on.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kServePage, "text/html; charset=utf-8"); });
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, {{"status", "ok"}}); });
  svr.Get("/api/model", [&info](const httplib::Request&, httplib::Response& res) { send_json(res, info); });
  svr.Post("/api/predict", guarded([&model](const httplib::Request& req, httplib::Response& res) { handle_predict(model, req, res); }));
  // httplib's own refusals (413 past the body limit, 404, 400 on a malformed request) get a JSON
  // body too; ours already have one.
  svr.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string msg = res.status == 413 ? "request body too large: expected at most 8 MB (8388608 bytes)"
                      : res.status == 404 ? "no such endpoint: expected GET /, /healthz, /api/model or POST /api/predict"
                                          : "HTTP status " + std::to_string(res.status);
    send_json(res, {{"error", msg}}, res.status);
    return httplib::Server::HandlerResponse::Handled;
  }));

  const int port = f.port == 0 ? svr.bind_to_any_port(f.host) : (svr.bind_to_port(f.host, int(f.port)) ? int(f.port) : -1);
  if (port < 0)
    throw std::runtime_error("cannot listen on " + f.host + ":" + std::to_string(f.port) +
                             ": expected a free port on an address of this machine (" + std::strerror(errno) + ")");
  std::printf("serving %s (%s, %zu parameters) with %zu threads\nlistening on http://%s:%d\n", f.model.c_str(),
              info["name"].get<std::string>().c_str(), info["parameters"].get<std::size_t>(), threads, f.host.c_str(), port);
  std::fflush(stdout);

  std::atomic<bool> done{false};
  std::thread waiter([&] {
    unsigned char sig = 0;
    while (read(g_stop_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (done) return;  // woken by the main thread: the server has already stopped
    std::fprintf(stderr, "dlfs serve: %s, stopping after the requests in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    // stop() does nothing until listen_after_bind is running: a signal just after the bind waits.
    while (!svr.is_running() && !done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    svr.stop();
  });
  const bool ok = svr.listen_after_bind();  // returns once stop() closed the socket and the pool drained
  done = true;
  on_stop_signal(0);  // wakes the waiter if the server stopped by itself
  waiter.join();
  return ok ? 0 : 1;
}

Register reg([](CLI::App& app) {
  static ServeFlags f;
  CLI::App* sub = app.add_subcommand("serve", "serve a saved model over HTTP: a draw-a-digit page and a JSON API");
  sub->add_option("--model", f.model, "model file written by dlfs train --save")->required()->check(non_empty_path());
  sub->add_option("--host", f.host, "address to listen on (default loopback only; 0.0.0.0 for every interface)");
  sub->add_option("--port", f.port, "port, 0 = any free port (printed on stdout)")->transform(whole_number(0, 65535));
  sub->add_option("--threads", f.threads, "request threads, 0 = one per core (at least 2)")->transform(whole_number(0, 1024));
  set_action(sub, [] { return run(f); });
});

}  // namespace
}  // namespace dlfs::cli
