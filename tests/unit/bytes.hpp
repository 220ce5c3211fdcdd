// Hand-built wire bytes for unit tests.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace zkdump::test {

class Bytes {
 public:
  Bytes& i32(std::int32_t v) {
    const auto u = static_cast<std::uint32_t>(v);
    const std::uint8_t be[4] = {static_cast<std::uint8_t>(u >> 24),
                                static_cast<std::uint8_t>(u >> 16),
                                static_cast<std::uint8_t>(u >> 8), static_cast<std::uint8_t>(u)};
    return put(be, sizeof be);
  }
  Bytes& i64(std::int64_t v) {
    i32(static_cast<std::int32_t>(static_cast<std::uint64_t>(v) >> 32));
    return i32(static_cast<std::int32_t>(v & 0xffffffff));
  }
  Bytes& boolean(bool v) {
    const std::uint8_t byte = v ? 1 : 0;
    return put(&byte, 1);
  }
  Bytes& str(std::string_view s) {
    i32(static_cast<std::int32_t>(s.size()));
    return raw(s);
  }
  Bytes& raw(std::string_view s) { return put(s.data(), s.size()); }
  Bytes& append(const Bytes& other) { return put(other.data.data(), other.data.size()); }
  // The frame: a 4-byte length prefix, then these bytes.
  Bytes framed() const {
    Bytes out;
    out.i32(static_cast<std::int32_t>(data.size()));
    return out.append(*this);
  }
  std::vector<std::uint8_t> data;

 private:
  // One way in for every byte, out of line: g++ 12 at -O3 (a Release build), seeing vector growth
  // inlined after a few small appends, warns of overflows that cannot happen (-Wstringop-overflow,
  // -Warray-bounds).
  [[gnu::noinline]] Bytes& put(const void* bytes, std::size_t size) {
    const auto* first = static_cast<const std::uint8_t*>(bytes);
    data.insert(data.end(), first, first + size);
    return *this;
  }
};

}  // namespace zkdump::test
