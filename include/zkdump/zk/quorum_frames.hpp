// How server-to-server streams are cut into messages for the framing engine. Leader election:
// the connecting server's header, then length-prefixed notifications. ZAB: back-to-back
// QuorumPackets with no outer length, and after a SNAP the raw snapshot, which has none either.
#pragma once

#include <cstdint>

#include "zkdump/framing/stream.hpp"

namespace zkdump::zk::quorum {

enum class ElectionTag : std::uint8_t { kHeader, kMessage };

class ElectionFrames final : public framing::Protocol {
 public:
  // `initiator`: the connecting side, which sends the header first.
  ElectionFrames(bool initiator, bool from_start) : expect_header_(initiator && from_start) {}
  framing::Verdict judge(ByteSpan front, bool searching, bool closing) override;
  bool search_at_close() const override { return true; }

 private:
  bool expect_header_;
};

enum class ZabTag : std::uint8_t { kPacket, kSnapshotChunk, kSnapshotDone };

class ZabFrames final : public framing::Protocol {
 public:
  framing::Verdict judge(ByteSpan front, bool searching, bool closing) override;
  bool search_at_close() const override { return true; }
  // A SNAP was read: the raw snapshot follows, ended by its signature.
  void expect_snapshot() { in_snapshot_ = true; }
  bool in_snapshot() const { return in_snapshot_; }

 private:
  framing::Verdict judge_snapshot(ByteSpan front, bool closing);

  bool in_snapshot_ = false;
};

// A proposal's txn: jute.maxbuffer and more. Larger packet data is refused as junk.
inline constexpr std::size_t kMaxQuorumData = 16u << 20;

}  // namespace zkdump::zk::quorum
