#include "zkdump/stats/analysis_stats.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "zkdump/base/escape.hpp"
#include "zkdump/base/paths.hpp"

namespace zkdump::stats {
namespace {

constexpr std::string_view kOther = "(other)";
constexpr std::size_t kMaxServers = 64;
constexpr std::array<std::string_view, kWatchKinds> kWatchKindNames = {
    "data", "exist", "child", "persistent", "persistent_recursive"};
// JSON keys name what they count: "data" and "txn" are strings elsewhere.
constexpr std::array<std::string_view, kWatchKinds> kWatchKindKeys = {
    "data_watch", "exist_watch", "child_watch", "persistent_watch", "persistent_recursive_watch"};

template <typename... Args>
void put(fmt::memory_buffer& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(fmt::appender(out), format, std::forward<Args>(args)...);
}

// The rows of `table` with the largest `measure` (of a row), at most `limit`.
template <typename Value, typename Measure>
std::vector<typename HeavyHitters<Value>::Row> top_rows(const HeavyHitters<Value>& table,
                                                        std::size_t limit, Measure measure) {
  auto rows = table.rows();
  std::erase_if(rows, [&](const auto& row) { return measure(row) == 0; });
  const std::size_t kept = std::min(limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(kept), rows.end(),
                    [&](const auto& a, const auto& b) {
                      return measure(a) != measure(b) ? measure(a) > measure(b) : a.key < b.key;
                    });
  rows.resize(kept);
  return rows;
}

// A largest-znode row's measure: its size.
constexpr auto size_of = [](const auto& row) { return row.count; };

void put_histogram_row(fmt::memory_buffer& out, const LatencyHistogram& h) {
  put(out, "{:>8} {:>9} {:>9.0f} {:>9.0f} {:>9.0f} {:>9}\n", h.count(), h.min(), h.percentile(0.5),
      h.percentile(0.9), h.percentile(0.99), h.max());
}

// {"count":..,"min":..,"p50":..,"p90":..,"p99":..,"max":..} of bytes or milliseconds.
void put_figures_json(JsonWriter& json, const LatencyHistogram& h) {
  json.begin_object();
  json.member("count", h.count());
  json.member("min", h.min());
  json.key("p50").fixed(h.percentile(0.5), 0);
  json.key("p90").fixed(h.percentile(0.9), 0);
  json.key("p99").fixed(h.percentile(0.99), 0);
  json.member("max", h.max());
  json.end_object();
}

}  // namespace

AnalysisStats::AnalysisStats(const StatsOptions& options, std::int64_t jute_maxbuffer)
    : options_(options),
      jute_maxbuffer_(jute_maxbuffer),
      watched_paths_(options.key_rows),
      op_sizes_(zk::op_count()),
      znode_sizes_(options.key_rows) {}

std::string_view AnalysisStats::folded(std::string_view path) const {
  return fold_path(path, options_.aggregation_depth);
}

bool AnalysisStats::empty() const {
  return traces_ == 0 && fanouts_ == 0 && timeouts_ms_.count() == 0 && watched_paths_.size() == 0 &&
         znode_sizes_.size() == 0 && at_risk_ + connection_storms_ == 0 &&
         std::all_of(op_sizes_.begin(), op_sizes_.end(), [](const auto& op) { return !op; });
}

std::uint64_t AnalysisStats::session_expiries() const {
  return std::accumulate(expiries_.begin(), expiries_.end(), std::uint64_t{0});  // kNone stays 0
}

std::uint64_t AnalysisStats::size_alerts() const {
  return std::accumulate(size_alerts_.begin(), size_alerts_.end(), std::uint64_t{0});
}

void AnalysisStats::start_interval() {
  const std::size_t state_index = state_index_;
  *this = AnalysisStats(options_, jute_maxbuffer_);
  set_state_index(state_index);
}

// ---- What the messages say ----

void AnalysisStats::zk(const session::ZkMessage& message) {
  if (const auto* response = message.as<zk::ConnectResponse>()) {
    if (!response->expired()) timeouts_ms_.add(response->timeout);
  } else if (const auto* request = message.as<zk::Request>()) {
    if (request->op != nullptr) on_request(*request);
  } else if (const auto* reply = message.as<zk::Reply>()) {
    if (reply->op == nullptr) return;
    auto& sizes = op_sizes_[zk::op_index(*reply->op)];
    if (!sizes) sizes = std::make_unique<OpSizes>();
    sizes->replies.add(message.frame_size);
    if (message.outstanding != nullptr) on_data(message.outstanding->path, reply->facts.data_size);
  }
}

void AnalysisStats::on_request(const zk::Request& request) {
  auto& sizes = op_sizes_[zk::op_index(*request.op)];
  if (!sizes) sizes = std::make_unique<OpSizes>();
  sizes->requests.add(request.frame_size);
  const zk::RequestFacts& facts = request.facts;
  const std::string_view path = facts.path.view();
  on_data(path, facts.data_size);
  switch (request.op->code) {
    case zk::kOpSetWatches:
    case zk::kOpSetWatches2:
      reregistrations_[0] += static_cast<std::uint64_t>(facts.data_watches);
      reregistrations_[1] += static_cast<std::uint64_t>(facts.exist_watches);
      reregistrations_[2] += static_cast<std::uint64_t>(facts.child_watches);
      reregistrations_[3] += static_cast<std::uint64_t>(facts.persistent_watches);
      reregistrations_[4] += static_cast<std::uint64_t>(facts.recursive_watches);
      return;
    case zk::kOpAddWatch:
      if (facts.watch_mode == 0 || facts.watch_mode == 1) {
        register_watch(facts.watch_mode == 0 ? WatchKind::kPersistent : WatchKind::kRecursive, path,
                       1);
      }
      return;
    default:
      break;
  }
  if (!facts.watch) return;
  const std::string_view op = request.op->json_name;
  register_watch(op == "exists"                  ? WatchKind::kExist
                 : op.starts_with("getChildren") ? WatchKind::kChild
                                                 : WatchKind::kData,
                 path, 1);
}

void AnalysisStats::register_watch(WatchKind kind, std::string_view path, std::uint64_t count) {
  registrations_[static_cast<std::size_t>(kind)] += count;
  const auto row = watched_paths_.add(folded(path), count);
  watched_paths_.value(row)->registrations += count;
}

// A znode's data as a create, setData or getData carried it: the largest seen per path.
void AnalysisStats::on_data(std::string_view path, std::int64_t bytes) {
  if (bytes <= 0 || path.empty()) return;
  znode_sizes_.raise(path, static_cast<std::uint64_t>(bytes));
}

// ---- What the analyses found ----

void AnalysisStats::write_trace(const session::WriteTrace& trace) {
  if (!trace.selected) return;  // the field filters scope --stats
  ++traces_;
  auto add = [&](StageHistograms& histograms) {
    for (std::size_t stage = 0; stage < session::kWriteStages; ++stage) {
      if (trace.stages_us[stage] >= 0) histograms[stage].add(trace.stages_us[stage]);
    }
    histograms[session::kWriteStages].add(trace.total_us);
  };
  add(stages_);
  std::string_view server = trace.connection->server;
  auto found = servers_.find(server);
  if (found == servers_.end()) {
    if (servers_.size() >= kMaxServers) server = kOther;
    found = servers_.try_emplace(std::string(server), std::make_unique<StageHistograms>()).first;
  }
  add(*found->second);
}

void AnalysisStats::watch_fanout(const session::WatchFanout& fanout) {
  ++fanouts_;
  notifications_ += fanout.notifications;
  reads_ += fanout.reads;
  if (fanout.storm()) ++storms_;
  largest_fanout_ = std::max(largest_fanout_, fanout.notifications);
  const auto row = watched_paths_.add(folded(fanout.path), fanout.notifications + fanout.reads);
  WatchedPath& path = *watched_paths_.value(row);
  ++path.writes;
  path.notifications += fanout.notifications;
  path.reads += fanout.reads;
}

// A silence counts whole: up to the client's next message, the expiry, or the connection's end.
void AnalysisStats::note_silence(const session::SessionFinding& finding) {
  if (finding.timeout_ms <= 0 || finding.last_activity_us < 0) return;
  worst_silence_ratio_ =
      std::max(worst_silence_ratio_, static_cast<double>(finding.silent_us) /
                                         (1000.0 * static_cast<double>(finding.timeout_ms)));
}

void AnalysisStats::session_finding(const session::SessionFinding& finding) {
  using Kind = session::SessionFinding::Kind;
  switch (finding.kind) {
    case Kind::kAtRisk:
      ++at_risk_;
      break;
    case Kind::kExpired:
      ++expiries_[static_cast<std::size_t>(finding.source)];
      note_silence(finding);
      break;
    case Kind::kConnectionStorm:
      ++connection_storms_;
      break;
    case Kind::kSilenceEnded:
      note_silence(finding);
      break;
  }
}

void AnalysisStats::size_alert(const session::SizeAlert& alert) {
  if (!alert.selected) return;
  ++size_alerts_[static_cast<std::size_t>(alert.what)];
}

// ---- Text ----

void AnalysisStats::write_text(fmt::memory_buffer& out, const ReportSpan& span) const {
  put(out, "analyses for ");
  write_span_text(out, span);
  put(out, "\n");
  write_writes_text(out);
  write_watches_text(out);
  write_sessions_text(out);
  write_sizes_text(out);
}

void AnalysisStats::write_writes_text(fmt::memory_buffer& out) const {
  put(out, "\nwrite path: {} writes traced (stages in us, each from the stage before)\n", traces_);
  if (traces_ == 0) return;
  put(out, "  {:<22} {:<16} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "server", "stage", "count",
      "min", "p50", "p90", "p99", "max");
  const auto table = [&](std::string_view server, const StageHistograms& histograms) {
    for (std::size_t stage = 0; stage <= session::kWriteStages; ++stage) {
      if (histograms[stage].count() == 0) continue;
      put(out, "  {:<22} {:<16} ", server,
          stage == session::kWriteStages
              ? std::string_view("request_to_reply")
              : session::write_stage_name(static_cast<session::WriteStage>(stage)));
      put_histogram_row(out, histograms[stage]);
    }
  };
  table("(all)", stages_);
  for (const auto& [server, histograms] : servers_) table(server, *histograms);
}

void AnalysisStats::write_watches_text(fmt::memory_buffer& out) const {
  put(out,
      "\nwatches: writes that fired notifications {}, notifications {}, follow-up reads {}; "
      "storms {} (the largest: {} notifications)\n",
      fanouts_, notifications_, reads_, storms_, largest_fanout_);
  put(out, "  registered:");
  for (std::size_t kind = 0; kind < kWatchKinds; ++kind) {
    put(out, " {} {}{}", kWatchKindNames[kind], registrations_[kind],
        kind + 1 < kWatchKinds ? "," : "\n");
  }
  put(out, "  re-registered by setWatches:");
  for (std::size_t kind = 0; kind < kWatchKinds; ++kind) {
    put(out, " {} {}{}", kWatchKindNames[kind], reregistrations_[kind],
        kind + 1 < kWatchKinds ? "," : "\n");
  }
  const auto table = [&](std::string_view title, auto measure) {
    const auto rows = top_rows(watched_paths_, options_.limit, measure);
    if (rows.empty()) return;
    put(out, "  top paths by {}", title);
    if (const std::uint64_t bound = watched_paths_.unlisted_bound(); bound > 0) {
      put(out,
          " ({} rows kept: a path not listed had at most {} registrations, notifications "
          "and reads)",
          watched_paths_.capacity(), bound);
    }
    put(out, ":\n  {:>13} {:>8} {:>8} {:>13}  path\n", "notifications", "reads", "writes",
        "registrations");
    for (const auto& row : rows) {
      put(out, "  {:>13} {:>8} {:>8} {:>13}  ", row.value->notifications, row.value->reads,
          row.value->writes, row.value->registrations);
      append_text_value(out, row.key);
      out.push_back('\n');
    }
  };
  table("notifications", [](const auto& row) { return row.value->notifications; });
  table("follow-up reads", [](const auto& row) { return row.value->reads; });
  table("registrations", [](const auto& row) { return row.value->registrations; });
}

void AnalysisStats::write_sessions_text(fmt::memory_buffer& out) const {
  put(out, "\nsessions: {} established, timeouts negotiated ms: min {}, p50 {:.0f}, max {}\n",
      timeouts_ms_.count(), timeouts_ms_.min(), timeouts_ms_.percentile(0.5), timeouts_ms_.max());
  put(out,
      "  {} at risk (worst silence {:.2f} of the timeout); {} expired, first seen as: {} by the "
      "leader (txn), {} refused at reconnect, {} SESSIONEXPIRED replies, {} closed by the server; "
      "{} connection storms\n",
      at_risk_, worst_silence_ratio_, expiries_[1] + expiries_[2] + expiries_[3] + expiries_[4],
      expiries_[1], expiries_[2], expiries_[3], expiries_[4], connection_storms_);
}

void AnalysisStats::write_sizes_text(fmt::memory_buffer& out) const {
  put(out, "\nsizes (bytes; jute.maxbuffer {}): alerts: {} requests, {} replies, {} txns\n",
      jute_maxbuffer_, size_alerts_[0], size_alerts_[1], size_alerts_[2]);
  put(out, "  {:<22} {:<8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "op", "what", "count", "min",
      "p50", "p90", "p99", "max");
  for (std::size_t op = 0; op < op_sizes_.size(); ++op) {
    if (!op_sizes_[op]) continue;
    for (const auto& [what, h] : {std::pair{"request", &op_sizes_[op]->requests},
                                  std::pair{"reply", &op_sizes_[op]->replies}}) {
      if (h->count() == 0) continue;
      put(out, "  {:<22} {:<8} ", zk::op_at(op).json_name, what);
      put_histogram_row(out, *h);
    }
  }
  const auto rows = top_rows(znode_sizes_, options_.limit, size_of);
  if (rows.empty()) return;
  put(out, "  largest znodes:\n  {:>13}  path\n", "bytes");
  for (const auto& row : rows) {
    put(out, "  {:>13}  ", row.count);
    append_text_value(out, row.key);
    out.push_back('\n');
  }
}

// ---- JSON ----

void AnalysisStats::write_json(fmt::memory_buffer& out, const ReportSpan& span) const {
  JsonWriter json(out);
  json.begin_object();
  json.member("kind", "analysis_stats");
  write_span_json(json, span);
  write_writes_json(json);
  write_watches_json(json);
  write_sessions_json(json);
  write_sizes_json(json);
  json.end_object();
  append_char(out, '\n');
}

void AnalysisStats::write_writes_json(JsonWriter& json) const {
  const auto stages = [&](const StageHistograms& histograms) {
    json.begin_object();
    for (std::size_t stage = 0; stage <= session::kWriteStages; ++stage) {
      if (histograms[stage].count() == 0) continue;
      json.key(stage == session::kWriteStages
                   ? std::string_view("request_to_reply")
                   : session::write_stage_name(static_cast<session::WriteStage>(stage)));
      write_latency_json(json, histograms[stage]);
    }
    json.end_object();
  };
  json.key("write_path").begin_object();
  json.member("traced", traces_);
  json.key("stages_us");
  stages(stages_);
  json.key("by_server").begin_object();
  for (const auto& [server, histograms] : servers_) {
    json.key(server);
    stages(*histograms);
  }
  json.end_object();
  json.end_object();
}

void AnalysisStats::write_watches_json(JsonWriter& json) const {
  json.key("watches").begin_object();
  json.member("fanouts", fanouts_);
  json.member("notifications", notifications_);
  json.member("follow_up_reads", reads_);
  json.member("storms", storms_);
  json.member("largest_fanout", largest_fanout_);
  json.member("unlisted_max_activity", watched_paths_.unlisted_bound());
  for (const auto& [key, counts] :
       {std::pair{"registered", &registrations_}, {"reregistered", &reregistrations_}}) {
    json.key(key).begin_object();
    for (std::size_t kind = 0; kind < kWatchKinds; ++kind) {
      json.member(kWatchKindKeys[kind], (*counts)[kind]);
    }
    json.end_object();
  }
  const auto rows_json = [&](std::string_view key, auto measure) {
    json.key(key).begin_array();
    for (const auto& row : top_rows(watched_paths_, options_.limit, measure)) {
      json.begin_object();
      json.member("path", row.key);
      json.member("notifications", row.value->notifications);
      json.member("follow_up_reads", row.value->reads);
      json.member("firing_writes", row.value->writes);
      json.member("registrations", row.value->registrations);
      json.end_object();
    }
    json.end_array();
  };
  rows_json("by_notifications", [](const auto& row) { return row.value->notifications; });
  rows_json("by_follow_up_reads", [](const auto& row) { return row.value->reads; });
  rows_json("by_registrations", [](const auto& row) { return row.value->registrations; });
  json.end_object();
}

void AnalysisStats::write_sessions_json(JsonWriter& json) const {
  json.key("session_health").begin_object();
  put_figures_json(json.key("timeouts_ms"), timeouts_ms_);
  json.member("at_risk", at_risk_);
  json.key("worst_silence_ratio").fixed(worst_silence_ratio_, 3);
  json.key("expiries").begin_object();
  json.member("leader_txn", expiries_[1]);
  json.member("refused_reconnect", expiries_[2]);
  json.member("expired_reply", expiries_[3]);
  json.member("server_close", expiries_[4]);
  json.end_object();
  json.member("connection_storms", connection_storms_);
  json.end_object();
}

void AnalysisStats::write_sizes_json(JsonWriter& json) const {
  json.key("sizes").begin_object();
  json.member("jute_maxbuffer", jute_maxbuffer_);
  // Keyed in the plural: "txn" is a string field elsewhere.
  json.key("alerts").begin_object();
  json.member("requests",
              size_alerts_[static_cast<std::size_t>(session::SizeAlert::What::kRequest)]);
  json.member("replies", size_alerts_[static_cast<std::size_t>(session::SizeAlert::What::kReply)]);
  json.member("txns", size_alerts_[static_cast<std::size_t>(session::SizeAlert::What::kTxn)]);
  json.end_object();
  json.key("by_op").begin_object();
  for (std::size_t op = 0; op < op_sizes_.size(); ++op) {
    if (!op_sizes_[op]) continue;
    json.key(zk::op_at(op).json_name).begin_object();
    put_figures_json(json.key("request_bytes"), op_sizes_[op]->requests);
    put_figures_json(json.key("reply_bytes"), op_sizes_[op]->replies);
    json.end_object();
  }
  json.end_object();
  json.key("largest_znodes").begin_array();
  for (const auto& row : top_rows(znode_sizes_, options_.limit, size_of)) {
    json.begin_object();
    json.member("path", row.key);
    json.member("bytes", row.count);
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

}  // namespace zkdump::stats
