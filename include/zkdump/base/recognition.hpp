// What protocol detection asks of each family's recognizer: given a connection's first bytes,
// how strongly do they say "mine". Each protocol module answers for its own family; the session
// stage's detection table weighs the answers (session/detection.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "zkdump/base/bytes.hpp"

namespace zkdump {

enum class Evidence : std::uint8_t {
  kRuledOut,     // the bytes held contradict the family
  kTooFewBytes,  // nothing contradicts it yet, nothing confirms it either
  kWeak,         // consistent with it: enough on a port that hints at it
  kStrong,       // enough on any port
};

struct Recognition {
  Evidence evidence = Evidence::kTooFewBytes;
  bool reversed = false;  // the guessed client is the server: the bytes flow the other way
  std::string_view what;  // names the evidence ("connect_request"), from a static table
  bool settled = false;   // more bytes cannot make it stronger (a request line read whole)
};

// A connection's first bytes as detection holds them, per direction (0: from the endpoint
// guessed to be the client), with where each captured chunk began: writes start messages, so a
// connection joined mid-way is most likely aligned at one of them.
struct FirstBytes {
  static constexpr std::size_t kMaxStarts = 8;
  std::array<ByteSpan, 2> bytes{};
  std::array<std::array<std::uint32_t, kMaxStarts>, 2> starts{};
  std::array<std::uint8_t, 2> start_count{};
  bool from_start = false;  // the SYN was seen: offset 0 is the connection's first byte

  std::span<const std::uint32_t> starts_of(int side) const {
    return {starts[static_cast<std::size_t>(side)].data(),
            start_count[static_cast<std::size_t>(side)]};
  }
};

// The stronger of two recognitions; ties keep the first.
inline Recognition stronger(const Recognition& a, const Recognition& b) {
  return b.evidence > a.evidence ? b : a;
}

}  // namespace zkdump
