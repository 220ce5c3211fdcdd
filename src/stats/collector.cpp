#include "zkdump/stats/collector.hpp"

#include <algorithm>
#include <vector>

#include "zkdump/base/escape.hpp"
#include "zkdump/base/paths.hpp"
#include "zkdump/base/variant.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::stats {
namespace {

using Measure = KeyRanking::Measure;

template <typename... Args>
void put(fmt::memory_buffer& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(fmt::appender(out), format, std::forward<Args>(args)...);
}

double span_seconds(std::int64_t first_us, std::int64_t last_us) {
  return first_us < 0 || last_us <= first_us ? 0.0 : static_cast<double>(last_us - first_us) / 1e6;
}

std::string error_label(std::int32_t code) {
  const std::string_view name = zk::error_name(code);
  return name.empty() ? fmt::format("{}", code) : std::string(name);
}

std::size_t connect_index() {
  return zk::op_count();
}

}  // namespace

std::uint64_t Collector::OpStats::error_count() const {
  std::uint64_t count = 0;
  for (const auto& [code, n] : errors) count += zk::is_failure(op_code, code) ? n : 0;
  return count;
}

Collector::Collector(const StatsOptions& options)
    : options_(options),
      ops_(zk::op_count() + 1),
      paths_(options.key_rows),
      clients_(options.key_rows),
      event_paths_(options.key_rows) {}

void Collector::note_time(std::int64_t ts_us) {
  if (first_ts_us_ < 0 || ts_us < first_ts_us_) first_ts_us_ = ts_us;
  last_ts_us_ = std::max(last_ts_us_, ts_us);
}

// Each connection's client rows, kept with it: a lookup only when they are lost to busier
// clients.
struct Collector::ClientRow : session::ConnectionState {
  KeyRanking::Handles handles;
};

KeyRanking::Handles& Collector::client_of(const session::Connection& connection) {
  return connection.state<ClientRow>(state_index_).handles;
}

Collector::OpStats& Collector::op_stats(std::size_t op) {
  std::unique_ptr<OpStats>& stats = ops_[op];
  if (stats == nullptr) {
    stats = std::make_unique<OpStats>();
    stats->name = op == connect_index() ? std::string_view("connect") : zk::op_at(op).json_name;
    stats->op_code = op == connect_index() ? 0 : zk::op_at(op).code;
  }
  return *stats;
}

std::string_view Collector::folded_path(std::string_view path) const {
  return fold_path(path, options_.aggregation_depth);
}

void Collector::server_discovered(const session::ServerDiscovered& server) {
  ++servers_found_;
  if (servers_.size() >= kMaxListedServers) return;
  servers_.push_back({session::format_endpoint(server.server),
                      session::protocol_name(server.protocol), server.evidence});
}

void Collector::quorum(const session::QuorumMessage& message) {
  const session::EnsembleView* ensemble = message.ensemble;
  if (ensemble != nullptr &&
      (ensemble->leaders != ensemble_.leaders || ensemble->leader != ensemble_.leader ||
       ensemble->epoch != ensemble_.epoch)) {
    ensemble_ = *ensemble;  // copied when it changes only
  }
}

void Collector::start_interval() {
  paths_.reset_counts();
  clients_.reset_counts();
  event_paths_.reset_counts();
  for (std::unique_ptr<OpStats>& op : ops_) op.reset();
  events_.clear();
  auth_schemes_.clear();
  for (std::uint64_t& count : sessions_) count = 0;
  tls_ = {};
  requests_ = replies_ = events_total_ = unanswered_ = 0;
  first_ts_us_ = last_ts_us_ = -1;
}

// Requests and replies as the run's summary counts them: every one recognised as such, decoded
// or not, four-letter words included.
void Collector::count_message(const session::ZkMessage& message) {
  const bool selected = message.selection == session::Selection::kYes;
  std::visit(Overloaded{
                 [&](const zk::ConnectRequest&) { requests_ += selected ? 1 : 0; },
                 [&](const session::FourLetterWord&) { ++requests_; },
                 [&](const zk::Request& request) {
                   requests_ += request.op != nullptr && selected ? 1 : 0;
                 },
                 [&](const zk::ConnectResponse&) { ++replies_; },
                 [&](const zk::Reply&) { ++replies_; },
                 [&](const session::FourLetterReply&) { ++replies_; },
                 [](const zk::WatcherEvent&) {},
                 [](const tls::ClientHello&) {},
                 [](const session::OtherTlsRecord&) {},
             },
             message.body);
}

void Collector::open(session::Connection& connection) {
  if (connection.protocol != session::Protocol::kZooKeeper) return;
  connection.sink_state[state_index_] = std::make_unique<ClientRow>();
}

void Collector::zk(const session::ZkMessage& message) {
  if (message.selection == session::Selection::kNo) return;  // the field filters scope --stats
  count_message(message);
  if (const auto* connect = message.as<zk::ConnectRequest>()) {
    if (connect->decoded.complete) on_request(message, connect_index(), {});
  } else if (const auto* request = message.as<zk::Request>()) {
    if (request->op != nullptr) on_request(message, *request);
  } else if (const auto* response = message.as<zk::ConnectResponse>()) {
    if (response->decoded.complete) on_reply(message, connect_index(), response->error());
  } else if (const auto* reply = message.as<zk::Reply>()) {
    on_reply(message, reply->op != nullptr ? zk::op_index(*reply->op) : ops_.size(),
             reply->error());
  } else if (const auto* event = message.as<zk::WatcherEvent>()) {
    if (event->decoded.complete) on_event(message, *event);
  }
}

void Collector::on_request(const session::ZkMessage& message, const zk::Request& request) {
  on_request(message, zk::op_index(*request.op), request.facts.path.view());
  if (message.selection != session::Selection::kYes) return;
  if (request.op->code == zk::kOpAuth) {
    const std::string scheme(request.facts.auth_scheme.view());
    if (auth_schemes_.size() < options_.max_auth_schemes || auth_schemes_.contains(scheme)) {
      ++auth_schemes_[scheme];
    }
  }
  if (request.op->code == zk::kOpSasl) ++auth_schemes_["sasl"];
}

// A request leaves in its slots its path's handles (so that its reply need not look the path
// up again) and its size (so that a request the filters decide at its reply can be counted then).
void Collector::on_request(const session::ZkMessage& message, std::size_t op,
                           std::string_view path) {
  note_time(message.ts_us);
  const auto bytes = static_cast<std::uint64_t>(message.frame_size) + 4;
  std::uint64_t unkept = 0;
  std::uint64_t& path_handles =
      message.outstanding != nullptr ? message.outstanding->slots[request_slot_] : unkept;
  path_handles = KeyRanking::Handles{}.packed();
  if (message.outstanding != nullptr) message.outstanding->slots[request_slot_ + 1] = bytes;
  if (message.selection == session::Selection::kAtReply) return;  // counted if its reply is
  count_request(*message.connection, op, path_handles, bytes,
                path.empty() ? path : folded_path(path));
}

void Collector::count_request(const session::Connection& connection, std::size_t op,
                              std::uint64_t& path_handles, std::uint64_t bytes,
                              std::string_view path) {
  OpStats& stats = op_stats(op);
  ++stats.requests;
  stats.bytes += bytes;
  if (!path.empty()) {
    auto handles = KeyRanking::Handles::unpack(path_handles);
    paths_.request(handles, path, bytes);
    path_handles = handles.packed();
  }
  clients_.request(client_of(connection), connection.client_host(), bytes);
}

// A request the filters decided at its end (reply or none): counted now that it is selected.
std::uint64_t Collector::count_deferred(const session::Connection& connection,
                                        const session::Outstanding* request) {
  if (request == nullptr) return KeyRanking::Handles{}.packed();
  std::uint64_t path_handles = request->slots[request_slot_];
  if (request->selection != session::Selection::kAtReply) return path_handles;
  ++requests_;
  const std::size_t op = request->op != nullptr ? zk::op_index(*request->op) : connect_index();
  const std::string_view path = request->path;
  count_request(connection, op, path_handles, request->slots[request_slot_ + 1],
                path.empty() ? path : folded_path(path));
  return path_handles;
}

void Collector::on_reply(const session::ZkMessage& message, std::size_t op, std::int32_t err) {
  note_time(message.ts_us);
  const session::Outstanding* request = message.outstanding;
  const std::uint64_t path_handles = count_deferred(*message.connection, request);
  if (op >= ops_.size()) return;  // a reply to a request never seen
  OpStats& stats = op_stats(op);
  if (err != 0) ++stats.errors[err];
  if (message.session_change != session::SessionChange::kNone) {
    ++sessions_[static_cast<int>(message.session_change) - 1];
  }
  if (message.latency_us < 0) return;
  stats.latency.add(message.latency_us);
  const auto bytes = static_cast<std::uint64_t>(message.frame_size) + 4;
  auto handles = KeyRanking::Handles::unpack(path_handles);
  if (handles.by_bytes != KeyRanking::Table::kNone) {  // the request had a path
    paths_.reply(handles, folded_path(request->path), bytes, message.latency_us);
  }
  clients_.reply(client_of(*message.connection), message.connection->client_host(), bytes,
                 message.latency_us);
}

void Collector::on_event(const session::ZkMessage& message, const zk::WatcherEvent& event) {
  note_time(message.ts_us);
  ++events_total_;
  const std::string_view name = zk::event_type_name(event.type);
  ++events_[name.empty() ? std::string_view("Unknown") : name];
  event_paths_.add(folded_path(event.path.view()));
}

void Collector::unanswered(const session::Unanswered& unanswered) {
  if (!unanswered.selected) return;
  count_deferred(*unanswered.connection, unanswered.request);
  ++unanswered_;
  const zk::OpInfo* op = unanswered.request->op;
  ++op_stats(op != nullptr ? zk::op_index(*op) : connect_index()).unanswered;
}

double Collector::duration_s() const {
  return span_seconds(first_ts_us_, last_ts_us_);
}

std::vector<const Collector::OpStats*> Collector::ops() const {
  std::vector<const OpStats*> seen;
  for (const std::unique_ptr<OpStats>& op : ops_) {
    if (op != nullptr) seen.push_back(op.get());
  }
  std::sort(seen.begin(), seen.end(),
            [](const OpStats* a, const OpStats* b) { return a->name < b->name; });
  return seen;
}

void Collector::write_text(fmt::memory_buffer& out, const CaptureCounters& totals,
                           const ReportSpan& span) const {
  put(out, "zkdump statistics for ");
  write_span_text(out, span);
  put(out, ": {} requests, {} replies, {} events\n\n", requests_, replies_, events_total_);
  write_op_rows_text(out, span);
  write_top_tables_text(out);
  write_counts_text(out, totals);
  write_tls_text(out);
}

// Only where TLS was seen: how many connections decrypted, and why the others did not.
void Collector::write_tls_text(fmt::memory_buffer& out) const {
  if (tls_.sessions == 0) return;
  put(out,
      "\ntls: {} connections, {} decrypted ({} bytes, {} of plaintext), {} not decrypted ({} "
      "bytes)",
      tls_.sessions, tls_.decrypted, tls_.decrypted_bytes, tls_.plaintext_bytes,
      tls_.sessions - tls_.decrypted, tls_.undecrypted_bytes);
  for (std::size_t i = 0; i < tls::kFailureKinds; ++i) {
    if (tls_.not_decrypted[i] > 0) {
      put(out, " {} {}", tls::failure_name(static_cast<tls::Failure>(i)), tls_.not_decrypted[i]);
    }
  }
  for (std::size_t i = 0; i < tls::kFailureKinds; ++i) {
    if (tls_.stopped[i] > 0) {
      put(out, "; stopped by {}: {}", tls::failure_name(static_cast<tls::Failure>(i)),
          tls_.stopped[i]);
    }
  }
  put(out, "\n");
}

void Collector::write_tls_json(JsonWriter& json) const {
  if (tls_.sessions == 0) return;
  json.key("tls_sessions").begin_object();
  json.member("connections", tls_.sessions);
  json.member("decrypted_connections", tls_.decrypted);
  json.member("decrypted_bytes", tls_.decrypted_bytes);
  json.member("plaintext_bytes", tls_.plaintext_bytes);
  json.member("undecrypted_bytes", tls_.undecrypted_bytes);
  const auto by_failure = [&](std::string_view key, const auto& counts) {
    json.key(key).begin_object();
    for (std::size_t i = 0; i < tls::kFailureKinds; ++i) {
      if (counts[i] > 0) json.member(tls::failure_name(static_cast<tls::Failure>(i)), counts[i]);
    }
    json.end_object();
  };
  by_failure("not_decrypted", tls_.not_decrypted);
  by_failure("stopped", tls_.stopped);
  json.end_object();
}

void Collector::write_op_rows_text(fmt::memory_buffer& out, const ReportSpan& span) const {
  put(out, "{:<22} {:>9} {:>9} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n", "op", "requests",
      "req/s", "errors", "min_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
      "errors by name");
  for (const OpStats* stats : ops()) {
    const LatencyHistogram& h = stats->latency;
    put(out, "{:<22} {:>9} {:>9.1f} {:>7} {:>8} {:>8.0f} {:>8.0f} {:>8.0f} {:>8.0f} {:>8}  ",
        stats->name, stats->requests, span.rate(stats->requests), stats->error_count(), h.min(),
        h.percentile(0.5), h.percentile(0.9), h.percentile(0.99), h.percentile(0.999), h.max());
    for (const auto& [code, count] : stats->errors) put(out, "{}={} ", error_label(code), count);
    put(out, "\n");
  }
}

namespace {

// What a ranking's rows may be off by: nothing while every key has had a row, else the most a
// key not listed may have had.
void put_bound(fmt::memory_buffer& out, const KeyRanking& ranking, Measure measure,
               std::string_view kind) {
  const std::uint64_t bound = ranking.unlisted_bound(measure);
  if (bound == 0) {
    put(out, "exact)\n");
  } else {
    put(out, "{} rows kept: a {} not listed had at most {} {})\n", ranking.rows(), kind, bound,
        measure == Measure::kBytes ? "bytes" : "requests");
  }
}

}  // namespace

void Collector::write_top_tables_text(fmt::memory_buffer& out) const {
  const auto table = [&](const KeyRanking& ranking, std::string_view kind, const char* title,
                         Measure measure) {
    put(out, "\ntop {}s by {} (", kind, title);
    if (kind == "path" && options_.aggregation_depth > 0) {
      put(out, "aggregation depth {}, ", options_.aggregation_depth);
    }
    put_bound(out, ranking, measure, kind);
    put(out, "  {:>9} {:>12} {:>10} {:>9}  {}\n", "requests", "bytes", "avg_us", "uncertain", kind);
    for (const KeyRanking::Row& row : ranking.top(measure, options_.limit)) {
      put(out, "  {:>9} {:>12} {:>10.0f} {:>9}  ", row.requests, row.bytes, row.average_latency_us,
          row.uncertain);
      append_text_value(out, row.key);
      put(out, "\n");
    }
  };
  table(paths_, "path", "requests", Measure::kRequests);
  table(paths_, "path", "bytes", Measure::kBytes);
  table(paths_, "path", "average latency", Measure::kLatency);
  table(clients_, "client", "requests", Measure::kRequests);
  table(clients_, "client", "bytes", Measure::kBytes);
}

void Collector::write_counts_text(fmt::memory_buffer& out, const CaptureCounters& totals) const {
  put(out, "\nsessions:");
  for (std::size_t i = 0; i < sessions_.size(); ++i) {
    put(out, " {} {}", session::kSessionChangeNames[i], sessions_[i]);
  }
  put(out, "\nwatch events:");
  for (const auto& [name, count] : events_) put(out, " {} {}", name, count);
  put(out, "\n  paths that fired most:\n");
  for (const auto& row : top_event_paths()) {
    put(out, "  {:>9}  ", row.count - row.error);
    append_text_value(out, row.key);
    put(out, "\n");
  }
  put(out, "auth schemes:");
  for (const auto& [scheme, count] : auth_schemes_) {
    put(out, " ");
    append_text_value(out, scheme);
    put(out, " {}", count);
  }
  put(out, "\nbytes: {} to servers, {} to clients\n", totals.bytes_to_server,
      totals.bytes_to_client);
  put(out,
      "problems: {} unanswered, {} unknown-xid replies, {} undecodable frames, {} gaps ({} bytes), "
      "{} kernel drops",
      unanswered_, totals.unknown_replies, totals.undecodable_frames, totals.gaps, totals.gap_bytes,
      totals.kernel_drops);
  // Rare (a driver's own losses): said when there were some.
  if (totals.interface_drops > 0) put(out, ", {} interface drops", totals.interface_drops);
  put(out, "\nservers found: {}", servers_found_);
  for (const FoundServer& server : servers_) {
    put(out, "\n  {:<47} {:<9} {}", server.endpoint, server.protocol, server.evidence);
  }
  if (servers_found_ > servers_.size())
    put(out, "\n  ... and {} more", servers_found_ - servers_.size());
  put(out, "\n");
}

void Collector::write_key_rows(JsonWriter& json, const KeyRanking& ranking,
                               std::string_view key_name, Measure measure) const {
  json.begin_array();
  for (const KeyRanking::Row& row : ranking.top(measure, options_.limit)) {
    json.begin_object();
    json.member(key_name, row.key);
    json.member("requests", row.requests);
    json.member("bytes", row.bytes);
    json.key("avg_latency_us").fixed(row.average_latency_us, 1);
    json.member("uncertain", row.uncertain);
    json.end_object();
  }
  json.end_array();
}

// A ranking's tables and what bounds them (the schema's key_ranking).
void Collector::write_ranking_json(JsonWriter& json, const KeyRanking& ranking,
                                   std::string_view key_name) const {
  json.member("rows_kept", ranking.rows());
  json.member("unlisted_max_requests", ranking.unlisted_bound(Measure::kRequests));
  json.member("unlisted_max_bytes", ranking.unlisted_bound(Measure::kBytes));
  write_key_rows(json.key("by_requests"), ranking, key_name, Measure::kRequests);
  write_key_rows(json.key("by_bytes"), ranking, key_name, Measure::kBytes);
  if (key_name == "path") {
    write_key_rows(json.key("by_latency"), ranking, key_name, Measure::kLatency);
  }
}

std::vector<HeavyHitters<Collector::NoFigures>::Row> Collector::top_event_paths() const {
  auto rows = event_paths_.rows();
  const std::size_t keep = std::min(options_.limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end(),
                    [](const auto& a, const auto& b) {
                      return a.count - a.error != b.count - b.error
                                 ? a.count - a.error > b.count - b.error
                                 : a.key < b.key;
                    });
  rows.resize(keep);
  return rows;
}

void Collector::write_op_json(JsonWriter& json, const OpStats& stats, const ReportSpan& span) {
  json.key(stats.name).begin_object();
  json.member("count", stats.requests);
  json.key("rate").fixed(span.rate(stats.requests), 3);
  json.member("bytes", stats.bytes);
  json.member("unanswered", stats.unanswered);
  json.member("errors", stats.error_count());
  json.key("errors_by_name").begin_object();
  for (const auto& [code, count] : stats.errors) json.member(error_label(code), count);
  json.end_object();
  json.key("latency");
  write_latency_json(json, stats.latency);
  json.end_object();
}

// Session changes, watch events and auth schemes.
void Collector::write_sessions_json(JsonWriter& json) const {
  json.key("session_changes").begin_object();
  for (std::size_t i = 0; i < sessions_.size(); ++i) {
    json.member(session::kSessionChangeNames[i], sessions_[i]);
  }
  json.end_object();
  json.key("watch_events").begin_object();
  json.member("total", events_total_);
  json.key("by_type").begin_object();
  for (const auto& [name, count] : events_) json.member(name, count);
  json.end_object();
  json.member("unlisted_max_events", event_paths_.unlisted_bound());
  json.key("top_paths").begin_array();
  for (const auto& row : top_event_paths()) {
    json.begin_object();
    json.member("path", row.key);
    json.member("requests", row.count - row.error);
    json.member("bytes", 0);
    json.key("avg_latency_us").fixed(0.0, 1);
    json.member("uncertain", row.error);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  // Not a map keyed by scheme: a scheme's name (digest) is a key of another type elsewhere.
  json.key("auth_schemes").begin_array();
  for (const auto& [scheme, count] : auth_schemes_) {
    json.begin_object();
    json.member("scheme", scheme);
    json.member("requests", count);
    json.end_object();
  }
  json.end_array();
}

void Collector::write_json(fmt::memory_buffer& out, const CaptureCounters& totals,
                           const ReportSpan& span) const {
  JsonWriter json(out);
  json.begin_object();
  json.member("kind", "stats");
  write_span_json(json, span);
  json.key("op_stats").begin_object();
  for (const OpStats* stats : ops()) write_op_json(json, *stats, span);
  json.end_object();
  json.key("paths").begin_object();
  json.member("aggregation_depth", options_.aggregation_depth);
  write_ranking_json(json, paths_, "path");
  json.end_object();
  json.key("clients").begin_object();
  write_ranking_json(json, clients_, "client");
  json.end_object();
  write_sessions_json(json);
  json.key("totals").begin_object();
  json.member("packets", totals.packets);
  json.member("requests", requests_);
  json.member("replies", replies_);
  json.member("events", events_total_);
  json.member("bytes_to_server", totals.bytes_to_server);
  json.member("bytes_to_client", totals.bytes_to_client);
  json.member("unanswered", unanswered_);
  json.member("unknown_replies", totals.unknown_replies);
  json.member("undecodable_frames", totals.undecodable_frames);
  json.member("gaps", totals.gaps);
  json.member("gap_bytes", totals.gap_bytes);
  json.member("kernel_drops", totals.kernel_drops);
  json.member("interface_drops", totals.interface_drops);
  json.end_object();
  write_tls_json(json);
  json.member("servers_found", servers_found_);
  json.key("servers").begin_array();
  for (const FoundServer& server : servers_) {
    json.begin_object();
    json.member("server", server.endpoint);
    json.member("proto", server.protocol);
    json.member("evidence", server.evidence);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  append_char(out, '\n');
}

}  // namespace zkdump::stats
