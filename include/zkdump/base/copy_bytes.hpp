#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace zkdump {

// `size` bytes, sizeof(Word) to 2 * sizeof(Word) of them, as a first and a last Word that
// overlap: two loads and two stores whatever the size.
template <typename Word>
void copy_as_two_words(char* to, const char* from, std::size_t size) {
  Word head{};
  Word tail{};
  std::memcpy(&head, from, sizeof head);
  std::memcpy(&tail, from + size - sizeof tail, sizeof tail);
  std::memcpy(to, &head, sizeof head);
  std::memcpy(to + size - sizeof tail, &tail, sizeof tail);
}

// Copies `bytes` to `to`. Most pieces of a line are a few bytes long, for which a call to the
// library's memcpy, or the `rep movs` the compiler may put inline, costs more than the copy:
// up to 16 bytes move as fixed-size words, which compile to plain moves.
inline void copy_bytes(char* to, std::string_view bytes) {
  const std::size_t size = bytes.size();
  const char* from = bytes.data();
  if (size > 16) {
    std::memcpy(to, from, size);
  } else if (size >= 8) {
    copy_as_two_words<std::uint64_t>(to, from, size);
  } else if (size >= 4) {
    copy_as_two_words<std::uint32_t>(to, from, size);
  } else if (size > 0) {
    to[0] = from[0];
    to[size / 2] = from[size / 2];
    to[size - 1] = from[size - 1];
  }
}

}  // namespace zkdump
