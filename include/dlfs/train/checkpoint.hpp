// Checkpoints: everything a training run needs to continue so that its final weights are bit for
// bit those of a run that was never interrupted. One .npz, written atomically, holding
//   - the model exactly as a model file holds it (W1, b1, ..., running_mean1, ..., "__config__"),
//     so `dlfs predict --model checkpoint.npz` works on it too;
//   - "ckpt.optim.<kind>.<param>": the optimiser's state (Momentum's v, Adam's m and v, ...);
//   - "ckpt.rng.trainer" and "ckpt.rng.<i>.<layer>": the trainer's and each Dropout layer's RNG;
//   - "ckpt.perm": the epoch permutation (without-replacement sampling);
//   - "ckpt.history.*": the loss and accuracy history so far;
//   - "__checkpoint__": JSON with the iteration, the optimiser's counter and learning rate, the
//     trainer's config, a digest of the training set (train_set_digest) and whatever run_config
//     the caller passes (the CLI's flags).
#pragma once
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "dlfs/train/trainer.hpp"

namespace dlfs {

inline constexpr const char* kCheckpointEntry = "__checkpoint__";

// TrainConfig <-> JSON (every field; from_json throws std::runtime_error naming a bad key).
nlohmann::json train_config_to_json(const TrainConfig& c);
TrainConfig train_config_from_json(const nlohmann::json& j);

// Writes the trainer's complete state (its net, optimiser, RNGs, sampling position, history,
// iteration) to path, atomically: the previous checkpoint survives any failure or kill.
template <class T>
void save_checkpoint(const std::string& path, Trainer<T>& trainer, const nlohmann::json& run_config = {});

// A digest of a training set, so a resume on other data of the same size is refused: FNV-1a over
// the shape, every label and, of the images, every byte up to 1 MiB, else 4,096 evenly spaced
// blocks of 256 bytes (MNIST's 47 MB in full would cost about 50 ms per checkpoint write).
// "fnv1a64-v1:" followed by 16 hex digits.
std::string train_set_digest(const Dataset& d);

// What a checkpoint says about its run, read without a trainer (to rebuild the data, the net and
// the trainer before load_checkpoint).
struct CheckpointInfo {
  std::size_t iteration = 0;         // iterations completed
  std::string dtype;                 // "<f4" or "<f8"
  nlohmann::json architecture;       // the net's config()
  nlohmann::json train_config;       // train_config_to_json of the saved run
  nlohmann::json run_config;         // as given to save_checkpoint
  std::string train_digest;          // train_set_digest of its data; empty in checkpoints of dlfs before it
};
CheckpointInfo read_checkpoint_info(const std::string& path);

// Restores a checkpoint into a trainer built like the saved one: same architecture, dtype,
// optimiser, mini-batch size, training set size and training set digest (each mismatch throws,
// naming both sides; a checkpoint without a digest, from an older dlfs, is accepted).
// The trainer's own config decides how many iterations remain (so a run may be extended), but
// it must be at least the checkpoint's iteration. Everything is checked before anything is
// assigned: a bad file leaves the trainer, its net and its optimiser as they were.
template <class T>
void load_checkpoint(const std::string& path, Trainer<T>& trainer);

}  // namespace dlfs
