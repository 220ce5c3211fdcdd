// A hash for keys that come off the wire, seeded per table.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>

namespace zkdump {

// Eight bytes at a time, multiply and fold, from a seed chosen per table: keys come off the
// wire, and a fixed hash would let a client choose keys that all collide.
class SeededHash {
 public:
  std::uint64_t operator()(std::string_view key) const {
    std::uint64_t hash = seed_ ^ (key.size() * 0x9e3779b97f4a7c15ull);
    const char* p = key.data();
    std::size_t left = key.size();
    for (; left >= 8; p += 8, left -= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      hash = (hash ^ word) * 0xff51afd7ed558ccdull;
      hash ^= hash >> 32;
    }
    std::uint64_t tail = 0;
    if (left > 0 && key.size() >= 8) {  // the last eight bytes, shifted to the ones not hashed
      std::memcpy(&tail, p + left - 8, 8);
      tail >>= 8 * (8 - left);
    } else {
      for (std::size_t i = 0; i < left; ++i) {
        tail |= std::uint64_t{static_cast<std::uint8_t>(p[i])} << (8 * i);
      }
    }
    // splitmix64's finalizer: every bit of the key reaches the low bits a table masks, where
    // one multiply would leave them to the key's first bytes (paths differ at their ends).
    hash ^= tail;
    hash = (hash ^ (hash >> 30)) * 0xbf58476d1ce4e5b9ull;
    hash = (hash ^ (hash >> 27)) * 0x94d049bb133111ebull;
    return hash ^ (hash >> 31);
  }

 private:
  static std::uint64_t random_seed() {
    std::random_device source;
    return (std::uint64_t{source()} << 32) | source();
  }
  std::uint64_t seed_ = random_seed();
};

}  // namespace zkdump
