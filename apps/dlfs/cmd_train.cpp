// dlfs train: the main job. Defaults reproduce the seeds' run of the book (chapter 4/5
// train_neuralnet.py): TwoLayerNet 784-50-10, 10,000 iterations of 100 random digits, SGD lr 0.1.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/model_file.hpp"
#include "dlfs/train/report.hpp"
#include "dlfs/train/trainer.hpp"

namespace dlfs::cli {
namespace {

struct TrainFlags {
  DataFlags data;
  NetFlags net;
  long long iters = 10000;
  long long epochs = 0;
  long long batch = 100;
  double lr = 0.1;
  std::string optimizer = "sgd";
  double momentum = 0.9;
  std::string gradient = "backprop";
  long long eval_samples = 0;
  unsigned long long seed = 0;
  std::string out = "out";
  std::string save;
  bool json = false;
  bool quiet = false;
  bool check_numerics = false;
  int threads = 0;
  long long checkpoint_every = 0;
  std::string resume;
};

int run(TrainFlags& f) {
  require_count("--batch", f.batch, 1000000);
  require_count("--iters", f.iters, 100000000);
  if (f.epochs < 0 || f.epochs > 1000000)
    throw std::invalid_argument("--epochs: expected a whole number from 0 to 1000000, got " + std::to_string(f.epochs));
  require_positive("--lr", f.lr);
  if (f.eval_samples < 0) throw std::invalid_argument("--eval-samples: expected >= 0, got " + std::to_string(f.eval_samples));
  if (f.threads < 0 || f.threads > 1024) throw std::invalid_argument("--threads: expected 0 (all cores) to 1024, got " + std::to_string(f.threads));
  set_num_threads(f.threads);

  DataSplit data = load_data(f.data);
  nlohmann::json config = net_config(f.net, data.train.rows(), data.train.cols(), data.train.num_classes);
  auto net = make_net<float>(config, f.seed);

  TrainConfig tc;
  tc.iters = static_cast<std::size_t>(f.iters);
  tc.epochs = static_cast<std::size_t>(f.epochs);
  tc.mini_batch_size = static_cast<std::size_t>(f.batch);
  tc.optimizer.name = f.optimizer;
  tc.optimizer.lr = f.lr;
  tc.optimizer.momentum = f.momentum;
  tc.evaluate_sample_num_per_epoch = static_cast<std::size_t>(f.eval_samples);
  tc.gradient = f.gradient;
  tc.seed = f.seed;
  tc.verbose = !f.quiet;
  tc.check_numerics = f.check_numerics;
  Trainer<float> trainer(*net, data.train, data.test, tc);

  if (!f.quiet) {
    std::printf("data: %s (%zu train, %zu test)\n", data.description.c_str(), data.train.size(), data.test.size());
    std::printf("net: %s  optimizer: %s lr %g  batch %zu  iterations %zu (%zu per epoch)  seed %llu\n",
                config.dump().c_str(), f.optimizer.c_str(), f.lr, tc.mini_batch_size, trainer.max_iter(),
                trainer.iter_per_epoch(), f.seed);
  }
  const History& h = trainer.train();
  if (h.diverged) throw std::runtime_error(h.stop_reason);

  std::filesystem::create_directories(f.out);
  write_training_report(f.out, *net, data, h, f.net.net, f.quiet);
  if (!f.save.empty()) save_model(*net, f.save);

  std::printf("final: train acc %.4f  test acc %.4f  (%zu iterations, %zu epochs, %.2f s)\n", h.final_train_acc(),
              h.final_test_acc(), trainer.current_iter(), h.train_acc.size(), h.seconds);
  std::printf("wrote %s/history.csv, %s/accuracy.png, %s/loss.png, %s/misclassified.png%s%s\n", f.out.c_str(),
              f.out.c_str(), f.out.c_str(), f.out.c_str(), f.save.empty() ? "" : ", ", f.save.c_str());
  if (f.json) {
    nlohmann::json j = {{"final_train_acc", h.final_train_acc()},
                        {"final_test_acc", h.final_test_acc()},
                        {"seconds", h.seconds},
                        {"iters", trainer.current_iter()},
                        {"epochs", h.train_acc.size()},
                        {"net", config},
                        {"data", data.description},
                        {"seed", f.seed}};
    std::cout << j.dump() << std::endl;
  }
  return 0;
}

Register reg([](CLI::App& app) {
  static TrainFlags f;
  CLI::App* sub = app.add_subcommand("train", "train a net on MNIST or Fashion-MNIST, write curves and CSV");
  add_data_flags(sub, f.data);
  add_net_flags(sub, f.net);
  sub->add_option("--iters", f.iters, "iterations (ignored when --epochs is given)")->capture_default_str();
  sub->add_option("--epochs", f.epochs, "epochs of train_size/batch iterations (overrides --iters)");
  sub->add_option("--batch", f.batch, "mini-batch size")->capture_default_str();
  sub->add_option("--lr", f.lr, "learning rate")->capture_default_str();
  sub->add_option("--optimizer", f.optimizer, "sgd, momentum, nesterov, adagrad, rmsprop, adam")->capture_default_str();
  sub->add_option("--momentum", f.momentum, "momentum for momentum/nesterov")->capture_default_str();
  sub->add_option("--gradient", f.gradient, "backprop, or numerical (chapter 4, slow)")
      ->check(CLI::IsMember({"backprop", "numerical"}))
      ->capture_default_str();
  sub->add_option("--eval-samples", f.eval_samples, "rows per accuracy evaluation, 0 = all");
  sub->add_option("--seed", f.seed, "random seed (same seed, same numbers)")->capture_default_str();
  sub->add_option("--out", f.out, "folder for history.csv and the plots")->capture_default_str();
  sub->add_option("--save", f.save, "write the trained model to this .npz file");
  sub->add_option("--threads", f.threads, "threads, 0 = all cores")->capture_default_str();
  sub->add_flag("--json", f.json, "print a JSON summary as the last line of stdout");
  sub->add_flag("--quiet", f.quiet, "no progress or per-epoch lines");
  sub->add_flag("--check-numerics", f.check_numerics, "stop at the first NaN or Inf");
  set_action(sub, [] { return run(f); });
});

}  // namespace
}  // namespace dlfs::cli
