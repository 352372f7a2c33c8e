// A dlfs net as an ONNX model (io/onnx.hpp: hand-written protobuf, IR 7, opset 13), so a model
// trained here runs in OpenCV DNN, ONNX Runtime and the rest. The graph is the net's inference
// function, layer by layer, with the book's parameter names as initializer names:
//   Affine             -> Gemm(x, W, b) with W stored transposed, (M, D), and transB = 1 (OpenCV's
//                         importer rejects a (D, M) B); a Flatten first when its input is 4-D
//   Relu, Sigmoid      -> Relu, Sigmoid
//   Convolution        -> Conv: the book's W (FN, C, FH, FW) is ONNX's (M, C, kH, kW), as is;
//                         pads and strides from the layer
//   Pooling            -> MaxPool (pad 0 only: the book pads with zeros, MaxPool with -inf)
//   BatchNormalization -> BatchNormalization(gamma, beta, running_mean, running_var),
//                         epsilon 1e-6 (the book's 10e-7); a 4-D input, which the book
//                         normalises per pixel as (N, C*H*W), goes through Flatten first and a
//                         Reshape back after, so that ONNX's channel is the book's feature
//   Dropout            -> Mul by (1 - dropout_ratio): the book's test-time dropout scales, it is
//                         not inverted dropout, so ONNX's Dropout (identity at inference) is wrong
//   SoftmaxWithLoss    -> Softmax(axis = 1)
// The chapter-4 net (two-layer-sigmoid, not made of layers) becomes Gemm, Sigmoid, Gemm, Softmax.
// Input "x": float32 (N, D) for the fully connected nets, (N, C, H, W) for the conv nets, exactly
// what dlfs feeds its nets (MNIST pixels / 255); N is symbolic. Output "probabilities" (N, classes):
// the softmax of predict()'s scores. The model's metadata "dlfs_config" holds the net's config().
#pragma once
#include <string>
#include <vector>

#include "dlfs/nets/net.hpp"

namespace dlfs {

struct OnnxExportSummary {
  std::vector<std::string> op_types;  // the graph's nodes, in order
  Shape input_shape;                  // per sample: (784) or (1, 28, 28)
  std::size_t classes = 0;
  std::size_t bytes = 0;
};

// The ONNX file's bytes. Throws std::invalid_argument naming the layer for anything without an
// exact ONNX equivalent (an unknown layer type, pooling with padding)
// and for a net whose config() gives no input size.
std::string onnx_model_bytes(Net<float>& net, OnnxExportSummary* summary = nullptr);

// Writes onnx_model_bytes(net) to path atomically (io/atomic_file.hpp).
OnnxExportSummary export_onnx(Net<float>& net, const std::string& path);

}  // namespace dlfs
