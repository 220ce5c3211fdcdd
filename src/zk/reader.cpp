#include "zkdump/zk/reader.hpp"

namespace zkdump::zk {

std::int32_t load_be32(const std::uint8_t* p) {
  return static_cast<std::int32_t>((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                   (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]});
}

std::int64_t load_be64(const std::uint8_t* p) {
  const auto high = static_cast<std::uint32_t>(load_be32(p));
  const auto low = static_cast<std::uint32_t>(load_be32(p + 4));
  return static_cast<std::int64_t>((std::uint64_t{high} << 32) | low);
}

bool Reader::take(std::size_t count, const std::uint8_t*& out) {
  if (!ok() || remaining() < count) {
    fail();
    return false;
  }
  out = cursor_;
  cursor_ += count;
  return true;
}

std::int32_t Reader::int32() {
  const std::uint8_t* p = nullptr;
  return take(4, p) ? load_be32(p) : 0;
}

std::int64_t Reader::int64() {
  const std::uint8_t* p = nullptr;
  return take(8, p) ? load_be64(p) : 0;
}

bool Reader::boolean() {
  const std::uint8_t* p = nullptr;
  return take(1, p) && *p != 0;
}

WireBytes Reader::bytes() {
  const std::int32_t length = int32();
  if (!ok()) return {};
  if (length == -1) return {nullptr, 0, true};
  const std::uint8_t* p = nullptr;
  if (length < 0 || !take(static_cast<std::size_t>(length), p)) {
    fail();
    return {};
  }
  return {p, static_cast<std::size_t>(length), false};
}

std::int32_t Reader::vector_count(std::size_t min_element_size) {
  const std::int32_t count = int32();
  if (!ok() || count == -1) return 0;
  if (count < 0 || static_cast<std::size_t>(count) * min_element_size > remaining()) {
    fail();
    return 0;
  }
  return count;
}

void Reader::skip(std::size_t count) {
  const std::uint8_t* p = nullptr;
  take(count, p);
}

}  // namespace zkdump::zk
