// The one bounded big-endian reader every ZooKeeper record parser uses.
#pragma once

#include <cstddef>
#include <cstdint>

#include "zkdump/base/bytes.hpp"

namespace zkdump::zk {

// Every read is checked. A failed read latches the reader into a failed state that reports
// the offset of the first read that did not fit, so callers check once at the end.
class Reader {
 public:
  explicit Reader(ByteSpan bytes)
      : begin_(bytes.data()), cursor_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  // Inline: every record field goes through these.
  std::int32_t int32() {
    const std::uint8_t* p = nullptr;
    return take(4, p) ? load_be32(p) : 0;
  }
  std::int64_t int64() {
    const std::uint8_t* p = nullptr;
    return take(8, p) ? load_be64(p) : 0;
  }
  bool boolean() {
    const std::uint8_t* p = nullptr;
    return take(1, p) && *p != 0;
  }
  WireBytes bytes();  // ustring and buffer share one encoding
  // A vector's element count; -1 (null) reads as 0. A count that cannot fit in what is left,
  // given each element takes at least min_element_size bytes, fails the reader.
  std::int32_t vector_count(std::size_t min_element_size);
  void skip(std::size_t count);

  bool ok() const { return failure_offset_ < 0; }
  bool at_end() const { return cursor_ == end_; }
  // True when the record consumed exactly the bytes it was given.
  bool complete() const { return ok() && at_end(); }
  std::size_t offset() const { return static_cast<std::size_t>(cursor_ - begin_); }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - cursor_); }
  std::int64_t failure_offset() const { return failure_offset_; }
  void fail() {
    if (ok()) failure_offset_ = static_cast<std::int64_t>(offset());
  }

 private:
  bool take(std::size_t count, const std::uint8_t*& out) {
    if (!ok() || remaining() < count) {
      fail();
      return false;
    }
    out = cursor_;
    cursor_ += count;
    return true;
  }

  const std::uint8_t* begin_;
  const std::uint8_t* cursor_;
  const std::uint8_t* end_;
  std::int64_t failure_offset_ = -1;
};

}  // namespace zkdump::zk
