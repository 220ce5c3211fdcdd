#include "zkdump/stats/etcd_stats.hpp"

#include "zkdump/etcd/messages.hpp"
#include "zkdump/http2/grpc.hpp"

namespace zkdump::stats {
namespace {

// Methods are etcd's few dozen; paths no table knows are bounded too.
constexpr std::size_t kMaxMethods = 256;
constexpr std::string_view kOther = "(other)";
constexpr std::string_view kUnknown = "(unknown)";

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
  for (const auto& [code, n] : statuses) count += code != 0 ? n : 0;
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
  using Kind = session::EtcdMessage::Kind;
  switch (message.kind) {
    case Kind::kRequest:
      ++method(message).requests;
      return;
    case Kind::kReply:
      return on_reply(message);
    case Kind::kStatus: {
      Method& figures = method(message);
      ++figures.calls;
      ++figures.statuses[message.grpc_status];
      if (message.latency_us >= 0) figures.latency.add(message.latency_us);
      return;
    }
    default:
      return;
  }
}

void EtcdStats::on_reply(const session::EtcdMessage& message) {
  Method& figures = method(message);
  ++figures.replies;
  if (message.latency_us >= 0) figures.latency.add(message.latency_us);
  if (message.method == nullptr || message.compressed) return;
  if (message.method->name == "Watch") {
    const etcd::WatchFacts facts = etcd::watch_facts(message.body);
    event_puts_ += facts.puts;
    event_deletes_ += facts.deletes;
    watchers_created_ += facts.created ? 1 : 0;
    watchers_canceled_ += facts.canceled ? 1 : 0;
  } else if (message.method->name == "Txn") {
    ++(etcd::txn_succeeded(message.body) ? txn_succeeded_ : txn_failed_);
  }
}

void EtcdStats::start_interval() {
  *this = EtcdStats();
}

void EtcdStats::write_text(fmt::memory_buffer& out, const ReportSpan& span) const {
  put(out, "etcd statistics for ");
  write_span_text(out, span);
  put(out, "\n\n{:<22} {:>7} {:>9} {:>9} {:>9} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n", "method",
      "calls", "calls/s", "requests", "replies", "errors", "min_us", "p50_us", "p99_us", "p999_us",
      "max_us", "statuses");
  for (const auto& [name, figures] : methods_) {
    const LatencyHistogram& h = figures.latency;
    put(out, "{:<22} {:>7} {:>9.1f} {:>9} {:>9} {:>7} {:>8} {:>8.0f} {:>8.0f} {:>8.0f} {:>8}  ",
        name, figures.calls, span.rate(figures.calls), figures.requests, figures.replies,
        figures.errors(), h.min(), h.percentile(0.5), h.percentile(0.99), h.percentile(0.999),
        h.max());
    for (const auto& [code, count] : figures.statuses)
      put(out, "{}={} ", status_label(code), count);
    put(out, "\n");
  }
  put(out,
      "watch: {} events ({} puts, {} deletes), {:.1f} events/s; {} watchers created, {} "
      "canceled\ntxn: {} succeeded, {} failed\n",
      event_puts_ + event_deletes_, event_puts_, event_deletes_,
      span.rate(event_puts_ + event_deletes_), watchers_created_, watchers_canceled_,
      txn_succeeded_, txn_failed_);
}

void EtcdStats::write_json(fmt::memory_buffer& out, const ReportSpan& span) const {
  put(out, "{{\"kind\":\"etcd_stats\",");
  write_span_json(out, span);
  put(out, ",\"methods\":{{");
  bool first = true;
  for (const auto& [name, figures] : methods_) {
    put(out,
        "{}\"{}\":{{\"calls\":{},\"rate\":{:.3f},\"requests\":{},\"replies\":{},\"errors\":{},"
        "\"statuses\":{{",
        first ? "" : ",", name, figures.calls, span.rate(figures.calls), figures.requests,
        figures.replies, figures.errors());
    first = false;
    bool first_status = true;
    for (const auto& [code, count] : figures.statuses) {
      put(out, "{}\"{}\":{}", first_status ? "" : ",", status_label(code), count);
      first_status = false;
    }
    put(out, "}},\"latency\":");
    write_latency_json(out, figures.latency);
    put(out, "}}");
  }
  put(out,
      "}},\"watch_activity\":{{\"events\":{},\"puts\":{},\"deletes\":{},\"watchers_created\":{},"
      "\"watchers_canceled\":{}}},\"txn_outcomes\":{{\"succeeded_count\":{},\"failed_count\":{}}}}}"
      "\n",
      event_puts_ + event_deletes_, event_puts_, event_deletes_, watchers_created_,
      watchers_canceled_, txn_succeeded_, txn_failed_);
}

}  // namespace zkdump::stats
