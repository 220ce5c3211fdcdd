#include "zkdump/stats/grouped.hpp"

#include <algorithm>
#include <cmath>

#include "zkdump/base/escape.hpp"

namespace zkdump::stats {
namespace {

constexpr std::string_view kOther = "(other)";
constexpr std::string_view kNoPath = "<none>";
constexpr const char* kGroupNames[] = {"path", "type", "client"};

// zktraffic's percentile: the value at index ceil(q * n) - 1 of the sorted samples.
double percentile(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::max<std::size_t>(rank, 1) - 1]);
}

std::string_view connect_type(bool reconnect) {
  return reconnect ? "ReConnectRequest" : "ConnectRequest";
}

}  // namespace

GroupedReport::Group& GroupedReport::group_of(const session::ZkMessage& message,
                                              std::string_view type, std::string_view path) {
  std::string_view key;
  switch (options_.group_by) {
    case GroupBy::kPath:  // connect, ping, multi...: no path of their own
      key = path.empty() ? kNoPath : fold_path(path, options_.aggregation_depth);
      break;
    case GroupBy::kType:
      key = type;
      break;
    case GroupBy::kClient:  // by host, as --stats and --top group clients
      key = message.connection->client_host();
      break;
  }
  return groups_.at_or_add(key, options_.max_groups, kOther);
}

// --count-requests: requests and events, by group.
void GroupedReport::count(const session::ZkMessage& message, std::string_view type,
                          std::string_view path) {
  if (options_.measure_latency || done()) return;
  ++group_of(message, type, path).count;
  ++seen_;
}

// --measure-latency: replies to a request seen, by its group.
void GroupedReport::measure(const session::ZkMessage& message, std::string_view type) {
  if (!options_.measure_latency || done() || message.latency_us < 0) return;
  Group& group = group_of(message, type, message.outstanding->path);
  ++group.count;
  group.latencies_us.push_back(message.latency_us);
  ++seen_;
}

void GroupedReport::zk(const session::ZkMessage& message) {
  // The field filters scope the counts; a request they decide at its reply is counted by
  // --measure-latency there (--count-requests refuses such filters).
  if (message.selection != session::Selection::kYes) return;
  if (const auto* connect = message.as<zk::ConnectRequest>()) {
    if (connect->decoded.complete) count(message, connect_type(connect->session_id != 0), {});
  } else if (const auto* request = message.as<zk::Request>()) {
    if (request->op != nullptr && (options_.include_pings || request->op->code != zk::kOpPing)) {
      count(message, zk::line_name(*request).name, request->facts.path.view());
    }
  } else if (const auto* event = message.as<zk::WatcherEvent>()) {
    if (event->decoded.complete) count(message, zk::line_name(*event).name, event->path.view());
  } else if (const auto* response = message.as<zk::ConnectResponse>()) {
    if (response->decoded.complete) {
      measure(message,
              connect_type(message.session_change == session::SessionChange::kReconnected));
    }
  } else if (const auto* reply = message.as<zk::Reply>()) {
    if (reply->op != nullptr && (options_.include_pings || reply->op->code != zk::kOpPing)) {
      measure(message, reply->op->request_name);
    }
  }
}

void GroupedReport::write(fmt::memory_buffer& out) const {
  auto key_text = [&out](std::string_view key) { append_text_value(out, key); };
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
