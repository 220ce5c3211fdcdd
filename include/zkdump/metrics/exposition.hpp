// The Prometheus text exposition format (version 0.0.4): families with HELP and TYPE lines,
// samples with escaped label values, and histograms with fixed buckets that add up across hosts.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace zkdump::metrics {

// Upper bounds of the latency buckets, in microseconds: 100 µs to 10 s, three per decade.
inline constexpr std::array<std::int64_t, 16> kDurationBucketsUs = {
    100,    250,     500,     1'000,   2'500,     5'000,     10'000,    25'000,
    50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

// Counts per bucket (not cumulative: the exposition adds them up), the sum and the count.
template <std::size_t Buckets>
class BucketHistogram {
 public:
  using Bounds = std::array<std::int64_t, Buckets>;

  void observe(std::int64_t value, const Bounds& bounds) {
    std::size_t bucket = 0;
    while (bucket < Buckets && value > bounds[bucket]) ++bucket;
    ++counts_[bucket];
    ++count_;
    sum_ += value;
  }
  std::uint64_t count() const { return count_; }
  std::int64_t sum() const { return sum_; }
  std::uint64_t in_bucket(std::size_t bucket) const { return counts_[bucket]; }  // Buckets: +Inf

 private:
  std::array<std::uint64_t, Buckets + 1> counts_{};
  std::uint64_t count_ = 0;
  std::int64_t sum_ = 0;
};
using DurationHistogram = BucketHistogram<kDurationBucketsUs.size()>;

// A metric family: its samples refer to it, so that its name, type, help and label names are
// written once (families.hpp lists zkdump's).
struct Family {
  std::string_view name;
  std::string_view type;  // counter, gauge or histogram
  std::string_view help;
  std::array<std::string_view, 2> labels{};  // the names a sample's label values go with
};
// A sample's label values, in the order of its family's label names.
using LabelValues = std::initializer_list<std::string_view>;
using Label = std::pair<std::string_view, std::string_view>;

// Appends one family after another to `out`. Label values come off the wire: they are escaped
// as text lines escape them (\xNN for anything not printable UTF-8, \\ for a backslash), then
// backslashes and quotes are escaped for Prometheus, so no value can end its label, its line or
// pass for another series.
class Exposition {
 public:
  explicit Exposition(fmt::memory_buffer& out) : out_(out) {}

  // HELP and TYPE: before the family's samples.
  void family(const Family& family);
  void sample(const Family& family, LabelValues values, std::uint64_t value);
  void sample(const Family& family, LabelValues values, std::int64_t value);
  void sample(const Family& family, LabelValues values, double value);
  // A family of one sample without labels.
  void single(const Family& family, std::uint64_t value);
  void single(const Family& family, std::int64_t value);
  // name_bucket{...,le="..."}, name_sum and name_count; `divisor` turns the histogram's unit
  // into the family's (1e6: microseconds to seconds).
  template <std::size_t Buckets>
  void histogram(const Family& family, LabelValues values,
                 const BucketHistogram<Buckets>& histogram,
                 const std::array<std::int64_t, Buckets>& bounds, double divisor) {
    const Labels labels = labels_of(family, values);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= Buckets; ++i) {
      cumulative += histogram.in_bucket(i);
      bucket(family.name, labels, i < Buckets ? static_cast<double>(bounds[i]) / divisor : -1,
             cumulative);
    }
    histogram_totals(family.name, labels, static_cast<double>(histogram.sum()) / divisor,
                     histogram.count());
  }

 private:
  // A sample's labels: its family's names with its values, one more for a bucket's le.
  struct Labels {
    std::array<Label, 3> pairs{};
    std::size_t count = 0;
  };
  static Labels labels_of(const Family& family, LabelValues values);
  void series(std::string_view name, std::string_view suffix, const Labels& labels);
  void bucket(std::string_view name, Labels labels, double upper_bound, std::uint64_t cumulative);
  void histogram_totals(std::string_view name, const Labels& labels, double sum,
                        std::uint64_t count);

  fmt::memory_buffer& out_;
};

// A label value escaped as above, for tests and for callers building their own lines.
void append_label_value(fmt::memory_buffer& out, std::string_view value);

}  // namespace zkdump::metrics
