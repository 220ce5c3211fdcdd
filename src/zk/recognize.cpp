#include "zkdump/zk/recognize.hpp"

#include <algorithm>

#include "zkdump/zk/protocol.hpp"
#include "zkdump/zk/quorum.hpp"
#include "zkdump/zk/quorum_frames.hpp"

namespace zkdump::zk {
namespace {

// Frames in a row that make a family certain without a port's hint.
constexpr int kConvincingRun = 3;

// What a run of frames from one offset shows: how many were whole and plausible, whether a
// plausible frame was still arriving, and whether an implausible one ended the run.
struct Run {
  int frames = 0;
  bool partial = false;
  bool broken = false;
  std::int32_t first_xid = 0;
  bool named_servers = false;  // a notification's config named the ensemble's servers
};

Evidence run_evidence(const Run& run) {
  if (run.frames >= kConvincingRun) return Evidence::kStrong;
  if (run.frames > 0 || run.partial) return run.broken ? Evidence::kRuledOut : Evidence::kWeak;
  return run.broken ? Evidence::kRuledOut : Evidence::kTooFewBytes;
}

// Walks length-prefixed frames; `plausible` judges a frame's body as far as it arrived.
template <class Plausible>
Run walk_frames(ByteSpan bytes, std::size_t header, Plausible plausible) {
  Run run;
  std::size_t position = 0;
  while (run.frames < kConvincingRun && bytes.size() - position >= kLengthSize) {
    const std::int32_t length = load_be32(bytes.data() + position);
    const std::uint8_t* body = bytes.data() + position + kLengthSize;
    if (length < static_cast<std::int32_t>(header) || length > kDefaultMaxFrame) {
      run.broken = true;
      return run;
    }
    if (bytes.size() - position < kLengthSize + header) return run;  // the header still arriving
    if (!plausible(body, run)) {
      run.broken = true;
      return run;
    }
    const std::size_t size = kLengthSize + static_cast<std::size_t>(length);
    if (bytes.size() - position < size) {
      run.partial = true;
      return run;
    }
    ++run.frames;
    position += size;
  }
  return run;
}

Run request_run(ByteSpan bytes) {
  std::int32_t last_xid = 0;
  return walk_frames(bytes, kRequestHeaderSize, [&last_xid](const std::uint8_t* body, Run& run) {
    const std::int32_t xid = load_be32(body);
    const std::int32_t opcode = load_be32(body + 4);
    if (find_op(opcode) == nullptr || !plausible_request_xid(opcode, xid)) return false;
    if (xid > 0 && xid < last_xid) return false;  // clients number requests in order
    if (xid > 0) last_xid = xid;
    if (run.frames == 0) run.first_xid = xid;
    return true;
  });
}

Run reply_run(ByteSpan bytes) {
  return walk_frames(bytes, kReplyHeaderSize, [](const std::uint8_t* body, Run& run) {
    const std::int32_t xid = load_be32(body);
    const std::int32_t err = load_be32(body + 12);
    const bool reserved = xid == kNotificationXid || op_for_reserved_xid(xid) != nullptr;
    if ((xid <= 0 && !reserved) || !is_known_error(err)) return false;
    if (run.frames == 0) run.first_xid = xid;
    return true;
  });
}

// The best run from any place a chunk began.
template <class Walk>
Run best_run(const FirstBytes& first, int side, Walk walk) {
  Run best;
  best.broken = true;
  const ByteSpan bytes = first.bytes[static_cast<std::size_t>(side)];
  for (const std::uint32_t start : first.starts_of(side)) {
    if (start >= bytes.size()) continue;
    const Run run = walk(bytes.subspan(start));
    if (run_evidence(run) > run_evidence(best)) best = run;
  }
  if (first.starts_of(side).empty()) best.broken = false;
  return best;
}

Recognition handshake(const FirstBytes& first, int side) {
  const ByteSpan bytes = first.bytes[static_cast<std::size_t>(side)];
  if (!first.from_start || bytes.size() < 4) return {};
  const std::string_view word = four_letter_word(bytes.data());
  // A four-letter word is the whole request (nc may add a newline): "stats\r\n" is memcached.
  if (!word.empty() && (bytes.size() == 4 || (bytes.size() == 5 && bytes[4] == '\n'))) {
    return {Evidence::kStrong, side == 1, "four_letter_word"};
  }
  constexpr std::int32_t kLongestConnectRequest = 64;
  const std::int32_t length = load_be32(bytes.data());
  if (length <= 0 || length > kLongestConnectRequest) return {Evidence::kRuledOut, false, {}};
  if (bytes.size() < kLengthSize + static_cast<std::size_t>(length)) return {};
  if (looks_like_connect_request(length, bytes.data() + kLengthSize)) {
    return {Evidence::kStrong, side == 1, "connect_request"};
  }
  return {Evidence::kRuledOut, false, {}};
}

Recognition client_frames(const FirstBytes& first, int side) {
  const Run requests = best_run(first, side, request_run);
  const Run replies = best_run(first, 1 - side, reply_run);
  const bool reversed = side == 1;
  // A reply answering a request seen: the two directions agree.
  if (requests.frames > 0 && replies.frames > 0)
    return {Evidence::kStrong, reversed, "request_and_reply"};
  const Evidence from_requests = run_evidence(requests);
  const Evidence from_replies = run_evidence(replies);
  if (from_requests >= from_replies) return {from_requests, reversed, "request_frames"};
  return {from_replies, reversed, "reply_frames"};
}

}  // namespace

Recognition recognize_client(const FirstBytes& first) {
  Recognition best{Evidence::kRuledOut, false, {}};
  for (int side = 0; side < 2; ++side) {
    best = stronger(best, handshake(first, side));
    best = stronger(best, client_frames(first, side));
  }
  return best;
}

namespace quorum {
namespace {

Run notification_run(ByteSpan bytes) {
  Run run;
  std::size_t position = 0;
  while (run.frames < kConvincingRun && position < bytes.size()) {
    ByteSpan payload;
    const Parse parse = parse_election_message(bytes.subspan(position), payload);
    Notification notification;
    if (parse.outcome == Parse::kInvalid ||
        (parse.outcome == Parse::kComplete && !decode_notification(payload, notification))) {
      run.broken = true;
      break;
    }
    if (parse.outcome == Parse::kIncomplete) {
      run.partial = parse.size > 4;  // its length was plausible
      break;
    }
    ++run.frames;
    position += parse.size;
    run.named_servers = run.named_servers || !config_servers(notification.config.view()).empty();
  }
  return run;
}

// Leader election: the connecting server's header names the protocol and its sid.
Recognition election_header(const FirstBytes& first, int side) {
  const ByteSpan bytes = first.bytes[static_cast<std::size_t>(side)];
  if (!first.from_start || bytes.empty()) return {};
  ElectionHeader header;
  const Parse parse = parse_election_header(bytes, header);
  if (parse.outcome == Parse::kInvalid) return {Evidence::kRuledOut, false, {}};
  if (parse.outcome == Parse::kIncomplete) return {};
  // Before 3.5 the header is a bare sid: eight bytes, of which a small sid leaves four zero.
  constexpr std::int64_t kLargestBareSid = std::int64_t{1} << 32;
  if (header.protocol_version == 0) {
    if (header.sid >= kLargestBareSid) return {Evidence::kRuledOut, false, {}};
    return {Evidence::kWeak, side == 1, "election_sid"};
  }
  return {Evidence::kStrong, side == 1, "election_header"};
}

enum class ZabRole : std::uint8_t { kEither, kLeader, kLearner };

ZabRole sender_role(std::int32_t type) {
  switch (type) {
    case kAck:
    case kRequest:
    case kFollowerInfo:
    case kObserverInfo:
    case kAckEpoch:
      return ZabRole::kLearner;
    case kPing:
    case kRevalidate:
      return ZabRole::kEither;
    default:
      return ZabRole::kLeader;
  }
}

struct ZabRun {
  Run run;
  ZabRole role = ZabRole::kEither;  // the sender's, from the first packet that tells
  std::int32_t first_type = 0;
};

ZabRun zab_run(ByteSpan bytes) {
  ZabRun result;
  std::size_t position = 0;
  while (result.run.frames < kConvincingRun && position < bytes.size()) {
    QuorumPacket packet;
    const Parse parse = parse_quorum_packet(bytes.subspan(position), kMaxQuorumData, packet);
    if (parse.outcome == Parse::kInvalid) {
      result.run.broken = true;
      break;
    }
    if (parse.outcome == Parse::kIncomplete) {
      result.run.partial = parse.size > 12;  // its type was known
      break;
    }
    if (result.run.frames == 0) result.first_type = packet.type;
    if (result.role == ZabRole::kEither) result.role = sender_role(packet.type);
    ++result.run.frames;
    position += parse.size;
  }
  return result;
}

ZabRun best_zab_run(const FirstBytes& first, int side) {
  const ByteSpan bytes = first.bytes[static_cast<std::size_t>(side)];
  ZabRun best;
  best.run.broken = !first.starts_of(side).empty();
  for (const std::uint32_t start : first.starts_of(side)) {
    if (start >= bytes.size()) continue;
    const ZabRun run = zab_run(bytes.subspan(start));
    if (run_evidence(run.run) > run_evidence(best.run)) best = run;
  }
  return best;
}

Recognition zab_side(const FirstBytes& first, int side) {
  const ZabRun best = best_zab_run(first, side);
  // The learner connects to the leader: a learner's packets flow to the server.
  const bool reversed =
      best.role == ZabRole::kEither ? false : (best.role == ZabRole::kLearner) == (side == 1);
  const bool opening = first.from_start && best.run.frames > 0 &&
                       (best.first_type == kFollowerInfo || best.first_type == kObserverInfo ||
                        best.first_type == kLeaderInfo);
  if (opening) return {Evidence::kStrong, reversed, packet_type_name(best.first_type)};
  return {run_evidence(best.run), reversed, "zab_packets"};
}

}  // namespace

Recognition recognize_election(const FirstBytes& first) {
  Recognition best{Evidence::kRuledOut, false, {}};
  for (int side = 0; side < 2; ++side) {
    best = stronger(best, election_header(first, side));
    Run run;
    run.broken = !first.starts_of(side).empty();
    const ByteSpan bytes = first.bytes[static_cast<std::size_t>(side)];
    for (const std::uint32_t start : first.starts_of(side)) {
      if (start >= bytes.size()) continue;
      const Run candidate = notification_run(bytes.subspan(start));
      if (run_evidence(candidate) > run_evidence(run)) run = candidate;
    }
    // Both servers send notifications: they do not tell which one connected. One whose config
    // names the ensemble's servers (3.5+) is no accident, even alone on a connection joined late.
    if (run.named_servers && !run.broken) {
      best = stronger(best, Recognition{Evidence::kStrong, false, "notification_config"});
    }
    best = stronger(best, Recognition{run_evidence(run), false, "notifications"});
  }
  return best;
}

Recognition recognize_zab(const FirstBytes& first) {
  const Recognition best = stronger(zab_side(first, 0), zab_side(first, 1));
  // Packets both ways (a leader's PING and its answer): the two directions agree.
  if (best.evidence == Evidence::kWeak && best_zab_run(first, 0).run.frames > 0 &&
      best_zab_run(first, 1).run.frames > 0) {
    return {Evidence::kStrong, best.reversed, "zab_both_ways"};
  }
  return best;
}

}  // namespace quorum
}  // namespace zkdump::zk
