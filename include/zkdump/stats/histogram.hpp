// Latency histogram with logarithmic buckets 2% wide, so any percentile it reports is within
// 1% of the exact value, in constant memory however many samples arrive.
#pragma once

#include <array>
#include <cstdint>

#include <fmt/format.h>

#include "zkdump/base/json_writer.hpp"

namespace zkdump::stats {

class LatencyHistogram {
 public:
  void add(std::int64_t micros);
  std::uint64_t count() const { return count_; }
  std::int64_t min() const { return count_ == 0 ? 0 : min_; }
  std::int64_t max() const { return max_; }
  double mean() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }
  // The q-quantile (0 < q <= 1) in microseconds: the nearest-rank sample's bucket, as the
  // geometric middle of the bucket, clamped to the exact min and max.
  double percentile(double q) const;

  static constexpr int kBuckets = 1400;  // 1.02^1400 µs is far beyond any latency
  // Bucket 0 holds 0 µs; bucket i >= 1 holds [1.02^(i-1), 1.02^i), the last also all beyond.
  // bucket_by_log is the definition; bucket_of gives the same answer without a logarithm.
  static int bucket_by_log(std::int64_t micros);
  static int bucket_of(std::int64_t micros);

 private:
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::int64_t sum_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

// {"count":..,"min_us":..,"avg_us":..,"p50_us":..,"p90_us":..,"p99_us":..,"p999_us":..,"max_us":..}
void write_latency_json(JsonWriter& json, const LatencyHistogram& histogram);

}  // namespace zkdump::stats
