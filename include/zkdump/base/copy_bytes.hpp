#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace zkdump {

// Copies `bytes` to `to`. Most pieces of a line are a few bytes long, for which a call to the
// library's memcpy, or the `rep movs` the compiler may put inline, costs more than the copy:
// up to 16 bytes move as two overlapping words of a fixed size, which compile to plain moves.
inline void copy_bytes(char* to, std::string_view bytes) {
  const std::size_t size = bytes.size();
  const char* from = bytes.data();
  if (size > 16) {
    std::memcpy(to, from, size);
  } else if (size >= 8) {
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    std::memcpy(&head, from, 8);
    std::memcpy(&tail, from + size - 8, 8);
    std::memcpy(to, &head, 8);
    std::memcpy(to + size - 8, &tail, 8);
  } else if (size >= 4) {
    std::uint32_t head = 0;
    std::uint32_t tail = 0;
    std::memcpy(&head, from, 4);
    std::memcpy(&tail, from + size - 4, 4);
    std::memcpy(to, &head, 4);
    std::memcpy(to + size - 4, &tail, 4);
  } else if (size > 0) {
    to[0] = from[0];
    to[size / 2] = from[size / 2];
    to[size - 1] = from[size - 1];
  }
}

}  // namespace zkdump
