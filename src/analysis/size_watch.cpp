#include "zkdump/analysis/size_watch.hpp"

namespace zkdump::analysis {

using session::SizeAlert;
using session::ZkMessage;

SizeWatch::SizeWatch(session::Sinks& sinks, const SizeLimits& limits)
    : sinks_(sinks), limits_(limits), threshold_(limits.threshold()) {}

void SizeWatch::zk(const ZkMessage& message) {
  if (message.frame_size < threshold_) return;  // nearly every message: decided before any copy
  SizeAlert alert;
  alert.connection = message.connection;
  alert.ts_us = message.ts_us;
  alert.limit = limits_.jute_maxbuffer;
  alert.size = message.frame_size;
  alert.selected = message.selection != session::Selection::kNo;
  if (const auto* request = message.as<zk::Request>()) {
    alert.what = SizeAlert::What::kRequest;
    alert.op = request->op;
    alert.path = request->facts.path.view();
  } else if (const auto* reply = message.as<zk::Reply>()) {
    alert.what = SizeAlert::What::kReply;
    alert.op = reply->op;
    if (message.outstanding != nullptr) alert.path = message.outstanding->path;
  } else {
    return;
  }
  sinks_.size_alert(alert);
}

void SizeWatch::quorum(const session::QuorumMessage& message) {
  const auto* zab = message.as<zk::quorum::ZabPacket>();
  if (zab == nullptr || message.direction == Direction::kToServer || !message.broadcast) return;
  const zk::quorum::ZabPacket& packet = *zab;
  if (packet.packet.type != zk::quorum::kProposal) return;
  if (static_cast<std::int64_t>(packet.packet.data.size) < threshold_) return;
  if (packet.packet.zxid == last_txn_zxid_) return;
  last_txn_zxid_ = packet.packet.zxid;
  SizeAlert alert;
  alert.what = SizeAlert::What::kTxn;
  alert.connection = message.connection;
  alert.ts_us = message.ts_us;
  alert.limit = limits_.jute_maxbuffer;
  alert.size = static_cast<std::int64_t>(packet.packet.data.size);
  alert.zxid = packet.packet.zxid;
  alert.session = packet.txn.session;
  alert.path = packet.txn.path.view();
  alert.txn_type = zk::quorum::txn_type_name(packet.txn.type);
  sinks_.size_alert(alert);
}

}  // namespace zkdump::analysis
