// A bounded reader for TLS handshake structures, shared by the ClientHello and the server's
// messages.
#pragma once

#include <algorithm>
#include <cstdint>

#include "zkdump/base/bytes.hpp"

namespace zkdump::tls {

// Reads forward through bytes it never leaves; a read past the end yields zeros (or what is
// left) and marks the cursor short, so decoding ends early and says so instead of failing.
class Cursor {
 public:
  explicit Cursor(ByteSpan bytes) : rest_(bytes) {}

  bool empty() const { return rest_.empty(); }
  bool whole() const { return whole_; }
  std::size_t size() const { return rest_.size(); }

  std::uint32_t number(std::size_t width) {
    if (rest_.size() < width) {
      whole_ = false;
      rest_ = {};
      return 0;
    }
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < width; ++i) value = value << 8 | rest_[i];
    rest_ = rest_.subspan(width);
    return value;
  }
  // The next `count` bytes, or what is left of them.
  ByteSpan take(std::size_t count) {
    if (rest_.size() < count) whole_ = false;
    const ByteSpan taken = rest_.first(std::min(count, rest_.size()));
    rest_ = rest_.subspan(taken.size());
    return taken;
  }

 private:
  ByteSpan rest_;
  bool whole_ = true;
};

}  // namespace zkdump::tls
