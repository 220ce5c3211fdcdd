// Hand-built wire bytes for unit tests.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace zkdump::test {

class Bytes {
 public:
  Bytes& i32(std::int32_t v) {
    for (int s = 24; s >= 0; s -= 8)
      data.push_back(static_cast<std::uint8_t>(static_cast<std::uint32_t>(v) >> s));
    return *this;
  }
  Bytes& i64(std::int64_t v) {
    i32(static_cast<std::int32_t>(static_cast<std::uint64_t>(v) >> 32));
    return i32(static_cast<std::int32_t>(v & 0xffffffff));
  }
  Bytes& boolean(bool v) {
    data.push_back(v ? 1 : 0);
    return *this;
  }
  Bytes& str(std::string_view s) {
    i32(static_cast<std::int32_t>(s.size()));
    data.insert(data.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(std::string_view s) {
    data.insert(data.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& append(const Bytes& other) {
    data.insert(data.end(), other.data.begin(), other.data.end());
    return *this;
  }
  // The frame: a 4-byte length prefix, then these bytes.
  Bytes framed() const {
    Bytes out;
    out.i32(static_cast<std::int32_t>(data.size()));
    out.data.insert(out.data.end(), data.begin(), data.end());
    return out;
  }
  std::vector<std::uint8_t> data;
};

}  // namespace zkdump::test
