// Views of wire bytes, and big-endian loads. Every protocol module reads through these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace zkdump {

using ByteSpan = std::span<const std::uint8_t>;

// A string or buffer from the wire, viewed in place. `is_null` tells a jute null (length -1)
// from an empty value.
struct WireBytes {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  bool is_null = false;

  std::string_view view() const { return {reinterpret_cast<const char*>(data), size}; }
  static WireBytes of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), false};
  }
};

inline std::int32_t load_be32(const std::uint8_t* p) {
  return static_cast<std::int32_t>((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                   (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]});
}

inline std::int64_t load_be64(const std::uint8_t* p) {
  const auto high = static_cast<std::uint32_t>(load_be32(p));
  const auto low = static_cast<std::uint32_t>(load_be32(p + 4));
  return static_cast<std::int64_t>((std::uint64_t{high} << 32) | low);
}

}  // namespace zkdump
