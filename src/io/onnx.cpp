#include "dlfs/io/onnx.hpp"

#include <bit>
#include <cstring>
#include <stdexcept>

#include "dlfs/io/protobuf.hpp"

namespace dlfs::onnx {

namespace {

using protobuf::Message;

// Field numbers and enum values of onnx/onnx.proto.
namespace f {
constexpr int kModelIrVersion = 1, kModelProducerName = 2, kModelGraph = 7, kModelOpsetImport = 8,
              kModelMetadata = 14;
constexpr int kOpsetVersion = 2;
constexpr int kEntryKey = 1, kEntryValue = 2;
constexpr int kGraphNode = 1, kGraphName = 2, kGraphInitializer = 5, kGraphInput = 11, kGraphOutput = 12;
constexpr int kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5;
constexpr int kAttrName = 1, kAttrF = 2, kAttrI = 3, kAttrInts = 8, kAttrType = 20;
constexpr int kAttrTypeFloat = 1, kAttrTypeInt = 2, kAttrTypeInts = 7;
constexpr int kTensorDims = 1, kTensorDataType = 2, kTensorName = 8, kTensorRawData = 9;
constexpr int kDataTypeFloat = 1, kDataTypeInt64 = 7;
constexpr int kValueInfoName = 1, kValueInfoType = 2;
constexpr int kTypeTensorType = 1, kTensorTypeElemType = 1, kTensorTypeShape = 2;
constexpr int kShapeDim = 1, kDimValue = 1, kDimParam = 2;
}  // namespace f

std::string value_info(const std::string& name, const std::vector<Dim>& dims) {
  Message shape;
  for (const Dim& d : dims) {
    Message dim;
    if (d.param.empty())
      dim.int64(f::kDimValue, d.value);
    else
      dim.bytes(f::kDimParam, d.param);
    shape.message(f::kShapeDim, dim);
  }
  Message tensor;
  tensor.varint(f::kTensorTypeElemType, f::kDataTypeFloat).message(f::kTensorTypeShape, shape);
  Message type;
  type.message(f::kTypeTensorType, tensor);
  Message vi;
  vi.bytes(f::kValueInfoName, name).message(f::kValueInfoType, type);
  return vi.bytes();
}

// raw_data is little-endian whatever the host; element by element so it is on any host.
template <class V>
std::string little_endian_bytes(const std::vector<V>& data) {
  std::string raw(data.size() * sizeof(V), '\0');
  if constexpr (std::endian::native == std::endian::little) {
    if (!data.empty()) std::memcpy(raw.data(), data.data(), raw.size());
  } else {
    for (std::size_t k = 0; k < data.size(); ++k) {
      unsigned char b[sizeof(V)];
      std::memcpy(b, &data[k], sizeof(V));
      for (std::size_t j = 0; j < sizeof(V); ++j) raw[k * sizeof(V) + j] = static_cast<char>(b[sizeof(V) - 1 - j]);
    }
  }
  return raw;
}

template <class V>
std::string tensor_proto(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<V>& data,
                         int data_type) {
  std::size_t n = 1;
  for (std::int64_t d : dims) {
    if (d < 0) throw std::invalid_argument("ONNX initializer " + name + ": negative dimension");
    n *= static_cast<std::size_t>(d);
  }
  if (n != data.size())
    throw std::invalid_argument("ONNX initializer " + name + ": dims hold " + std::to_string(n) + " values, data has " +
                                std::to_string(data.size()));
  Message t;
  for (std::int64_t d : dims) t.int64(f::kTensorDims, d);
  t.varint(f::kTensorDataType, static_cast<std::uint64_t>(data_type));
  t.bytes(f::kTensorName, name);
  t.bytes(f::kTensorRawData, little_endian_bytes(data));
  return t.bytes();
}

}  // namespace

void Graph::add_input(const std::string& name, const std::vector<Dim>& dims) { inputs_.push_back(value_info(name, dims)); }

void Graph::add_output(const std::string& name, const std::vector<Dim>& dims) {
  outputs_.push_back(value_info(name, dims));
}

void Graph::add_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                            const std::vector<float>& data) {
  initializers_.push_back(tensor_proto(name, dims, data, f::kDataTypeFloat));
}

void Graph::add_initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                            const std::vector<std::int64_t>& data) {
  initializers_.push_back(tensor_proto(name, dims, data, f::kDataTypeInt64));
}

void Graph::add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                     const std::vector<std::string>& outputs, const std::vector<Attribute>& attributes,
                     const std::string& name) {
  Message node;
  for (const auto& in : inputs) node.bytes(f::kNodeInput, in);
  for (const auto& out : outputs) node.bytes(f::kNodeOutput, out);
  if (!name.empty()) node.bytes(f::kNodeName, name);
  node.bytes(f::kNodeOpType, op_type);
  for (const Attribute& a : attributes) {
    Message attr;
    attr.bytes(f::kAttrName, a.name);
    switch (a.kind) {
      case Attribute::Kind::Float:
        attr.float32(f::kAttrF, a.f).varint(f::kAttrType, f::kAttrTypeFloat);
        break;
      case Attribute::Kind::Int:
        attr.int64(f::kAttrI, a.i).varint(f::kAttrType, f::kAttrTypeInt);
        break;
      case Attribute::Kind::Ints:
        // Unpacked (one key per value): onnx.proto is proto2, where that is the default encoding.
        for (std::int64_t v : a.ints) attr.int64(f::kAttrInts, v);
        attr.varint(f::kAttrType, f::kAttrTypeInts);
        break;
    }
    node.message(f::kNodeAttribute, attr);
  }
  nodes_.push_back(node.bytes());
  op_types_.push_back(op_type);
}

std::string Graph::model_bytes(const std::string& producer_name,
                               const std::vector<std::pair<std::string, std::string>>& metadata) const {
  Message graph;
  for (const auto& n : nodes_) graph.bytes(f::kGraphNode, n);
  graph.bytes(f::kGraphName, name_);
  for (const auto& t : initializers_) graph.bytes(f::kGraphInitializer, t);
  for (const auto& v : inputs_) graph.bytes(f::kGraphInput, v);
  for (const auto& v : outputs_) graph.bytes(f::kGraphOutput, v);

  Message opset;  // domain left out: the default ("" = ai.onnx)
  opset.int64(f::kOpsetVersion, kOpsetVersion);
  Message model;
  model.int64(f::kModelIrVersion, kIrVersion);
  model.bytes(f::kModelProducerName, producer_name);
  model.message(f::kModelGraph, graph);
  model.message(f::kModelOpsetImport, opset);
  for (const auto& [k, v] : metadata) {
    Message e;
    e.bytes(f::kEntryKey, k).bytes(f::kEntryValue, v);
    model.message(f::kModelMetadata, e);
  }
  return model.bytes();
}

}  // namespace dlfs::onnx
