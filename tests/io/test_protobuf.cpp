// The hand-written protobuf encoder behind dlfs's ONNX files, against bytes worked out from the
// protobuf encoding spec (the ONNX files as a whole are checked by real tools in
// tests/integration/test_onnx.cpp).
#include <gtest/gtest.h>

#include <string>

#include "dlfs/io/onnx.hpp"
#include "dlfs/io/protobuf.hpp"

using dlfs::protobuf::Message;

namespace {
std::string hex(const std::string& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    if (!s.empty()) s += ' ';
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}
}  // namespace

TEST(Protobuf, VarintsAsTheSpecEncodesThem) {
  EXPECT_EQ(hex(Message().varint(1, 0).bytes()), "08 00");
  EXPECT_EQ(hex(Message().varint(1, 150).bytes()), "08 96 01");  // the spec's own example
  EXPECT_EQ(hex(Message().varint(2, 300).bytes()), "10 ac 02");
  // int64 -1: sign-extended to ten bytes (int64, not zigzag sint64).
  EXPECT_EQ(hex(Message().int64(1, -1).bytes()), "08 ff ff ff ff ff ff ff ff ff 01");
  // A field number past 15 takes a two-byte key: 20 << 3 = 160.
  EXPECT_EQ(hex(Message().varint(20, 7).bytes()), "a0 01 07");
}

TEST(Protobuf, FloatsStringsAndNestedMessages) {
  EXPECT_EQ(hex(Message().float32(2, 1.0f).bytes()), "15 00 00 80 3f");
  EXPECT_EQ(hex(Message().bytes(2, "testing").bytes()), "12 07 74 65 73 74 69 6e 67");
  Message inner;
  inner.varint(1, 150);
  EXPECT_EQ(hex(Message().message(3, inner).bytes()), "1a 03 08 96 01");
  EXPECT_EQ(hex(Message().bytes(4, "").bytes()), "22 00");
}

TEST(Protobuf, InitializerSizesMustMatchTheirDims) {
  dlfs::onnx::Graph g("g");
  EXPECT_THROW(g.add_initializer("W", {2, 3}, std::vector<float>(5)), std::invalid_argument);
  EXPECT_NO_THROW(g.add_initializer("W", {2, 3}, std::vector<float>(6)));
}
