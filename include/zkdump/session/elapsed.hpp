// Time between two capture timestamps. Captures made on several CPUs, or merged from several
// capture points, may record an answer a little earlier than its question: such a latency is 0,
// never negative.
#pragma once

#include <algorithm>
#include <cstdint>

namespace zkdump::session {

inline std::int64_t elapsed_us(std::int64_t since_us, std::int64_t until_us) {
  return std::max<std::int64_t>(0, until_us - since_us);
}

}  // namespace zkdump::session
