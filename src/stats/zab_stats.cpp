#include "zkdump/stats/zab_stats.hpp"

namespace zkdump::stats {
namespace {

// Learners reconnect from new ports until their FOLLOWERINFO names them: beyond this many, the
// rest share one row. Leaders are as many at most.
constexpr std::size_t kMaxFollowers = 1024;
constexpr std::string_view kOther = "(other)";

template <typename... Args>
void put(fmt::memory_buffer& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(fmt::appender(out), format, std::forward<Args>(args)...);
}

}  // namespace

ZabStats::Follower& ZabStats::follower(std::string_view name) {
  auto found = followers_.find(name);
  if (found != followers_.end()) return found->second;
  if (followers_.size() >= kMaxFollowers) name = kOther;
  return followers_.try_emplace(std::string(name)).first->second;
}

void ZabStats::on_proposal(std::string_view leader, std::int64_t zxid) {
  if (distinct_.add(leader, zxid)) ++proposals_;
}

void ZabStats::quorum(const session::QuorumMessage& message) {
  const auto* zab = message.as<zk::quorum::ZabPacket>();
  if (zab == nullptr || !message.broadcast) return;
  const zk::quorum::QuorumPacket& packet = zab->packet;
  if (packet.type == zk::quorum::kProposal && message.direction == Direction::kToClient) {
    on_proposal(message.connection->server, packet.zxid);
  } else if (message.latency_us >= 0 && packet.type == zk::quorum::kAck &&
             message.direction == Direction::kToServer) {
    follower(message.follower).acks.add(message.latency_us);
  } else if (message.latency_us >= 0 && zk::quorum::is_commit(packet.type) &&
             message.direction == Direction::kToClient) {
    follower(message.follower).commits.add(message.latency_us);
  }
}

void ZabStats::start_interval() {
  proposals_ = 0;
  followers_.clear();
}

void ZabStats::write_brief_text(fmt::memory_buffer& out) const {
  for (const auto& [name, figures] : followers_) {
    put(out,
        "  follower {}: {} commits, avg {:.0f} us, max {} us; {} acks, avg {:.0f} us, max {} us\n",
        name, figures.commits.count(), figures.commits.mean(), figures.commits.max(),
        figures.acks.count(), figures.acks.mean(), figures.acks.max());
  }
}

void ZabStats::write_text(fmt::memory_buffer& out, const ReportSpan& span) const {
  put(out, "zab statistics for ");
  write_span_text(out, span);
  put(out, ": {} proposals, {:.1f} proposals/s\n\n", proposals_, span.rate(proposals_));
  put(out, "{:<22} {:<7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "follower", "latency",
      "count", "min_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us");
  for (const auto& [name, figures] : followers_) {
    for (const auto& [label, h] : {std::pair{"ack", &figures.acks}, {"commit", &figures.commits}}) {
      put(out, "{:<22} {:<7} {:>8} {:>8} {:>8.0f} {:>8.0f} {:>8.0f} {:>8.0f} {:>8}\n", name, label,
          h->count(), h->min(), h->percentile(0.5), h->percentile(0.9), h->percentile(0.99),
          h->percentile(0.999), h->max());
    }
  }
}

void ZabStats::write_json(fmt::memory_buffer& out, const ReportSpan& span) const {
  JsonWriter json(out);
  json.begin_object();
  json.member("kind", "zab_stats");
  write_span_json(json, span);
  json.member("proposals", proposals_);
  json.key("proposals_per_s").fixed(span.rate(proposals_), 3);
  json.key("followers").begin_object();
  for (const auto& [name, figures] : followers_) {
    json.key(name).begin_object();
    write_latency_json(json.key("ack_latency"), figures.acks);
    write_latency_json(json.key("commit_latency"), figures.commits);
    json.end_object();
  }
  json.end_object();
  json.end_object();
  append_char(out, '\n');
}

}  // namespace zkdump::stats
