#include "zkdump/stats/grouped.hpp"

#include <algorithm>
#include <cmath>

#include "zkdump/zk/field_writer.hpp"

namespace zkdump::stats {
namespace {

constexpr std::string_view kOther = "(other)";
constexpr const char* kGroupNames[] = {"path", "type", "client"};

// zktraffic's percentile: the value at index ceil(q * n) - 1 of the sorted samples.
double percentile(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::max<std::size_t>(rank, 1) - 1]);
}

}  // namespace

GroupedReport::Group& GroupedReport::group_of(const session::MessageFacts& facts) {
  std::string_view key;
  switch (options_.group_by) {
    case GroupBy::kPath:
      key = fold_path(facts.path, options_.aggregation_depth);
      break;
    case GroupBy::kType:
      key = facts.type_name;
      break;
    case GroupBy::kClient:
      key = facts.client;
      break;
  }
  return groups_.at_or_add(key, options_.max_groups, kOther);
}

void* GroupedReport::on_request(std::string_view, const session::MessageFacts& facts) {
  if (options_.measure_latency || done()) return nullptr;
  ++group_of(facts).count;
  ++seen_;
  return nullptr;
}

void GroupedReport::on_event(std::int32_t, const session::MessageFacts& facts) {
  if (options_.measure_latency || done()) return;
  ++group_of(facts).count;
  ++seen_;
}

void GroupedReport::on_reply(std::string_view op, std::int32_t, std::int64_t latency_us,
                             const session::MessageFacts& facts, void*) {
  if (!options_.measure_latency || done() || op.empty() || latency_us < 0) return;
  Group& group = group_of(facts);
  ++group.count;
  group.latencies_us.push_back(latency_us);
  ++seen_;
}

void GroupedReport::write(fmt::memory_buffer& out) const {
  auto key_text = [&out](std::string_view key) { zk::append_escaped_text(out, key); };
  if (!options_.measure_latency) {
    std::vector<std::pair<std::string_view, std::uint64_t>> rows;
    for (const auto& [key, group] : groups_) rows.emplace_back(key, group.count);
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    for (const auto& [key, count] : rows) {
      key_text(key);
      fmt::format_to(fmt::appender(out), " {}\n", count);
    }
    return;
  }
  struct Row {
    std::string_view key;
    double avg, p95, p99;
  };
  std::vector<Row> rows;
  for (const auto& [key, group] : groups_) {
    std::vector<std::int64_t> sorted = group.latencies_us;
    std::sort(sorted.begin(), sorted.end());
    double sum = 0;
    for (std::int64_t value : sorted) sum += static_cast<double>(value);
    // zktraffic reports seconds.
    rows.push_back({key, sum / static_cast<double>(sorted.size()) / 1e6,
                    percentile(sorted, 0.95) / 1e6, percentile(sorted, 0.99) / 1e6});
  }
  const auto measure = [this](const Row& row) {
    return options_.sort_by == SortBy::kAvg   ? row.avg
           : options_.sort_by == SortBy::kP95 ? row.p95
                                              : row.p99;
  };
  std::sort(rows.begin(), rows.end(), [&measure](const Row& a, const Row& b) {
    return measure(a) != measure(b) ? measure(a) > measure(b) : a.key < b.key;
  });
  std::size_t width = std::string_view(kGroupNames[static_cast<int>(options_.group_by)]).size();
  for (const Row& row : rows) width = std::max(width, row.key.size());
  fmt::format_to(fmt::appender(out), "{:<{}}  {:>10}  {:>10}  {:>10}\n",
                 kGroupNames[static_cast<int>(options_.group_by)], width, "avg", "p95", "p99");
  fmt::format_to(fmt::appender(out), "{:-<{}}  {:->10}  {:->10}  {:->10}\n", "", width, "", "", "");
  for (const Row& row : rows) {
    const std::size_t before = out.size();
    key_text(row.key);
    const std::size_t written = out.size() - before;
    fmt::format_to(fmt::appender(out), "{:<{}}  {:>10.6f}  {:>10.6f}  {:>10.6f}\n", "",
                   width > written ? width - written : 0, row.avg, row.p95, row.p99);
  }
}

}  // namespace zkdump::stats
