// Load client for dlfs serve: N POST /api/predict requests from C concurrent keep-alive
// connections, cycling over the given JSON bodies. Every answer is compared with the answer a
// first, sequential pass got for the same body (byte for byte), so a lost, failed or mixed-up
// answer is counted, not just timed. Prints requests per second and p50/p99 latency.
// Not built by CMake; bench/serve_load.sh builds it:
//   g++ -std=c++20 -O2 bench/serve_load.cpp $(pkg-config --cflags --libs cpp-httplib) -pthread -o serve_load
//   ./serve_load PORT REQUESTS CONNECTIONS BODY.json...
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: serve_load PORT REQUESTS CONNECTIONS BODY.json...\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const long n = std::atol(argv[2]);
  const int conns = std::atoi(argv[3]);
  std::vector<std::string> bodies;
  for (int i = 4; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    bodies.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // The reference answers, one request at a time.
  std::vector<std::string> want;
  {
    httplib::Client c("127.0.0.1", port);
    for (auto& b : bodies) {
      auto r = c.Post("/api/predict", b, "application/json");
      if (!r || r->status != 200) {
        std::fprintf(stderr, "serve_load: the reference request failed: %s\n", r ? r->body.c_str() : "no answer");
        return 1;
      }
      want.push_back(r->body);
    }
  }
  std::atomic<long> next{0}, failed{0}, wrong{0};
  std::vector<std::vector<double>> lat(conns);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < conns; ++t)
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      c.set_read_timeout(300, 0);
      for (long i; (i = next++) < n;) {
        const std::size_t k = std::size_t(i) % bodies.size();
        const auto s = std::chrono::steady_clock::now();
        auto r = c.Post("/api/predict", bodies[k], "application/json");
        lat[t].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
        if (!r || r->status != 200) ++failed;
        else if (r->body != want[k]) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, std::size_t(p * double(all.size())))]; };
  std::printf("{\"requests\": %zu, \"connections\": %d, \"seconds\": %.2f, \"rps\": %.1f, \"p50_ms\": %.2f, "
              "\"p99_ms\": %.2f, \"failed\": %ld, \"wrong\": %ld}\n",
              all.size(), conns, secs, double(all.size()) / secs, pct(0.50), pct(0.99), failed.load(), wrong.load());
  return failed || wrong || long(all.size()) != n ? 1 : 0;
}
