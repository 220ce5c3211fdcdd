// Messages near jute.maxbuffer. A server refuses a packet larger than jute.maxbuffer and a
// follower that cannot read a proposal falls out of the ensemble (ZOOKEEPER-2101, -3496), so a
// znode that keeps growing is worth knowing about before it reaches it: requests, replies and
// proposals at or past the alert fraction of the limit become SizeAlerts.
#pragma once

#include <cstdint>

#include "zkdump/session/sink.hpp"

namespace zkdump::analysis {

struct SizeLimits {
  std::int64_t jute_maxbuffer = 0xfffff;  // ZooKeeper's default, 1 MiB - 1
  double alert_fraction = 0.5;
  std::int64_t threshold() const {
    return static_cast<std::int64_t>(static_cast<double>(jute_maxbuffer) * alert_fraction);
  }
};

class SizeWatch final : public session::Sink {
 public:
  SizeWatch(session::Sinks& sinks, const SizeLimits& limits);

  void zk(const session::ZkMessage& message) override;
  void quorum(const session::QuorumMessage& message) override;

 private:
  session::Sinks& sinks_;
  SizeLimits limits_;
  std::int64_t threshold_;
  std::int64_t last_txn_zxid_ = 0;  // each follower gets a copy: one alert
};

}  // namespace zkdump::analysis
