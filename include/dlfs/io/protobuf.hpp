// The part of the protocol-buffers wire format that writing an ONNX file needs, by hand: varints,
// 32-bit floats and length-delimited fields (strings, bytes, nested messages). dlfs only ever
// writes protobuf, never parses it, so this is all there is; it spares embedders libprotobuf and
// a protoc step in the build (the same choice as dlib's ONNX exporter).
//
// A message is built as the concatenation of its fields, each a key (field number << 3 | wire
// type) followed by the value: varint (type 0) for integers, enums and bools; 4 little-endian
// bytes (type 5) for float; length varint + bytes (type 2) for strings, bytes and sub-messages.
// Negative int64 values are sign-extended to 10 bytes, as protobuf's int64 (not sint64) wants.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace dlfs::protobuf {

// Appends v as a base-128 varint, least significant group first.
inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// One message being written: call the field methods in any order, then take bytes().
class Message {
 public:
  Message& varint(int field, std::uint64_t v) {
    key(field, 0);
    put_varint(out_, v);
    return *this;
  }
  Message& int64(int field, std::int64_t v) { return varint(field, static_cast<std::uint64_t>(v)); }
  Message& float32(int field, float v) {
    key(field, 5);
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
    return *this;
  }
  Message& bytes(int field, std::string_view b) {
    key(field, 2);
    put_varint(out_, b.size());
    out_.append(b);
    return *this;
  }
  Message& message(int field, const Message& m) { return bytes(field, m.bytes()); }
  const std::string& bytes() const { return out_; }

 private:
  void key(int field, int wire_type) {
    put_varint(out_, (static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire_type));
  }
  std::string out_;
};

}  // namespace dlfs::protobuf
