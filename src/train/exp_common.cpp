#include "exp_common.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "dlfs/io/csv.hpp"
#include "dlfs/io/plot.hpp"

namespace dlfs::exp {

Dataset take_rows(const Dataset& d, std::size_t begin, std::size_t end, const std::string& what) {
  if (begin > end || end > d.size())
    throw std::invalid_argument(what + ": expected at least " + std::to_string(end) + " rows, the dataset has " +
                                std::to_string(d.size()));
  std::vector<std::size_t> idx(end - begin);
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = begin + i;
  return pick_rows(d, idx);
}

Dataset pick_rows(const Dataset& d, const std::vector<std::size_t>& idx) {
  Dataset out;
  out.num_classes = d.num_classes;
  const std::size_t px = d.pixels();
  out.images = Tensor<std::uint8_t>({idx.size(), d.rows(), d.cols()});
  out.labels.resize(idx.size());
  for (std::size_t i = 0; i < idx.size(); ++i) {
    if (idx[i] >= d.size())
      throw std::out_of_range("pick_rows: expected row indices < " + std::to_string(d.size()) + ", found " +
                              std::to_string(idx[i]));
    std::memcpy(out.images.data() + i * px, d.images.data() + idx[i] * px, px);
    out.labels[i] = d.labels[idx[i]];
  }
  return out;
}

void BatchSource::next() {
  rng_.choice(d_.size(), bs_, idx_);
  gather_batch(d_, idx_.data(), idx_.size(), /*flatten=*/true, x_, t_);
}

FileSink::FileSink(const ExperimentOptions& o, ExperimentOutput& out) : dir_(o.out_dir), out_(out), plots_(false) {
  if (dir_.empty()) return;
  std::filesystem::create_directories(dir_);
  plots_ = gnuplot_available();
  if (!plots_) std::fprintf(stderr, "dlfs: warning: gnuplot not found, no PNG figures written (scripts/install_deps.sh)\n");
}

void FileSink::csv(const std::string& name, const std::vector<std::string>& header,
                   const std::vector<std::vector<double>>& columns) {
  if (dir_.empty()) return;
  const std::string path = (std::filesystem::path(dir_) / name).string();
  write_csv(path, header, columns);
  out_.files.push_back(path);
}

void FileSink::png(const std::string& name, const std::function<void(const std::string&)>& draw) {
  if (dir_.empty() || !plots_) return;
  const std::string path = (std::filesystem::path(dir_) / name).string();
  draw(path);
  out_.files.push_back(path);
}

std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w(header.size(), 0);
  auto widen = [&](const std::vector<std::string>& r) {
    for (std::size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], r[c].size());
  };
  widen(header);
  for (const auto& r : rows) widen(r);
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (std::size_t c = 0; c < w.size(); ++c) {
      const std::string cell = c < r.size() ? r[c] : "";
      const std::string pad(w[c] - cell.size(), ' ');
      if (c) s += "  ";
      s += c == 0 ? cell + pad : pad + cell;
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::vector<double> iota(std::size_t n, double start) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = start + double(i);
  return v;
}

double tail_mean(const std::vector<double>& v, std::size_t k) {
  if (v.empty()) return 0.0;
  const std::size_t n = std::min(k, v.size());
  double s = 0;
  for (std::size_t i = v.size() - n; i < v.size(); ++i) s += v[i];
  return s / double(n);
}

std::uint64_t sub_seed(std::uint64_t seed, std::uint64_t k) {
  // splitmix64 of (seed, k): nearby seeds and run numbers give unrelated streams.
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (k + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace dlfs::exp
