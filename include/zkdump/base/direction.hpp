// Which way bytes flow on a connection: one spelling for every stage, from reassembly to sinks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zkdump {

enum class Direction : std::uint8_t { kToServer = 0, kToClient = 1 };

inline constexpr Direction opposite(Direction direction) {
  return direction == Direction::kToServer ? Direction::kToClient : Direction::kToServer;
}
// For arrays of two, one per direction.
inline constexpr std::size_t index_of(Direction direction) {
  return static_cast<std::size_t>(direction);
}

}  // namespace zkdump
