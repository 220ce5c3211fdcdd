// The busiest keys of one kind (paths, clients) by requests and by bytes, with each key's reply
// latency, in a fixed number of rows: the "top" tables of --stats and --top.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "zkdump/base/heavy_hitters.hpp"

namespace zkdump::stats {

class KeyRanking {
 public:
  // A key's figures since it took its row (all of them, when its row's error is 0).
  struct Figures {
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
    std::uint64_t replies = 0;
    std::int64_t latency_sum_us = 0;
  };
  using Table = HeavyHitters<Figures>;
  // Where a key's rows were: kept with a request (in 64 bits) until its reply.
  struct Handles {
    Table::Handle by_requests = Table::kNone;
    Table::Handle by_bytes = Table::kNone;
    std::uint64_t packed() const { return std::uint64_t{by_requests} << 32 | by_bytes; }
    static Handles unpack(std::uint64_t bits) {
      return {static_cast<Table::Handle>(bits >> 32), static_cast<Table::Handle>(bits)};
    }
  };

  explicit KeyRanking(std::size_t rows)
      : by_requests_(rows), by_bytes_(rows, by_requests_.hash()) {}

  // Counts a request of `bytes` for `key`.
  Handles request(std::string_view key, std::uint64_t bytes);
  // The same through `handles`, made by an earlier request of the key, re-found by `key` where
  // the key has lost its row since.
  void request(Handles& handles, std::string_view key, std::uint64_t bytes);
  // A reply of `bytes` to a request of `key`, `latency_us` after it (negative: not timed).
  void reply(Handles& handles, std::string_view key, std::uint64_t bytes, std::int64_t latency_us);

  enum class Measure : std::uint8_t { kRequests, kBytes, kLatency };
  // A key's figures since it took its row: what it had at least. Its ranked figure (requests or
  // bytes) may have been up to `uncertain` more, counted before, when it had no row.
  struct Row {
    std::string_view key;
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
    double average_latency_us = 0;
    std::uint64_t uncertain = 0;
  };
  // The `limit` keys with the most of `measure` (what they had at least); by latency, among the
  // keys kept by requests.
  std::vector<Row> top(Measure measure, std::size_t limit) const;
  // The most requests (or bytes) a key not in the table may have had.
  std::uint64_t unlisted_bound(Measure measure) const;
  std::size_t rows() const { return by_requests_.capacity(); }
  void reset_counts();

 private:
  Table by_requests_;
  Table by_bytes_;
};

}  // namespace zkdump::stats
