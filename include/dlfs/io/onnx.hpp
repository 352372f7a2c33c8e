// A minimal ONNX model writer: a graph of nodes over float32 tensors, with its weights stored in
// the file (initializers), serialised as an ONNX ModelProto (onnx/onnx.proto, IR version 7,
// operator set 13 of the default domain, float32 weights as raw little-endian bytes).
//
// Written by hand on protobuf.hpp's wire encoder rather than with libprotobuf and the onnx.proto
// of libonnx-dev: dlfs only writes a handful of message types, and a protoc step plus two -dev
// packages would be a build dependency for every embedder, for a feature most never use. The
// field numbers below are those of onnx.proto; the files are checked by onnx.checker and loaded
// by OpenCV DNN and ONNX Runtime in tests/integration/test_onnx.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dlfs::onnx {

inline constexpr std::int64_t kIrVersion = 7;  // ONNX 1.8, the release that introduced opset 13
inline constexpr std::int64_t kOpsetVersion = 13;

// A node attribute: one float, one int or a list of ints (all that dlfs's operators need).
struct Attribute {
  enum class Kind { Float, Int, Ints };
  std::string name;
  Kind kind = Kind::Int;
  float f = 0;
  std::int64_t i = 0;
  std::vector<std::int64_t> ints;

  static Attribute of_float(std::string n, float v) { return {std::move(n), Kind::Float, v, 0, {}}; }
  static Attribute of_int(std::string n, std::int64_t v) { return {std::move(n), Kind::Int, 0, v, {}}; }
  static Attribute of_ints(std::string n, std::vector<std::int64_t> v) {
    return {std::move(n), Kind::Ints, 0, 0, std::move(v)};
  }
};

// One dimension of a graph input or output: a fixed size, or a symbolic one ("N") when param is
// not empty, so the batch size is left to the runtime.
struct Dim {
  std::int64_t value = 0;
  std::string param;
};

class Graph {
 public:
  explicit Graph(std::string name) : name_(std::move(name)) {}

  // Graph inputs and outputs, all float32.
  void add_input(const std::string& name, const std::vector<Dim>& dims);
  void add_output(const std::string& name, const std::vector<Dim>& dims);
  // A constant tensor stored in the file. Throws std::invalid_argument unless the dims' product
  // is data.size().
  void add_initializer(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& data);
  void add_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                       const std::vector<std::int64_t>& data);
  // Nodes must be added in an order where every input exists already (ONNX wants them sorted).
  void add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                const std::vector<std::string>& outputs, const std::vector<Attribute>& attributes = {},
                const std::string& name = "");

  std::size_t node_count() const { return nodes_.size(); }
  const std::vector<std::string>& op_types() const { return op_types_; }

  // The whole ModelProto. metadata becomes metadata_props (key, value) pairs.
  std::string model_bytes(const std::string& producer_name,
                          const std::vector<std::pair<std::string, std::string>>& metadata = {}) const;

 private:
  std::string name_;
  std::vector<std::string> nodes_, initializers_, inputs_, outputs_;  // serialised messages
  std::vector<std::string> op_types_;
};

}  // namespace dlfs::onnx
