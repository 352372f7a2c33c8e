// dlfs export --onnx OUT --model FILE: a saved model as an ONNX file for other runtimes (OpenCV
// DNN, ONNX Runtime, ...). The mapping of layers to operators is in dlfs/train/onnx_export.hpp.
#include <cstdio>
#include <filesystem>

#include "commands.hpp"
#include "common.hpp"
#include "dlfs/io/atomic_file.hpp"
#include "dlfs/io/npz.hpp"
#include "dlfs/io/onnx.hpp"
#include "dlfs/train/model_file.hpp"
#include "dlfs/train/onnx_export.hpp"

namespace dlfs::cli {
namespace {

struct ExportFlags {
  std::string model, onnx;
  bool quiet = false;
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
  return s;
}

int run(const ExportFlags& f) {
  // Refused before anything is read: an output that is not a regular file, or the model itself
  // (the atomic write would replace the only copy of the weights).
  const std::string target = resolve_output_target(f.onnx);
  std::error_code ec;
  if (std::filesystem::equivalent(target, f.model, ec))
    throw std::invalid_argument("--onnx " + f.onnx + " is the model file itself; give another output path");
  // Only the file's own architecture: ONNX needs the exact net, and a guess from flags is no
  // better than a wrong file.
  if (!load_npz(f.model).count(kModelConfigEntry))
    throw std::invalid_argument(f.model + ": no " + std::string(kModelConfigEntry) +
                                " entry, so the architecture is unknown (export needs a file written by dlfs train "
                                "--save or scripts/book_weights_to_npz.py)");
  auto net = load_model<float>(f.model);
  OnnxExportSummary s = export_onnx(*net, f.onnx);
  if (!f.quiet) {
    std::string in = "N";
    for (std::size_t d : s.input_shape) in += ", " + std::to_string(d);
    std::printf("wrote %s (%zu bytes, ONNX opset %lld): %s net, input x (%s) float32, output probabilities (N, %zu)\n",
                f.onnx.c_str(), s.bytes, static_cast<long long>(onnx::kOpsetVersion), net->name().c_str(), in.c_str(), s.classes);
    std::printf("nodes: %s\n", join(s.op_types).c_str());
  }
  return 0;
}

Register reg([](CLI::App& app) {
  static ExportFlags f;
  CLI::App* sub = app.add_subcommand("export", "write a saved model as an ONNX file for other runtimes");
  sub->add_option("--model", f.model, "model file written by dlfs train --save")->required()->check(non_empty_path());
  sub->add_option("--onnx", f.onnx, "the ONNX file to write (replaced atomically)")->required()->check(non_empty_path());
  sub->add_flag("--quiet", f.quiet, "print nothing on success");
  set_action(sub, [] { return run(f); });
});

}  // namespace
}  // namespace dlfs::cli
