// Statistics over etcd traffic: per gRPC method, calls, messages each way, final statuses and
// the latency of each call's first answer; watch events, watchers and each watcher's lag; leases;
// Txn outcomes; top keys, prefixes and clients. Every table is bounded.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "zkdump/base/heavy_hitters.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/stats/histogram.hpp"
#include "zkdump/stats/report_span.hpp"
#include "zkdump/stats/text_table.hpp"

namespace zkdump::stats {

class EtcdStats final : public session::Sink {
 public:
  void etcd(const session::EtcdMessage& message) override;

  bool empty() const { return methods_.empty(); }
  std::uint64_t messages() const;  // gRPC messages both ways
  // Starts a new --stats-interval: every figure back to zero.
  void start_interval();
  void write_text(fmt::memory_buffer& out, const ReportSpan& span) const;
  void write_json(fmt::memory_buffer& out, const ReportSpan& span) const;

  // What --top shows.
  struct MethodRow {
    std::string_view name;
    std::uint64_t calls;
    std::uint64_t open;
    std::uint64_t errors;
    const LatencyHistogram* latency;
  };
  std::vector<MethodRow> method_rows() const;
  struct Totals {
    std::uint64_t event_puts = 0;
    std::uint64_t event_deletes = 0;
    std::uint64_t watchers_created = 0;
    std::uint64_t watchers_canceled = 0;
    std::uint64_t txn_succeeded = 0;
    std::uint64_t txn_failed = 0;
    std::uint64_t leases_granted = 0;
    std::uint64_t leases_kept_alive = 0;  // keep-alive answers with time left
    // Leases that expired, each once: a keep-alive or time-to-live answer without time left,
    // or the server deleting a key put with a lease no client revoked (a watch saw it).
    std::uint64_t leases_expired = 0;
    std::uint64_t leases_revoked = 0;
    std::int64_t newest_revision = 0;
  };
  const Totals& totals() const { return totals_; }
  struct KeyRow {
    std::string_view key;
    std::uint64_t reads;
    std::uint64_t writes;
    std::uint64_t uncertain;  // the key may have had this many more, before it had a row
  };
  std::vector<KeyRow> top_keys(std::size_t rows) const;
  struct WatcherRow {
    std::string_view watcher;
    std::int64_t max_lag;
    std::int64_t events;
  };
  std::vector<WatcherRow> most_lagging(std::size_t rows) const;

 private:
  struct Method {
    std::uint64_t requests = 0;  // messages from clients
    std::uint64_t replies = 0;   // messages from servers
    std::uint64_t calls = 0;     // ended with a status
    std::uint64_t open = 0;      // begun in the capture, no status yet: a watch, a keep-alive
    std::map<std::int32_t, std::uint64_t> statuses;
    LatencyHistogram latency;
    std::uint64_t errors() const;
  };
  struct KeyCounts {
    std::uint64_t reads = 0;
    std::uint64_t writes = 0;
  };
  // A watcher: its connection's client, stream and watch id.
  struct Watcher {
    std::int64_t events = 0;
    std::int64_t last_revision = 0;
    std::int64_t max_lag = 0;  // revisions behind the newest one any reply showed
  };
  // Keys, prefixes and clients, by reads and writes together, in kKeyRows rows each.
  using KeyTable = HeavyHitters<KeyCounts>;
  static constexpr std::size_t kKeyRows = 4096;

  Method& method(const session::EtcdMessage& message);
  void on_request(const session::EtcdMessage& message, const session::GrpcRequest& request);
  void on_reply(const session::EtcdMessage& message, const session::GrpcReply& reply);
  void on_watch_reply(const session::EtcdMessage& message, ByteSpan body);
  void on_lease_reply(std::string_view name, ByteSpan body);
  void on_lease_request(std::string_view name, ByteSpan body);
  void on_deleted_key(ByteSpan key);
  void lease_expired(std::int64_t lease);
  void write_watchers_text(fmt::memory_buffer& out) const;
  void write_keys_text(fmt::memory_buffer& out) const;
  void write_watchers_json(JsonWriter& json) const;
  static void write_keys_json(JsonWriter& json, const KeyTable& table);
  static void write_method_json(JsonWriter& json, std::string_view name, const Method& figures,
                                const ReportSpan& span);

  std::map<std::string, Method, std::less<>> methods_;
  Totals totals_;
  TextTable<Watcher> watchers_;
  KeyTable keys_{kKeyRows};
  KeyTable prefixes_{kKeyRows};
  KeyTable clients_{kKeyRows};
  // What tells a lease's expiry from a client's delete, kept across intervals: the keys put with
  // a lease, and the leases revoked or already counted expired. Bounded: past kMaxLeaseKeys,
  // keys are not followed (an expiry may then go uncounted, never counted twice).
  struct TextHash {
    using is_transparent = void;  // found by a view of the wire's bytes, without a copy
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>()(text);
    }
  };
  struct Leases {
    std::unordered_map<std::string, std::int64_t, TextHash, std::equal_to<>> of_key;
    std::unordered_set<std::int64_t> ended;
  };
  Leases leases_;
};

}  // namespace zkdump::stats
