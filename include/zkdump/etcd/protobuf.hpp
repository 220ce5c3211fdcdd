// The protobuf wire format, read in place and bounded: a varint is at most 10 bytes, a length
// never runs past its message, groups (deprecated, unused by etcd) end the read.
#pragma once

#include <cstdint>

#include "zkdump/base/bytes.hpp"

namespace zkdump::etcd::pb {

enum class WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

struct Field {
  std::uint32_t number = 0;
  WireType type = WireType::kVarint;
  std::uint64_t value = 0;  // varint and fixed fields
  ByteSpan bytes;           // length-delimited fields
};

class Reader {
 public:
  explicit Reader(ByteSpan message) : rest_(message) {}
  // The next field; false at the end of the message or at bytes that are not a field, which
  // malformed() then tells apart.
  bool next(Field& field);
  bool malformed() const { return malformed_; }
  bool at_end() const { return rest_.empty(); }
  std::size_t left() const { return rest_.size(); }

 private:
  bool varint(std::uint64_t& value);
  bool fail() {
    malformed_ = true;
    rest_ = {};
    return false;
  }
  ByteSpan rest_;
  bool malformed_ = false;
};

}  // namespace zkdump::etcd::pb
