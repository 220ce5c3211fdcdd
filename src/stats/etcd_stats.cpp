#include "zkdump/stats/etcd_stats.hpp"

#include <algorithm>
#include <vector>

#include "zkdump/base/escape.hpp"
#include "zkdump/etcd/messages.hpp"
#include "zkdump/http2/grpc.hpp"

namespace zkdump::stats {
namespace {

// Methods are etcd's few dozen; paths no table knows are bounded too.
constexpr std::size_t kMaxMethods = 256;
constexpr std::string_view kOther = "(other)";
constexpr std::string_view kUnknown = "(unknown)";
constexpr std::size_t kMaxWatchers = 10000;  // then (other)
constexpr std::size_t kMaxLeaseKeys = 65536;
constexpr std::size_t kTopRows = 10;

std::string_view text_of(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A key's prefix: up to its last '/' (/registry/pods/ns/a -> /registry/pods/ns/).
std::string_view prefix_of(std::string_view key) {
  const std::size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(0, slash + 1);
}

// The rows of a table with the most of `measure`, most first.
template <typename Value, typename Measure>
std::vector<const typename TextTable<Value>::Entry*> top_rows(const TextTable<Value>& table,
                                                              Measure measure,
                                                              std::size_t limit = kTopRows) {
  std::vector<const typename TextTable<Value>::Entry*> rows;
  rows.reserve(table.size());
  for (const auto& entry : table) rows.push_back(&entry);
  const std::size_t keep = std::min(limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end(),
                    [&](const auto* a, const auto* b) {
                      const auto ma = measure(a->value);
                      const auto mb = measure(b->value);
                      return ma != mb ? ma > mb : a->key < b->key;
                    });
  rows.resize(keep);
  return rows;
}

// The rows of a key table with the most uses (reads and writes), most first.
template <typename Table>
std::vector<typename Table::Row> top_uses(const Table& table, std::size_t limit = kTopRows) {
  auto rows = table.rows();
  const std::size_t keep = std::min(limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end(),
                    [](const auto& a, const auto& b) {
                      const auto uses = [](const auto& row) {
                        return row.value->reads + row.value->writes;
                      };
                      return uses(a) != uses(b) ? uses(a) > uses(b) : a.key < b.key;
                    });
  rows.resize(keep);
  return rows;
}

// One more read or write of `key`: its row ranks by both together.
template <typename Table>
void count_use(Table& table, std::string_view key, bool write) {
  auto& counts = *table.value(table.add(key));
  ++(write ? counts.writes : counts.reads);
}

template <typename... Args>
void put(fmt::memory_buffer& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(fmt::appender(out), format, std::forward<Args>(args)...);
}

std::string status_label(std::int32_t code) {
  const std::string_view name = http2::grpc_status_name(code);
  return name.empty() ? fmt::format("{}", code) : std::string(name);
}

}  // namespace

std::uint64_t EtcdStats::Method::errors() const {
  std::uint64_t count = 0;
  for (const auto& [code, n] : statuses) {
    count += code != 0 && code != http2::kGrpcStatusUnseen ? n : 0;  // UNSEEN: not known to fail
  }
  return count;
}

EtcdStats::Method& EtcdStats::method(const session::EtcdMessage& message) {
  std::string_view name = message.method != nullptr ? message.method->name : kUnknown;
  auto found = methods_.find(name);
  if (found != methods_.end()) return found->second;
  if (methods_.size() >= kMaxMethods) name = kOther;
  return methods_.try_emplace(std::string(name)).first->second;
}

void EtcdStats::etcd(const session::EtcdMessage& message) {
  if (const auto* request = message.as<session::GrpcRequest>())
    return on_request(message, *request);
  if (const auto* reply = message.as<session::GrpcReply>()) return on_reply(message, *reply);
  if (const auto* status = message.as<session::GrpcStatus>()) {
    Method& figures = method(message);
    ++figures.calls;
    if (message.call_begun && figures.open > 0) --figures.open;
    ++figures.statuses[status->code];
    if (message.latency_us >= 0) figures.latency.add(message.latency_us);
  }
}

void EtcdStats::on_request(const session::EtcdMessage& message,
                           const session::GrpcRequest& request) {
  Method& figures = method(message);
  ++figures.requests;
  if (message.begins_call) ++figures.open;
  const std::string_view client = message.connection->client_host();
  const etcd::KeyAccess access =
      message.method != nullptr ? message.method->access : etcd::KeyAccess::kNone;
  const bool write = access == etcd::KeyAccess::kWrite;
  count_use(clients_, client, write);
  if (message.method != nullptr && !request.compressed) {
    on_lease_request(message.method->name, request.body);
  }
  if (access == etcd::KeyAccess::kNone || request.compressed) return;
  const std::string_view key = text_of(etcd::request_key(request.body));
  count_use(keys_, key, write);
  count_use(prefixes_, prefix_of(key), write);
}

void EtcdStats::on_reply(const session::EtcdMessage& message, const session::GrpcReply& reply) {
  Method& figures = method(message);
  ++figures.replies;
  if (message.latency_us >= 0) figures.latency.add(message.latency_us);
  if (message.method == nullptr || reply.compressed) return;
  totals_.newest_revision = std::max(totals_.newest_revision, etcd::response_revision(reply.body));
  if (etcd::is_watch(message.method)) return on_watch_reply(message, reply.body);
  if (message.method->name == "Txn") {
    ++(etcd::txn_succeeded(reply.body) ? totals_.txn_succeeded : totals_.txn_failed);
  }
  on_lease_reply(message.method->name, reply.body);
}

void EtcdStats::on_watch_reply(const session::EtcdMessage& message, ByteSpan body) {
  const etcd::WatchFacts facts = etcd::watch_facts(body);
  totals_.event_puts += facts.puts;
  totals_.event_deletes += facts.deletes;
  totals_.watchers_created += facts.created ? 1 : 0;
  totals_.watchers_canceled += facts.canceled ? 1 : 0;
  const std::string name = fmt::format("{} stream {} watch {}", message.connection->client,
                                       message.stream, facts.watch_id);
  Watcher& watcher = watchers_.at_or_add(name, kMaxWatchers, kOther);
  watcher.events += facts.puts + facts.deletes;
  watcher.last_revision = facts.revision;
  watcher.max_lag = std::max(watcher.max_lag, totals_.newest_revision - facts.revision);
  etcd::WatchEvents events(body);
  etcd::WatchEvent event;
  while (events.next(event)) {
    if (event.is_delete) on_deleted_key(etcd::event_key(event));
  }
}

// Which keys hang on a lease, and which leases clients ended themselves.
void EtcdStats::on_lease_request(std::string_view name, ByteSpan body) {
  if (name == "LeaseRevoke") {
    if (leases_.ended.size() < kMaxLeaseKeys) leases_.ended.insert(etcd::lease_id(body, true));
    return;
  }
  if (name != "Put" && name != "DeleteRange") return;
  const ByteSpan key = etcd::request_key(body);
  const std::string_view text(reinterpret_cast<const char*>(key.data()), key.size());
  const std::int64_t lease = name == "Put" ? etcd::put_lease(body) : 0;
  if (lease == 0) {
    if (const auto found = leases_.of_key.find(text); found != leases_.of_key.end())
      leases_.of_key.erase(found);
  } else if (leases_.of_key.size() < kMaxLeaseKeys) {
    leases_.of_key[std::string(text)] = lease;
  }
}

// A key a client put with a lease, deleted by no client: the server deleted it, its lease
// having expired (revoking also deletes keys, but a revoke was seen then).
void EtcdStats::on_deleted_key(ByteSpan key) {
  const auto found =
      leases_.of_key.find(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
  if (found == leases_.of_key.end()) return;
  const std::int64_t lease = found->second;
  leases_.of_key.erase(found);
  if (!leases_.ended.contains(lease)) lease_expired(lease);
}

void EtcdStats::lease_expired(std::int64_t lease) {
  if (lease != 0 && !leases_.ended.insert(lease).second) return;  // counted already
  ++totals_.leases_expired;
}

void EtcdStats::on_lease_reply(std::string_view name, ByteSpan body) {
  if (name == "LeaseGrant") ++totals_.leases_granted;
  if (name == "LeaseRevoke") ++totals_.leases_revoked;
  if (name != "LeaseKeepAlive" && name != "LeaseTimeToLive") return;
  const bool alive = etcd::lease_ttl(body) > 0;
  if (name == "LeaseKeepAlive" && alive) ++totals_.leases_kept_alive;
  if (!alive) lease_expired(etcd::lease_id(body, false));
}

std::uint64_t EtcdStats::messages() const {
  std::uint64_t count = 0;
  for (const auto& [name, figures] : methods_) count += figures.requests + figures.replies;
  return count;
}

std::vector<EtcdStats::MethodRow> EtcdStats::method_rows() const {
  std::vector<MethodRow> rows;
  rows.reserve(methods_.size());
  for (const auto& [name, figures] : methods_)
    rows.push_back({name, figures.calls, figures.open, figures.errors(), &figures.latency});
  return rows;
}

std::vector<EtcdStats::KeyRow> EtcdStats::top_keys(std::size_t rows) const {
  std::vector<KeyRow> result;
  for (const auto& row : top_uses(keys_, rows))
    result.push_back({row.key, row.value->reads, row.value->writes, row.error});  // uncertain
  return result;
}

std::vector<EtcdStats::WatcherRow> EtcdStats::most_lagging(std::size_t rows) const {
  std::vector<WatcherRow> result;
  for (const auto* row : top_rows(
           watchers_, [](const Watcher& w) { return w.max_lag; }, rows))
    result.push_back({row->key, row->value.max_lag, row->value.events});
  return result;
}

void EtcdStats::start_interval() {
  Leases kept = std::move(leases_);
  *this = EtcdStats();
  leases_ = std::move(kept);
}

void EtcdStats::write_text(fmt::memory_buffer& out, const ReportSpan& span) const {
  put(out, "etcd statistics for ");
  write_span_text(out, span);
  put(out, "\n\n{:<22} {:>7} {:>6} {:>9} {:>9} {:>9} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n",
      "method", "calls", "open", "calls/s", "requests", "replies", "errors", "min_us", "p50_us",
      "p99_us", "p999_us", "max_us", "statuses");
  for (const auto& [name, figures] : methods_) {
    const LatencyHistogram& h = figures.latency;
    put(out,
        "{:<22} {:>7} {:>6} {:>9.1f} {:>9} {:>9} {:>7} {:>8} {:>8.0f} {:>8.0f} {:>8.0f} {:>8}  ",
        name, figures.calls, figures.open, span.rate(figures.calls), figures.requests,
        figures.replies, figures.errors(), h.min(), h.percentile(0.5), h.percentile(0.99),
        h.percentile(0.999), h.max());
    for (const auto& [code, count] : figures.statuses)
      put(out, "{}={} ", status_label(code), count);
    put(out, "\n");
  }
  put(out,
      "watch: {} events ({} puts, {} deletes), {:.1f} events/s; {} watchers created, {} "
      "canceled\ntxn: {} succeeded, {} failed\n",
      totals_.event_puts + totals_.event_deletes, totals_.event_puts, totals_.event_deletes,
      span.rate(totals_.event_puts + totals_.event_deletes), totals_.watchers_created,
      totals_.watchers_canceled, totals_.txn_succeeded, totals_.txn_failed);
  put(out, "leases: {} granted, {} kept alive, {} expired, {} revoked\n", totals_.leases_granted,
      totals_.leases_kept_alive, totals_.leases_expired, totals_.leases_revoked);
  write_watchers_text(out);
  write_keys_text(out);
}

void EtcdStats::write_watchers_text(fmt::memory_buffer& out) const {
  if (watchers_.size() == 0) return;
  put(out, "\nwatchers by lag (newest revision seen: {})\n  {:>9} {:>9} {:>12}  watcher\n",
      totals_.newest_revision, "max_lag", "events", "revision");
  for (const auto* row : top_rows(watchers_, [](const Watcher& w) { return w.max_lag; })) {
    put(out, "  {:>9} {:>9} {:>12}  {}\n", row->value.max_lag, row->value.events,
        row->value.last_revision, row->key);
  }
}

void EtcdStats::write_keys_text(fmt::memory_buffer& out) const {
  const std::pair<const char*, const KeyTable*> tables[] = {
      {"keys", &keys_}, {"prefixes", &prefixes_}, {"clients", &clients_}};
  for (const auto& [title, table] : tables) {
    if (table->size() == 0) continue;
    put(out, "\ntop {} by reads and writes", title);
    if (table->unlisted_bound() == 0) {
      put(out, " (exact)");
    } else {
      put(out, " ({} rows kept: one not listed had at most {})", table->capacity(),
          table->unlisted_bound());
    }
    put(out, "\n  {:>9} {:>9} {:>9}  {}\n", "reads", "writes", "uncertain",
        title == std::string_view("clients") ? "client" : "key");
    for (const auto& row : top_uses(*table)) {
      put(out, "  {:>9} {:>9} {:>9}  ", row.value->reads, row.value->writes, row.error);
      append_escaped_text(out, row.key);
      put(out, "\n");
    }
  }
}

void EtcdStats::write_json(fmt::memory_buffer& out, const ReportSpan& span) const {
  JsonWriter json(out);
  json.begin_object();
  json.member("kind", "etcd_stats");
  write_span_json(json, span);
  json.key("methods").begin_object();
  for (const auto& [name, figures] : methods_) write_method_json(json, name, figures, span);
  json.end_object();
  json.key("watch_activity").begin_object();
  json.member("events", totals_.event_puts + totals_.event_deletes);
  json.member("puts", totals_.event_puts);
  json.member("deletes", totals_.event_deletes);
  json.member("watchers_created", totals_.watchers_created);
  json.member("watchers_canceled", totals_.watchers_canceled);
  json.end_object();
  json.key("txn_outcomes").begin_object();
  json.member("succeeded_count", totals_.txn_succeeded);
  json.member("failed_count", totals_.txn_failed);
  json.end_object();
  json.key("leases").begin_object();
  json.member("granted", totals_.leases_granted);
  json.member("kept_alive", totals_.leases_kept_alive);
  json.member("expired_count", totals_.leases_expired);
  json.member("revoked", totals_.leases_revoked);
  json.end_object();
  json.member("newest_revision", totals_.newest_revision);
  write_watchers_json(json);
  write_keys_json(json.key("top_keys"), keys_);
  write_keys_json(json.key("top_prefixes"), prefixes_);
  write_keys_json(json.key("top_clients"), clients_);
  json.end_object();
  append_char(out, '\n');
}

void EtcdStats::write_method_json(JsonWriter& json, std::string_view name, const Method& figures,
                                  const ReportSpan& span) {
  json.key(name).begin_object();
  json.member("calls", figures.calls);
  json.member("open", figures.open);
  json.key("rate").fixed(span.rate(figures.calls), 3);
  json.member("requests", figures.requests);
  json.member("replies", figures.replies);
  json.member("errors", figures.errors());
  json.key("statuses").begin_object();
  for (const auto& [code, count] : figures.statuses) json.member(status_label(code), count);
  json.end_object();
  write_latency_json(json.key("latency"), figures.latency);
  json.end_object();
}

void EtcdStats::write_watchers_json(JsonWriter& json) const {
  json.key("watchers").begin_array();
  for (const auto* row : top_rows(watchers_, [](const Watcher& w) { return w.max_lag; })) {
    json.begin_object();
    json.member("watcher", row->key);
    json.member("max_lag", row->value.max_lag);
    json.member("events", row->value.events);
    json.member("revision", row->value.last_revision);
    json.end_object();
  }
  json.end_array();
}

void EtcdStats::write_keys_json(JsonWriter& json, const KeyTable& table) {
  json.begin_array();
  for (const auto& row : top_uses(table)) {
    json.begin_object();
    json.member("key", row.key);
    json.member("reads", row.value->reads);
    json.member("writes", row.value->writes);
    json.member("uncertain", row.error);
    json.end_object();
  }
  json.end_array();
}

}  // namespace zkdump::stats
