// Statistics over etcd traffic: per gRPC method, calls, messages each way, final statuses and
// the latency of each call's first answer; watch events and watchers; Txn outcomes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <fmt/format.h>

#include "zkdump/session/sink.hpp"
#include "zkdump/stats/histogram.hpp"
#include "zkdump/stats/report_span.hpp"

namespace zkdump::stats {

class EtcdStats final : public session::Sink {
 public:
  void etcd(const session::EtcdMessage& message) override;

  bool empty() const { return methods_.empty(); }
  // Starts a new --stats-interval: every figure back to zero.
  void start_interval();
  void write_text(fmt::memory_buffer& out, const ReportSpan& span) const;
  void write_json(fmt::memory_buffer& out, const ReportSpan& span) const;

 private:
  struct Method {
    std::uint64_t requests = 0;  // messages from clients
    std::uint64_t replies = 0;   // messages from servers
    std::uint64_t calls = 0;     // ended with a status
    std::map<std::int32_t, std::uint64_t> statuses;
    LatencyHistogram latency;
    std::uint64_t errors() const;
  };
  Method& method(const session::EtcdMessage& message);
  void on_reply(const session::EtcdMessage& message);

  std::map<std::string, Method, std::less<>> methods_;
  std::uint64_t event_puts_ = 0;
  std::uint64_t event_deletes_ = 0;
  std::uint64_t watchers_created_ = 0;
  std::uint64_t watchers_canceled_ = 0;
  std::uint64_t txn_succeeded_ = 0;
  std::uint64_t txn_failed_ = 0;
};

}  // namespace zkdump::stats
