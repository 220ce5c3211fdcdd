#include "zkdump/stats/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace zkdump::stats {
namespace {

constexpr double kGrowth = 1.02;
const double kLogGrowth = std::log(kGrowth);

// Bucket 0 holds 0 µs; bucket i >= 1 holds [1.02^(i-1), 1.02^i).
int bucket_of(std::int64_t micros, int buckets) {
  if (micros <= 0) return 0;
  const int index =
      1 + static_cast<int>(std::floor(std::log(static_cast<double>(micros)) / kLogGrowth));
  return std::min(index, buckets - 1);
}

}  // namespace

void LatencyHistogram::add(std::int64_t micros) {
  micros = std::max<std::int64_t>(micros, 0);
  ++buckets_[static_cast<std::size_t>(bucket_of(micros, kBuckets))];
  if (count_ == 0 || micros < min_) min_ = micros;
  max_ = std::max(max_, micros);
  sum_ += micros;
  ++count_;
}

double LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0.0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[static_cast<std::size_t>(i)];
    if (seen >= std::max<std::uint64_t>(rank, 1)) {
      if (i == 0) return 0.0;
      const double middle = std::pow(kGrowth, static_cast<double>(i) - 0.5);
      return std::clamp(middle, static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

void write_latency_json(fmt::memory_buffer& out, const LatencyHistogram& h) {
  fmt::format_to(fmt::appender(out),
                 "{{\"count\":{},\"min_us\":{},\"avg_us\":{:.1f},\"p50_us\":{:.1f},"
                 "\"p90_us\":{:.1f},\"p99_us\":{:.1f},\"p999_us\":{:.1f},\"max_us\":{}}}",
                 h.count(), h.min(), h.mean(), h.percentile(0.5), h.percentile(0.9),
                 h.percentile(0.99), h.percentile(0.999), h.max());
}

}  // namespace zkdump::stats
