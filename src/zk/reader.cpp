#include "zkdump/zk/reader.hpp"

namespace zkdump::zk {

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
