#include "dlfs/train/onnx_export.hpp"

#include <stdexcept>

#include "dlfs/io/atomic_file.hpp"
#include "dlfs/io/onnx.hpp"
#include "dlfs/layers/batch_norm.hpp"
#include "dlfs/layers/convolution.hpp"
#include "dlfs/layers/dropout.hpp"
#include "dlfs/layers/pooling.hpp"
#include "dlfs/nets/layer_net.hpp"
#include "dlfs/nets/sequential_net.hpp"
#include "dlfs/nets/two_layer_net_ch4.hpp"

namespace dlfs {

namespace {

using onnx::Attribute;
using I64 = std::vector<std::int64_t>;

I64 dims_of(const Shape& s) { return I64(s.begin(), s.end()); }

std::vector<float> values(const Tensor<float>& t) { return std::vector<float>(t.begin(), t.end()); }

// W (D, M) -> (M, D), the [N, K] layout of Gemm's B with transB = 1.
std::vector<float> transposed(const Tensor<float>& W) {
  const std::size_t D = W.dim(0), M = W.dim(1);
  std::vector<float> out(D * M);
  const float* w = W.data();
  for (std::size_t d = 0; d < D; ++d)
    for (std::size_t m = 0; m < M; ++m) out[m * D + d] = w[d * M + m];
  return out;
}

// Per-sample input shape from the architecture: input_dim (conv nets), input_size (fully
// connected), or a Sequential's input_shape.
Shape input_shape_of(Net<float>& net) {
  if (auto* s = dynamic_cast<SequentialNet<float>*>(&net)) return s->input_shape();
  const nlohmann::json c = net.config();
  if (c.contains("input_dim")) return c.at("input_dim").get<Shape>();
  if (c.contains("input_size")) return {c.at("input_size").get<std::size_t>()};
  throw std::invalid_argument("ONNX export: the " + net.name() + " net's config names no input size (input_dim or input_size)");
}

class Builder {
 public:
  explicit Builder(const std::string& name) : g_(name) {}

  void gemm(const std::string& name, const Tensor<float>& W, const std::string& w_name, const Tensor<float>& b,
            const std::string& b_name) {
    g_.add_initializer(w_name, {I64::value_type(W.dim(1)), I64::value_type(W.dim(0))}, transposed(W));
    g_.add_initializer(b_name, dims_of(b.shape()), values(b));
    node("Gemm", name, {w_name, b_name}, {Attribute::of_int("transB", 1)});
  }
  // A node whose first input is the previous node's output; it becomes the current tensor.
  void node(const std::string& op, const std::string& name, const std::vector<std::string>& extra_inputs = {},
            const std::vector<Attribute>& attrs = {}, const std::string& output = "") {
    std::vector<std::string> in{cur_};
    in.insert(in.end(), extra_inputs.begin(), extra_inputs.end());
    cur_ = output.empty() ? name : output;
    g_.add_node(op, in, {cur_}, attrs, name);
  }
  onnx::Graph& graph() { return g_; }

 private:
  onnx::Graph g_;
  std::string cur_ = "x";
};

// One LayerNet layer; `in` is the shape the layer receives (batch of one).
void add_layer(Builder& b, Layer<float>& layer, const std::string& name, const Shape& in) {
  const std::string type = layer.type();
  const std::string suffix = name.substr(type.size());  // "Affine1" -> "1"
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("ONNX export: layer " + name + ": " + why);
  };
  if (type == "Affine") {
    auto& a = static_cast<Affine<float>&>(layer);
    if (in.size() > 2) b.node("Flatten", "Flatten" + suffix, {}, {Attribute::of_int("axis", 1)});
    b.gemm(name, a.W().value, a.W().name, a.b().value, a.b().name);
  } else if (type == "Relu" || type == "Sigmoid") {
    b.node(type, name);
  } else if (type == "Convolution") {
    auto& c = static_cast<Convolution<float>&>(layer);
    const Tensor<float>& W = c.W().value;
    const auto p = static_cast<std::int64_t>(c.pad()), s = static_cast<std::int64_t>(c.stride());
    b.graph().add_initializer(c.W().name, dims_of(W.shape()), values(W));
    b.graph().add_initializer(c.b().name, dims_of(c.b().value.shape()), values(c.b().value));
    b.node("Conv", name, {c.W().name, c.b().name},
           {Attribute::of_ints("kernel_shape", {I64::value_type(W.dim(2)), I64::value_type(W.dim(3))}),
            Attribute::of_ints("pads", {p, p, p, p}), Attribute::of_ints("strides", {s, s})});
  } else if (type == "Pooling") {
    auto& pl = static_cast<Pooling<float>&>(layer);
    if (pl.pad() != 0)
      fail("pad " + std::to_string(pl.pad()) + " has no MaxPool equivalent (the book pads with zeros, ONNX with -inf)");
    const auto s = static_cast<std::int64_t>(pl.stride());
    b.node("MaxPool", name, {},
           {Attribute::of_ints("kernel_shape", {I64::value_type(pl.pool_h()), I64::value_type(pl.pool_w())}),
            Attribute::of_ints("strides", {s, s})});
  } else if (type == "BatchNormalization") {
    auto& bn = static_cast<BatchNormalization<float>&>(layer);
    // The book views (N, C, H, W) as (N, C*H*W), one feature per pixel of each channel, where ONNX
    // normalises per channel: flatten around it, so that ONNX's channel is the book's feature.
    const bool flat = in.size() > 2;
    if (flat) b.node("Flatten", name + "_flatten", {}, {Attribute::of_int("axis", 1)});
    const std::string mean = "running_mean" + suffix, var = "running_var" + suffix;
    b.graph().add_initializer(bn.gamma().name, dims_of(bn.gamma().value.shape()), values(bn.gamma().value));
    b.graph().add_initializer(bn.beta().name, dims_of(bn.beta().value.shape()), values(bn.beta().value));
    b.graph().add_initializer(mean, dims_of(bn.running_mean().shape()), values(bn.running_mean()));
    b.graph().add_initializer(var, dims_of(bn.running_var().shape()), values(bn.running_var()));
    b.node("BatchNormalization", name, {bn.gamma().name, bn.beta().name, mean, var},
           {Attribute::of_float("epsilon", 10e-7f)});
    if (flat) {
      I64 shape{0};  // 0: the batch size, copied from the input
      shape.insert(shape.end(), in.begin() + 1, in.end());
      b.graph().add_initializer(name + "_shape", {I64::value_type(shape.size())}, shape);
      b.node("Reshape", name + "_reshape", {name + "_shape"});
    }
  } else if (type == "Dropout") {
    auto& d = static_cast<Dropout<float>&>(layer);
    const std::string keep = name + "_keep";  // the same float dlfs multiplies by
    b.graph().add_initializer(keep, {1}, std::vector<float>{static_cast<float>(1.0 - d.dropout_ratio())});
    b.node("Mul", name, {keep});
  } else {
    fail("layer type " + type + " has no ONNX mapping");
  }
}

}  // namespace

std::string onnx_model_bytes(Net<float>& net, OnnxExportSummary* summary) {
  const Shape sample = input_shape_of(net);
  Shape batch{1};
  batch.insert(batch.end(), sample.begin(), sample.end());
  Builder b("dlfs_" + net.name());

  std::size_t classes = 0;
  if (auto* ln = dynamic_cast<LayerNet<float>*>(&net)) {
    if (ln->last_layer().type() != "SoftmaxWithLoss")
      throw std::invalid_argument("ONNX export: last layer " + ln->last_layer().type() + " has no ONNX mapping");
    // Each layer's input shape, from an inference forward of one zero sample (the only state an
    // inference forward changes is the layers' output buffers).
    Tensor<float> probe(batch);
    const Tensor<float>* cur = &probe;
    for (std::size_t i = 0; i < ln->layers().size(); ++i) {
      Layer<float>& layer = *ln->layers()[i];
      add_layer(b, layer, ln->layer_name(i), cur->shape());
      cur = &layer.forward(*cur, false);
    }
    if (cur->ndim() != 2) throw std::invalid_argument("ONNX export: the net's scores are " + shape_str(cur->shape()) + ", not (N, classes)");
    classes = cur->dim(1);
  } else if (dynamic_cast<TwoLayerNetCh4<float>*>(&net)) {
    // Chapter 4's predict: sigmoid(x W1 + b1) W2 + b2.
    b.gemm("Affine1", net.param("W1").value, "W1", net.param("b1").value, "b1");
    b.node("Sigmoid", "Sigmoid1");
    b.gemm("Affine2", net.param("W2").value, "W2", net.param("b2").value, "b2");
    classes = net.param("b2").value.size();
  } else {
    throw std::invalid_argument("ONNX export: the " + net.name() + " net has no ONNX mapping");
  }
  b.node("Softmax", "Softmax", {}, {Attribute::of_int("axis", 1)}, "probabilities");

  std::vector<onnx::Dim> in_dims{{0, "N"}}, out_dims{{0, "N"}, {static_cast<std::int64_t>(classes), ""}};
  for (std::size_t d : sample) in_dims.push_back({static_cast<std::int64_t>(d), ""});
  b.graph().add_input("x", in_dims);
  b.graph().add_output("probabilities", out_dims);
  std::string bytes = b.graph().model_bytes("dlfs", {{"dlfs_config", net.config().dump()}});
  if (summary) *summary = {b.graph().op_types(), sample, classes, bytes.size()};
  return bytes;
}

OnnxExportSummary export_onnx(Net<float>& net, const std::string& path) {
  OnnxExportSummary s;
  const std::string bytes = onnx_model_bytes(net, &s);
  write_file_atomic(path, bytes);
  return s;
}

}  // namespace dlfs
