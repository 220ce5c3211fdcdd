#include "zkdump/zk/quorum_frames.hpp"

#include <algorithm>
#include <iterator>

#include "zkdump/zk/quorum.hpp"

namespace zkdump::zk::quorum {
namespace {

using framing::Verdict;

Verdict verdict_of(const Parse& parse, std::uint8_t tag) {
  switch (parse.outcome) {
    case Parse::kComplete:
      return Verdict::message(parse.size, tag);
    case Parse::kIncomplete:
      return Verdict::need(parse.size);
    case Parse::kInvalid:
      break;
  }
  return Verdict::implausible();
}

}  // namespace

Verdict ElectionFrames::judge(ByteSpan front, bool searching, bool) {
  if (expect_header_ && !searching) {
    ElectionHeader header;
    const Parse parse = parse_election_header(front, header);
    if (parse.outcome == Parse::kIncomplete) return Verdict::need(parse.size);
    expect_header_ = false;
    if (parse.outcome == Parse::kComplete) {
      return Verdict::message(parse.size, static_cast<std::uint8_t>(ElectionTag::kHeader));
    }
  }
  ByteSpan payload;
  const Parse parse = parse_election_message(front, payload);
  Notification notification;
  if (parse.outcome == Parse::kComplete && !decode_notification(payload, notification)) {
    return Verdict::implausible();
  }
  if (parse.outcome == Parse::kComplete) expect_header_ = false;
  return verdict_of(parse, static_cast<std::uint8_t>(ElectionTag::kMessage));
}

Verdict ZabFrames::judge(ByteSpan front, bool, bool closing) {
  if (in_snapshot_) return judge_snapshot(front, closing);
  QuorumPacket packet;
  return verdict_of(parse_quorum_packet(front, kMaxQuorumData, packet),
                    static_cast<std::uint8_t>(ZabTag::kPacket));
}

// The raw snapshot is passed over in chunks up to its closing signature; what could be the start
// of the signature is kept until more bytes tell.
Verdict ZabFrames::judge_snapshot(ByteSpan front, bool closing) {
  constexpr std::size_t kEnd = sizeof kSnapshotEnd;
  const auto found =
      std::search(front.begin(), front.end(), std::begin(kSnapshotEnd), std::end(kSnapshotEnd));
  if (found != front.end()) {
    in_snapshot_ = false;
    return Verdict::message(static_cast<std::size_t>(found - front.begin()) + kEnd,
                            static_cast<std::uint8_t>(ZabTag::kSnapshotDone));
  }
  const std::size_t passed = closing ? front.size() : front.size() > kEnd ? front.size() - kEnd : 0;
  if (passed == 0) return Verdict::need(front.size() + 1);
  return Verdict::message(passed, static_cast<std::uint8_t>(ZabTag::kSnapshotChunk));
}

}  // namespace zkdump::zk::quorum
