// `dlfs demo apples`: the shopping examples of chapter 5.4 (backprop through mul/add nodes).
#include <cstdio>

#include "commands.hpp"
#include "dlfs/layers/mul_add.hpp"

namespace dlfs::cli {
namespace {

int run_apples() {
  auto a = buy_apple();
  std::printf("buy_apple:\n");
  std::printf("  price: %g\n  dApple: %g\n  dApple_num: %g\n  dTax: %g\n", a.price, a.dapple, a.dapple_num, a.dtax);
  auto o = buy_apple_orange();
  std::printf("buy_apple_orange:\n");
  std::printf("  price: %g\n  dApple: %g\n  dApple_num: %g\n  dOrange: %g\n  dOrange_num: %g\n  dTax: %g\n", o.price,
              o.dapple, o.dapple_num, o.dorange, o.dorange_num, o.dtax);
  return 0;
}

Register reg([](CLI::App& app) {
  auto* demo = app.add_subcommand("demo", "Small worked examples from the book");
  demo->require_subcommand(1);
  auto* apples = demo->add_subcommand("apples", "Chapter 5.4: backprop through the apple/orange shopping graph");
  set_action(apples, run_apples);
  // main only looks one level down, so `demo` dispatches to whichever example was chosen.
  set_action(demo, [demo] { return run_selected(*demo); });
});

}  // namespace
}  // namespace dlfs::cli
