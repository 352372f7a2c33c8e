// dlfs train: the main job. Defaults reproduce the seeds' run of the book (chapter 4/5
// train_neuralnet.py): TwoLayerNet 784-50-10, 10,000 iterations of 100 random digits, SGD lr 0.1.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "estimate.hpp"
#include "dlfs/linalg.hpp"
#include "dlfs/nets/registry.hpp"
#include "dlfs/train/checkpoint.hpp"
#include "dlfs/train/model_file.hpp"
#include "dlfs/train/report.hpp"
#include "dlfs/train/trainer.hpp"
#include "outputs.hpp"

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
  std::string checkpoint;
  std::string resume;
};

// The flags that define a run (what a checkpoint must reproduce), as JSON and back. Output and
// reporting flags (--out, --save, --quiet, --json, --threads, --checkpoint...) are not part of it.
nlohmann::json run_flags_json(const TrainFlags& f) {
  return {{"dataset", f.data.dataset},
          {"data_root", f.data.data_root},
          {"data", f.data.dir},
          {"net", f.net.net},
          {"hidden", f.net.hidden},
          {"weight_init_std", f.net.weight_init_std},
          {"activation", f.net.activation},
          {"batchnorm", f.net.batchnorm},
          {"dropout", f.net.dropout},
          {"weight_decay", f.net.weight_decay},
          {"iters", f.iters},
          {"epochs", f.epochs},
          {"batch", f.batch},
          {"lr", f.lr},
          {"optimizer", f.optimizer},
          {"momentum", f.momentum},
          {"gradient", f.gradient},
          {"eval_samples", f.eval_samples},
          {"seed", f.seed}};
}

void run_flags_from_json(const nlohmann::json& j, TrainFlags& f) {
  j.at("dataset").get_to(f.data.dataset);
  j.at("data_root").get_to(f.data.data_root);
  j.at("data").get_to(f.data.dir);
  j.at("net").get_to(f.net.net);
  j.at("hidden").get_to(f.net.hidden);
  j.at("weight_init_std").get_to(f.net.weight_init_std);
  j.at("activation").get_to(f.net.activation);
  j.at("batchnorm").get_to(f.net.batchnorm);
  j.at("dropout").get_to(f.net.dropout);
  j.at("weight_decay").get_to(f.net.weight_decay);
  j.at("iters").get_to(f.iters);
  j.at("epochs").get_to(f.epochs);
  j.at("batch").get_to(f.batch);
  j.at("lr").get_to(f.lr);
  j.at("optimizer").get_to(f.optimizer);
  j.at("momentum").get_to(f.momentum);
  j.at("gradient").get_to(f.gradient);
  j.at("eval_samples").get_to(f.eval_samples);
  j.at("seed").get_to(f.seed);
}

CLI::App* train_app = nullptr;

// What a flag changes in the run: the net it builds (so --hidden 50 equals the default of
// two-layer) or its own value.
nlohmann::json run_identity(const TrainFlags& f) {
  nlohmann::json j = run_flags_json(f);
  for (const char* k : {"net", "hidden", "weight_init_std", "activation", "batchnorm", "dropout", "weight_decay"})
    j.erase(k);
  j["net_config"] = net_config(f.net, 0, 0, 0);
  return j;
}

// --resume: the run's flags come from the checkpoint. Only the length of the run (--iters,
// --epochs), where the data lives (--data, --data-root) and output flags may change; any other
// flag given must equal the checkpoint's value, else it would silently train a different run.
void apply_resume(TrainFlags& f) {
  CheckpointInfo info = read_checkpoint_info(f.resume);
  if (info.train_digest.empty())
    std::fprintf(stderr, "dlfs: warning: %s has no training-set digest (written by an older dlfs): it is resumed, "
                 "but whether --data is the data it was trained on cannot be checked\n", f.resume.c_str());
  TrainFlags saved = f;
  try {
    run_flags_from_json(info.run_config, saved);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(f.resume + ": the checkpoint's run_config lacks the dlfs train flags (" +
                             std::string(e.what()) + ")");
  }
  using Copy = void (*)(const TrainFlags&, TrainFlags&);
  static const std::pair<const char*, Copy> run_defining[] = {
      {"--dataset", [](const TrainFlags& a, TrainFlags& b) { b.data.dataset = a.data.dataset; }},
      {"--net", [](const TrainFlags& a, TrainFlags& b) { b.net.net = a.net.net; }},
      {"--hidden", [](const TrainFlags& a, TrainFlags& b) { b.net.hidden = a.net.hidden; }},
      {"--weight-init-std", [](const TrainFlags& a, TrainFlags& b) { b.net.weight_init_std = a.net.weight_init_std; }},
      {"--activation", [](const TrainFlags& a, TrainFlags& b) { b.net.activation = a.net.activation; }},
      {"--batchnorm", [](const TrainFlags& a, TrainFlags& b) { b.net.batchnorm = a.net.batchnorm; }},
      {"--dropout", [](const TrainFlags& a, TrainFlags& b) { b.net.dropout = a.net.dropout; }},
      {"--weight-decay", [](const TrainFlags& a, TrainFlags& b) { b.net.weight_decay = a.net.weight_decay; }},
      {"--batch", [](const TrainFlags& a, TrainFlags& b) { b.batch = a.batch; }},
      {"--lr", [](const TrainFlags& a, TrainFlags& b) { b.lr = a.lr; }},
      {"--optimizer", [](const TrainFlags& a, TrainFlags& b) { b.optimizer = a.optimizer; }},
      {"--momentum", [](const TrainFlags& a, TrainFlags& b) { b.momentum = a.momentum; }},
      {"--gradient", [](const TrainFlags& a, TrainFlags& b) { b.gradient = a.gradient; }},
      {"--eval-samples", [](const TrainFlags& a, TrainFlags& b) { b.eval_samples = a.eval_samples; }},
      {"--seed", [](const TrainFlags& a, TrainFlags& b) { b.seed = a.seed; }}};
  const nlohmann::json before = run_identity(saved);
  for (const auto& [name, copy] : run_defining) {
    if (train_app->count(name) == 0) continue;
    TrainFlags changed = saved;
    copy(f, changed);
    const nlohmann::json after = run_identity(changed);
    if (after != before) {
      std::string diff;
      for (auto& [k, v] : after.items())
        if (before.at(k) != v) diff += (diff.empty() ? "" : ", ") + k + " " + before.at(k).dump() + " -> " + v.dump();
      throw std::invalid_argument(std::string(name) + ": cannot be changed when resuming (the checkpoint " + f.resume +
                                  " has a different value: " + diff +
                                  "; only --iters, --epochs, --data, --data-root and output flags may change)");
    }
  }
  if (train_app->count("--data")) saved.data.dir = f.data.dir;
  if (train_app->count("--data-root")) saved.data.data_root = f.data.data_root;
  if (train_app->count("--iters")) {
    saved.iters = f.iters;
    saved.epochs = 0;
  }
  if (train_app->count("--epochs")) saved.epochs = f.epochs;
  // Keep this invocation's output flags, take everything else from the checkpoint.
  TrainFlags out = f;
  out.data = saved.data;
  out.net = saved.net;
  out.iters = saved.iters;
  out.epochs = saved.epochs;
  out.batch = saved.batch;
  out.lr = saved.lr;
  out.optimizer = saved.optimizer;
  out.momentum = saved.momentum;
  out.gradient = saved.gradient;
  out.eval_samples = saved.eval_samples;
  out.seed = saved.seed;
  f = out;
}

int run(TrainFlags& f) {
  if (!f.resume.empty()) apply_resume(f);
  require_count("--batch", f.batch, 1000000);
  require_count("--iters", f.iters, 100000000);
  if (f.epochs < 0 || f.epochs > 1000000)
    throw std::invalid_argument("--epochs: expected a whole number from 0 to 1000000, got " + std::to_string(f.epochs));
  require_positive("--lr", f.lr);
  if (f.eval_samples < 0) throw std::invalid_argument("--eval-samples: expected >= 0, got " + std::to_string(f.eval_samples));
  if (f.threads < 0 || f.threads > 1024) throw std::invalid_argument("--threads: expected 0 (all cores) to 1024, got " + std::to_string(f.threads));
  if (f.checkpoint_every < 0)
    throw std::invalid_argument("--checkpoint-every: expected a whole number >= 1 (0 = off), got " +
                                std::to_string(f.checkpoint_every));
  set_num_threads(f.threads);
  // Fail on a bad optimiser name or hyper-parameter before the data is read.
  make_optimizer<float>(OptimizerSpec{f.optimizer, f.lr, f.momentum});
  check_net_flags(f.net);
  // Every output path is checked, and --out locked for the run, before the data is even read.
  const bool checkpointing = f.checkpoint_every > 0 || !f.checkpoint.empty();
  OutputLock out_lock = prepare_train_outputs(
      f.out, f.save, checkpointing ? (f.checkpoint.empty() ? f.out + "/checkpoint.npz" : f.checkpoint) : "");

  DataSplit data = load_data(f.data);
  nlohmann::json config = net_config(f.net, data.train.rows(), data.train.cols(), data.train.num_classes);
  auto net = make_net<float>(config, f.seed);
  const std::size_t per_epoch = std::max<std::size_t>(data.train.size() / std::size_t(f.batch), 1);
  estimate_training(*net, data.train, data.test, f.epochs ? std::size_t(f.epochs) * per_epoch : std::size_t(f.iters),
                    std::size_t(f.batch), std::size_t(f.eval_samples), f.optimizer, f.gradient == "numerical", f.quiet,
                    f.net.force);

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
  Callbacks cb;
  Trainer<float>* trainer_ptr = nullptr;
  std::string checkpoint = f.checkpoint.empty() ? f.out + "/checkpoint.npz" : f.checkpoint;
  const nlohmann::json run_config = run_flags_json(f);
  std::size_t every = static_cast<std::size_t>(f.checkpoint_every);
  if (every > 0 || !f.checkpoint.empty()) {
    cb.on_step_end = [&](std::size_t it) {
      if (it % every == 0 || it == trainer_ptr->max_iter()) save_checkpoint(checkpoint, *trainer_ptr, run_config);
    };
  }
  Trainer<float> trainer(*net, data.train, data.test, tc, cb);
  trainer_ptr = &trainer;
  if (every == 0) every = trainer.iter_per_epoch();  // --checkpoint alone: once per epoch
  if (cb.on_step_end) {
    auto parent = std::filesystem::path(checkpoint).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
  }
  if (!f.resume.empty()) {
    load_checkpoint(f.resume, trainer);
    if (!f.quiet)
      std::printf("resumed from %s at iteration %zu of %zu\n", f.resume.c_str(), trainer.current_iter(),
                  trainer.max_iter());
  }

  if (!f.quiet) {
    std::printf("data: %s (%zu train, %zu test)\n", data.description.c_str(), data.train.size(), data.test.size());
    std::printf("net: %s  optimizer: %s lr %g  batch %zu  iterations %zu (%zu per epoch)  seed %llu\n",
                config.dump().c_str(), f.optimizer.c_str(), f.lr, tc.mini_batch_size, trainer.max_iter(),
                trainer.iter_per_epoch(), f.seed);
  }
  const History& h = trainer.train();
  if (h.diverged) throw std::runtime_error(h.stop_reason);

  // The model first: a plot that fails (no gnuplot, a full disk) must not cost the trained weights.
  if (!f.save.empty()) save_model(*net, f.save);
  write_training_report(f.out, *net, data, h, f.net.net, f.quiet);

  std::printf("final: train acc %.4f  test acc %.4f  (%zu iterations, %zu epochs, %.2f s)\n", h.final_train_acc(),
              h.final_test_acc(), trainer.current_iter(), h.train_acc.size(), h.seconds);
  const bool conv = net->params().front()->value.ndim() == 4;  // conv nets also get filters.png
  std::printf("wrote %s/history.csv, %s/accuracy.png, %s/loss.png, %s/misclassified.png%s%s%s%s\n", f.out.c_str(),
              f.out.c_str(), f.out.c_str(), f.out.c_str(), conv ? ", " : "", conv ? (f.out + "/filters.png").c_str() : "",
              f.save.empty() ? "" : ", ", f.save.c_str());
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
  sub->add_option("--iters", f.iters, "iterations (ignored when --epochs is given)")->transform(whole_number(1, 100000000))->capture_default_str();
  sub->add_option("--epochs", f.epochs, "epochs of train_size/batch iterations (overrides --iters)")
      ->transform(whole_number(1, 1000000));
  sub->add_option("--batch", f.batch, "mini-batch size")->transform(whole_number(1, 1000000))->capture_default_str();
  sub->add_option("--lr", f.lr, "learning rate")->capture_default_str();
  sub->add_option("--optimizer", f.optimizer, "sgd, momentum, nesterov, adagrad, rmsprop, adam")->capture_default_str();
  sub->add_option("--momentum", f.momentum, "momentum for momentum/nesterov")->capture_default_str();
  sub->add_option("--gradient", f.gradient, "backprop, or numerical (chapter 4, slow)")
      ->check(CLI::IsMember({"backprop", "numerical"}))
      ->capture_default_str();
  sub->add_option("--eval-samples", f.eval_samples, "rows per accuracy evaluation, 0 = all")
      ->transform(whole_number(0, 1000000000));
  sub->add_option("--seed", f.seed, "random seed (same seed, same numbers)")->transform(whole_number(0, kAnySeed))->capture_default_str();
  sub->add_option("--out", f.out, "folder for history.csv and the plots")->check(non_empty_path())->capture_default_str();
  sub->add_option("--save", f.save, "write the trained model to this .npz file")->check(non_empty_path());
  sub->add_option("--threads", f.threads, "threads, 0 = all cores")->transform(whole_number(0, 1024))->capture_default_str();
  sub->add_flag("--json", f.json, "print a JSON summary as the last line of stdout");
  sub->add_flag("--quiet", f.quiet, "no progress or per-epoch lines");
  sub->add_flag("--check-numerics", f.check_numerics,
                "stop at the first NaN or Inf, naming the layer, the tensor and the iteration");
  sub->add_option("--checkpoint-every", f.checkpoint_every,
                  "write a checkpoint every N iterations (and at the end); 0 = off")
      ->transform(whole_number(0, 100000000));
  sub->add_option("--checkpoint", f.checkpoint, "checkpoint file (default OUT/checkpoint.npz)")->check(non_empty_path());
  sub->add_option("--resume", f.resume,
                  "continue the run saved in this checkpoint (same final weights as an uninterrupted run); "
                  "--iters/--epochs may extend it")
      ->check(non_empty_path());
  train_app = sub;
  set_action(sub, [] { return run(f); });
});

}  // namespace
}  // namespace dlfs::cli
