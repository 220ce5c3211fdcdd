#include "zkdump/stats/key_ranking.hpp"

#include <algorithm>

namespace zkdump::stats {
namespace {

double average(const KeyRanking::Figures& figures) {
  return figures.replies == 0
             ? 0.0
             : static_cast<double>(figures.latency_sum_us) / static_cast<double>(figures.replies);
}

// A key's hash, made once for both tables (which share their seed) and only if needed.
class LazyHash {
 public:
  LazyHash(const SeededHash& hash, std::string_view key) : hash_(hash), key_(key) {}
  std::uint64_t operator()() {
    if (!done_) value_ = hash_(key_);
    done_ = true;
    return value_;
  }

 private:
  const SeededHash& hash_;
  std::string_view key_;
  std::uint64_t value_ = 0;
  bool done_ = false;
};

}  // namespace

KeyRanking::Handles KeyRanking::request(std::string_view key, std::uint64_t bytes) {
  Handles handles;
  request(handles, key, bytes);
  return handles;
}

void KeyRanking::request(Handles& handles, std::string_view key, std::uint64_t bytes) {
  LazyHash hash(by_requests_.hash(), key);
  Figures& ranked_by_requests = by_requests_.count(handles.by_requests, key, hash, 1);
  Figures& ranked_by_bytes = by_bytes_.count(handles.by_bytes, key, hash, bytes);
  for (Figures* figures : {&ranked_by_requests, &ranked_by_bytes}) {
    ++figures->requests;
    figures->bytes += bytes;
  }
}

// The reply's bytes count towards the key's rank by bytes, so that a row's count stays above
// the key's; a key no longer among the busiest by requests needs no figures there.
void KeyRanking::reply(Handles& handles, std::string_view key, std::uint64_t bytes,
                       std::int64_t latency_us) {
  LazyHash hash(by_bytes_.hash(), key);
  Figures& ranked_by_bytes = by_bytes_.count(handles.by_bytes, key, hash, bytes);
  for (Figures* figures : {by_requests_.value(handles.by_requests), &ranked_by_bytes}) {
    if (figures == nullptr) continue;
    figures->bytes += bytes;
    if (latency_us < 0) continue;
    ++figures->replies;
    figures->latency_sum_us += latency_us;
  }
}

std::vector<KeyRanking::Row> KeyRanking::top(Measure measure, std::size_t limit) const {
  const bool by_bytes = measure == Measure::kBytes;
  std::vector<Row> rows;
  for (const Table::Row& row : (by_bytes ? by_bytes_ : by_requests_).rows()) {
    rows.push_back(
        {row.key, row.value->requests, row.value->bytes, average(*row.value), row.error});
  }
  const auto ranked = [measure](const Row& row) {
    switch (measure) {
      case Measure::kBytes:
        return static_cast<double>(row.bytes);
      case Measure::kLatency:
        return row.average_latency_us;
      default:
        return static_cast<double>(row.requests);
    }
  };
  const auto larger = [&](const Row& a, const Row& b) {
    return ranked(a) != ranked(b) ? ranked(a) > ranked(b) : a.key < b.key;
  };
  const std::size_t keep = std::min(limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end(),
                    larger);
  rows.resize(keep);
  return rows;
}

std::uint64_t KeyRanking::unlisted_bound(Measure measure) const {
  return (measure == Measure::kBytes ? by_bytes_ : by_requests_).unlisted_bound();
}

void KeyRanking::reset_counts() {
  by_requests_.reset_counts();
  by_bytes_.reset_counts();
}

}  // namespace zkdump::stats
