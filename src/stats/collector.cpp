#include "zkdump/stats/collector.hpp"

#include <algorithm>
#include <vector>

#include "zkdump/zk/field_writer.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::stats {
namespace {

constexpr std::string_view kOther = "(other)";
constexpr const char* kSessionChangeNames[] = {"established", "reconnected", "expired", "closed"};

std::string_view host_of(std::string_view endpoint) {
  const std::size_t colon = endpoint.rfind(':');
  return colon == std::string_view::npos ? endpoint : endpoint.substr(0, colon);
}

using Row = Collector::Row;

// The `limit` largest rows by `measure`, ties broken by key so the output is stable.
template <typename Measure>
std::vector<Row> top(const Collector::KeyTable& table, std::size_t limit, Measure measure) {
  std::vector<Row> rows;
  rows.reserve(table.size());
  for (const auto& [key, stats] : table) {
    if (stats.requests != 0 || stats.bytes != 0)
      rows.emplace_back(key, &stats);  // zeroed rows are old keys
  }
  const auto larger = [&measure](const Row& a, const Row& b) {
    const auto ma = measure(*a.second), mb = measure(*b.second);
    return ma != mb ? ma > mb : a.first < b.first;
  };
  const std::size_t keep = std::min(limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end(),
                    larger);
  rows.resize(keep);
  return rows;
}

template <typename... Args>
void put(fmt::memory_buffer& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(fmt::appender(out), format, std::forward<Args>(args)...);
}

void json_string(fmt::memory_buffer& out, std::string_view text) {
  out.push_back('"');
  zk::append_escaped_json(out, text);
  out.push_back('"');
}

void text_key(fmt::memory_buffer& out, std::string_view text) {
  zk::append_escaped_text(out, text);
}

double span_seconds(std::int64_t first_us, std::int64_t last_us) {
  return first_us < 0 || last_us <= first_us ? 0.0 : static_cast<double>(last_us - first_us) / 1e6;
}

}  // namespace

void Collector::note_time(std::int64_t ts_us) {
  if (first_ts_us_ < 0 || ts_us < first_ts_us_) first_ts_us_ = ts_us;
  last_ts_us_ = std::max(last_ts_us_, ts_us);
}

Collector::KeyStats& Collector::key_in(KeyTable& table, std::string_view key) {
  return table.at_or_add(key, options_.max_keys, kOther);
}

Collector::KeyStats& Collector::client_of(const session::MessageFacts& facts) {
  if (facts.connection != nullptr) return *static_cast<KeyStats*>(facts.connection);
  return key_in(clients_, host_of(facts.client));
}

Collector::OpStats& Collector::op_stats(std::string_view op) {
  for (const auto& [name, stats] : op_by_name_pointer_) {
    if (name == op.data()) return *stats;
  }
  OpStats& stats = ops_[op];
  op_by_name_pointer_.emplace_back(op.data(), &stats);
  return stats;
}

std::string_view Collector::folded_path(std::string_view path) {
  return fold_path(path, options_.aggregation_depth);
}

void Collector::start_interval() {
  for (KeyTable* table : {&paths_, &clients_, &event_paths_}) {
    for (auto& [key, stats] : *table) stats = KeyStats{};
  }
  ops_.clear();
  op_by_name_pointer_.clear();
  events_.clear();
  auth_schemes_.clear();
  for (std::uint64_t& count : sessions_) count = 0;
  requests_ = replies_ = events_total_ = unanswered_ = 0;
  first_ts_us_ = last_ts_us_ = -1;
}

void* Collector::on_connection(std::string_view client) {
  return &key_in(clients_, host_of(client));
}

void* Collector::on_request(std::string_view op, const session::MessageFacts& facts) {
  note_time(facts.ts_us);
  ++requests_;
  OpStats& stats = op_stats(op);
  ++stats.requests;
  stats.bytes += static_cast<std::uint64_t>(facts.frame_bytes);
  KeyStats* path = nullptr;
  if (!facts.path.empty()) {
    path = &key_in(paths_, folded_path(facts.path));
    ++path->requests;
    path->bytes += static_cast<std::uint64_t>(facts.frame_bytes);
  }
  KeyStats& client = client_of(facts);
  ++client.requests;
  client.bytes += static_cast<std::uint64_t>(facts.frame_bytes);
  return path;
}

void Collector::on_reply(std::string_view op, std::int32_t err, std::int64_t latency_us,
                         const session::MessageFacts& facts, void* request_handle) {
  note_time(facts.ts_us);
  ++replies_;
  if (op.empty()) return;
  OpStats& stats = op_stats(op);
  if (err != 0) ++stats.errors[err];
  if (latency_us < 0) return;
  stats.latency.add(latency_us);
  if (auto* path = static_cast<KeyStats*>(request_handle)) {
    ++path->replies;
    path->latency_sum_us += latency_us;
    path->bytes += static_cast<std::uint64_t>(facts.frame_bytes);
  }
  client_of(facts).bytes += static_cast<std::uint64_t>(facts.frame_bytes);
}

void Collector::on_event(std::int32_t type, const session::MessageFacts& facts) {
  note_time(facts.ts_us);
  ++events_total_;
  const std::string_view name = zk::event_type_name(type);
  ++events_[name.empty() ? std::string_view("Unknown") : name];
  ++key_in(event_paths_, folded_path(facts.path)).requests;
}

void Collector::on_session(session::SessionChange change) {
  ++sessions_[static_cast<int>(change)];
}

void Collector::on_auth(std::string_view scheme) {
  if (auth_schemes_.size() < options_.max_keys || auth_schemes_.count(std::string(scheme)) != 0) {
    ++auth_schemes_[std::string(scheme)];
  }
}

void Collector::on_unanswered(std::string_view op) {
  ++unanswered_;
  ++op_stats(op).unanswered;
}

double Collector::duration_s() const {
  return span_seconds(first_ts_us_, last_ts_us_);
}

std::vector<Collector::Row> Collector::top_paths_by_requests(std::size_t limit) const {
  return top(paths_, limit, [](const KeyStats& s) { return s.requests; });
}

std::vector<Collector::Row> Collector::top_clients_by_requests(std::size_t limit) const {
  return top(clients_, limit, [](const KeyStats& s) { return s.requests; });
}

void Collector::write_text(fmt::memory_buffer& out, const CaptureTotals& totals) const {
  const double seconds = duration_s();
  put(out, "zkdump statistics: {:.3f} s of traffic, {} requests, {} replies, {} events\n\n",
      seconds, requests_, replies_, events_total_);
  put(out, "{:<22} {:>9} {:>9} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n", "op", "requests",
      "req/s", "errors", "min_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
      "errors by name");
  for (const auto& [name, stats] : ops_) {
    std::uint64_t errors = 0;
    for (const auto& [code, count] : stats.errors) errors += count;
    const LatencyHistogram& h = stats.latency;
    put(out, "{:<22} {:>9} {:>9.1f} {:>7} {:>8} {:>8.0f} {:>8.0f} {:>8.0f} {:>8.0f} {:>8}  ", name,
        stats.requests, seconds > 0 ? static_cast<double>(stats.requests) / seconds : 0.0, errors,
        h.min(), h.percentile(0.5), h.percentile(0.9), h.percentile(0.99), h.percentile(0.999),
        h.max());
    for (const auto& [code, count] : stats.errors) {
      const std::string_view error = zk::error_name(code);
      put(out, "{}={} ", error.empty() ? fmt::format("{}", code) : std::string(error), count);
    }
    put(out, "\n");
  }
  const auto path_table = [&](const char* title, auto measure) {
    put(out, "\ntop paths by {}{}\n", title,
        options_.aggregation_depth > 0
            ? fmt::format(" (aggregation depth {})", options_.aggregation_depth)
            : "");
    put(out, "  {:>9} {:>12} {:>10}  path\n", "requests", "bytes", "avg_us");
    for (const auto& [path, stats] : top(paths_, options_.limit, measure)) {
      put(out, "  {:>9} {:>12} {:>10.0f}  ", stats->requests, stats->bytes,
          stats->average_latency());
      text_key(out, path);
      put(out, "\n");
    }
  };
  path_table("requests", [](const KeyStats& s) { return s.requests; });
  path_table("bytes", [](const KeyStats& s) { return s.bytes; });
  path_table("average latency",
             [](const KeyStats& s) { return static_cast<std::uint64_t>(s.average_latency()); });
  for (const char* measure : {"requests", "bytes"}) {
    put(out, "\ntop clients by {}\n  {:>9} {:>12}  client\n", measure, "requests", "bytes");
    const bool by_bytes = std::string_view(measure) == "bytes";
    for (const auto& [client, stats] : top(clients_, options_.limit, [by_bytes](const KeyStats& s) {
           return by_bytes ? s.bytes : s.requests;
         })) {
      put(out, "  {:>9} {:>12}  ", stats->requests, stats->bytes);
      text_key(out, client);
      put(out, "\n");
    }
  }
  put(out, "\nsessions:");
  for (int i = 0; i < 4; ++i) put(out, " {} {}", kSessionChangeNames[i], sessions_[i]);
  put(out, "\nwatch events:");
  for (const auto& [name, count] : events_) put(out, " {} {}", name, count);
  put(out, "\n  paths that fired most:\n");
  for (const auto& [path, stats] :
       top(event_paths_, options_.limit, [](const KeyStats& s) { return s.requests; })) {
    put(out, "  {:>9}  ", stats->requests);
    text_key(out, path);
    put(out, "\n");
  }
  put(out, "auth schemes:");
  for (const auto& [scheme, count] : auth_schemes_) {
    put(out, " ");
    text_key(out, scheme);
    put(out, " {}", count);
  }
  put(out, "\nbytes: {} to servers, {} to clients\n", totals.bytes_to_server,
      totals.bytes_to_client);
  put(out,
      "problems: {} unanswered, {} unknown-xid replies, {} undecodable frames, {} gaps ({} bytes), "
      "{} kernel drops\n",
      unanswered_, totals.unknown_replies, totals.undecodable_frames, totals.gaps, totals.gap_bytes,
      totals.kernel_drops);
}

void Collector::write_json(fmt::memory_buffer& out, const CaptureTotals& totals) const {
  const double seconds = duration_s();
  put(out, "{{\"duration_s\":{:.6f},\"ops\":{{", seconds);
  bool first = true;
  for (const auto& [name, stats] : ops_) {
    std::uint64_t errors = 0;
    for (const auto& [code, count] : stats.errors) errors += count;
    const LatencyHistogram& h = stats.latency;
    put(out,
        "{}\"{}\":{{\"count\":{},\"rate\":{:.3f},\"bytes\":{},\"unanswered\":{},\"errors\":{},"
        "\"errors_by_name\":{{",
        first ? "" : ",", name, stats.requests,
        seconds > 0 ? static_cast<double>(stats.requests) / seconds : 0.0, stats.bytes,
        stats.unanswered, errors);
    first = false;
    bool first_error = true;
    for (const auto& [code, count] : stats.errors) {
      const std::string_view error = zk::error_name(code);
      put(out, "{}\"{}\":{}", first_error ? "" : ",",
          error.empty() ? fmt::format("{}", code) : std::string(error), count);
      first_error = false;
    }
    put(out, "}},\"latency_us\":");
    write_latency_json(out, h);
    put(out, "}}");
  }
  const auto key_rows = [&](const KeyTable& table, const char* key_name, auto measure) {
    put(out, "[");
    bool first_row = true;
    for (const auto& [key, stats] : top(table, options_.limit, measure)) {
      put(out, "{}{{\"{}\":", first_row ? "" : ",", key_name);
      json_string(out, key);
      put(out, ",\"requests\":{},\"bytes\":{},\"avg_latency_us\":{:.1f}}}", stats->requests,
          stats->bytes, stats->average_latency());
      first_row = false;
    }
    put(out, "]");
  };
  put(out, "}},\"paths\":{{\"aggregation_depth\":{},\"by_requests\":", options_.aggregation_depth);
  key_rows(paths_, "path", [](const KeyStats& s) { return s.requests; });
  put(out, ",\"by_bytes\":");
  key_rows(paths_, "path", [](const KeyStats& s) { return s.bytes; });
  put(out, ",\"by_latency\":");
  key_rows(paths_, "path",
           [](const KeyStats& s) { return static_cast<std::uint64_t>(s.average_latency()); });
  put(out, "}},\"clients\":{{\"by_requests\":");
  key_rows(clients_, "client", [](const KeyStats& s) { return s.requests; });
  put(out, ",\"by_bytes\":");
  key_rows(clients_, "client", [](const KeyStats& s) { return s.bytes; });
  put(out, "}},\"sessions\":{{");
  for (int i = 0; i < 4; ++i)
    put(out, "{}\"{}\":{}", i == 0 ? "" : ",", kSessionChangeNames[i], sessions_[i]);
  put(out, "}},\"events\":{{\"total\":{},\"by_type\":{{", events_total_);
  first = true;
  for (const auto& [name, count] : events_) {
    put(out, "{}\"{}\":{}", first ? "" : ",", name, count);
    first = false;
  }
  put(out, "}},\"paths\":");
  key_rows(event_paths_, "path", [](const KeyStats& s) { return s.requests; });
  put(out, "}},\"auth\":{{");
  first = true;
  for (const auto& [scheme, count] : auth_schemes_) {
    put(out, "{}", first ? "" : ",");
    json_string(out, scheme);
    put(out, ":{}", count);
    first = false;
  }
  put(out,
      "}},\"totals\":{{\"packets\":{},\"requests\":{},\"replies\":{},\"events\":{},\"bytes_to_"
      "server\":{},"
      "\"bytes_to_client\":{},\"unanswered\":{},\"unknown_replies\":{},\"undecodable_frames\":{},"
      "\"gaps\":{},"
      "\"gap_bytes\":{},\"kernel_drops\":{}}}}}\n",
      totals.packets, requests_, replies_, events_total_, totals.bytes_to_server,
      totals.bytes_to_client, unanswered_, totals.unknown_replies, totals.undecodable_frames,
      totals.gaps, totals.gap_bytes, totals.kernel_drops);
}

}  // namespace zkdump::stats
