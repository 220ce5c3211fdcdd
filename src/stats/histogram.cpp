#include "zkdump/stats/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace zkdump::stats {
namespace {

constexpr double kGrowth = 1.02;
const double kLogGrowth = std::log(kGrowth);

// Finds buckets without a logarithm. From 128 µs up, the six bits after the leading one cut each
// power of two into 64 ranges, each less than 2% wide: a range starting in bucket g reaches at
// most into g + 1, and that bucket's least value decides. Below 128 µs, a table says.
class BucketIndex {
 public:
  static constexpr int kBuckets = LatencyHistogram::kBuckets;

  BucketIndex() {
    for (int i = 1; i < kBuckets; ++i) least_[i] = least_in(i);
    for (std::int64_t micros = 0; micros < kSmall; ++micros) {
      small_[micros] = static_cast<std::uint16_t>(LatencyHistogram::bucket_by_log(micros));
    }
    for (int width = kSmallWidth + 1; width < 64; ++width) {
      for (std::int64_t range = 0; range < kRanges; ++range) {
        const std::int64_t start = (kRanges + range) << (width - 1 - kRangeBits);
        by_range_[width][range] =
            static_cast<std::uint16_t>(LatencyHistogram::bucket_by_log(start));
      }
    }
  }

  int of(std::int64_t micros) const {
    if (micros < kSmall) return micros <= 0 ? 0 : small_[micros];
    const auto width = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(micros)));
    const std::int64_t range = (micros >> (width - 1 - kRangeBits)) & (kRanges - 1);
    const int bucket = by_range_[width][range];
    return bucket + 1 < kBuckets && micros >= least_[bucket + 1] ? bucket + 1 : bucket;
  }

 private:
  static constexpr int kRangeBits = 6;
  static constexpr std::int64_t kRanges = std::int64_t{1} << kRangeBits;
  static constexpr int kSmallWidth = kRangeBits + 1;
  static constexpr std::int64_t kSmall = std::int64_t{1} << kSmallWidth;

  // The least value whose bucket is `bucket` or above: 1.02^(bucket-1), give or take rounding.
  static std::int64_t least_in(int bucket) {
    auto micros = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::ceil(std::pow(kGrowth, bucket - 1))));
    while (micros > 1 && LatencyHistogram::bucket_by_log(micros - 1) >= bucket) --micros;
    while (LatencyHistogram::bucket_by_log(micros) < bucket) ++micros;
    return micros;
  }

  std::array<std::int64_t, kBuckets> least_{};
  std::array<std::uint16_t, kSmall> small_{};
  std::array<std::array<std::uint16_t, kRanges>, 64> by_range_{};
};

}  // namespace

int LatencyHistogram::bucket_by_log(std::int64_t micros) {
  if (micros <= 0) return 0;
  const int index =
      1 + static_cast<int>(std::floor(std::log(static_cast<double>(micros)) / kLogGrowth));
  return std::min(index, kBuckets - 1);
}

int LatencyHistogram::bucket_of(std::int64_t micros) {
  static const BucketIndex index;
  return index.of(micros);
}

void LatencyHistogram::add(std::int64_t micros) {
  micros = std::max<std::int64_t>(micros, 0);
  ++buckets_[static_cast<std::size_t>(bucket_of(micros))];
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

void write_latency_json(JsonWriter& json, const LatencyHistogram& h) {
  json.begin_object();
  json.member("count", h.count());
  json.member("min_us", h.min());
  json.key("avg_us").fixed(h.mean(), 1);
  json.key("p50_us").fixed(h.percentile(0.5), 1);
  json.key("p90_us").fixed(h.percentile(0.9), 1);
  json.key("p99_us").fixed(h.percentile(0.99), 1);
  json.key("p999_us").fixed(h.percentile(0.999), 1);
  json.member("max_us", h.max());
  json.end_object();
}

}  // namespace zkdump::stats
