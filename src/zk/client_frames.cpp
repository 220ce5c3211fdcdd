#include "zkdump/zk/client_frames.hpp"

#include "null_fields.hpp"
#include "zkdump/tls/client_hello.hpp"
#include "zkdump/zk/messages.hpp"

namespace zkdump::zk {
namespace {

using framing::Problem;
using framing::Verdict;

constexpr std::int64_t kMaxPlausibleZxid = std::int64_t{1} << 48;  // epochs stay far below 2^16
std::uint8_t tag(FrameTag frame_tag) {
  return static_cast<std::uint8_t>(frame_tag);
}

std::size_t frame_size(std::int32_t length) {
  return kLengthSize + static_cast<std::size_t>(length);
}

}  // namespace

Verdict ClientFrames::judge(ByteSpan front, bool searching, bool closing) {
  // After a four-letter word or TLS, the rest is read as it comes, to the connection's end.
  if (opening_ == Opening::kFourLetterWord) {
    return Verdict::message(front.size(), tag(FrameTag::kRawText));
  }
  if (opening_ == Opening::kTls) return Verdict::message(front.size(), tag(FrameTag::kOpaque));
  if (searching) {
    // A frame found while searching ends the handshake, whatever it was.
    const Verdict candidate = judge_candidate(front);
    if (candidate.kind == Verdict::kMessage) expect_handshake_ = false;
    return candidate;
  }
  if (expect_handshake_) return judge_opening(front);
  return judge_frame(front, closing);
}

std::size_t ClientFrames::header_size() const {
  return direction_ == Direction::kToServer ? kRequestHeaderSize : kReplyHeaderSize;
}

bool ClientFrames::looks_like_handshake(std::int32_t length, const std::uint8_t* body) const {
  return direction_ == Direction::kToServer ? looks_like_connect_request(length, body)
                                            : looks_like_connect_response(length, body);
}

Verdict ClientFrames::judge_client_opening(ByteSpan front) {
  if (tls::starts_handshake_record(front)) {
    if (front.size() < tls::kRecordHeaderSize) return Verdict::need(tls::kRecordHeaderSize);
    const std::size_t record =
        tls::kRecordHeaderSize + (std::size_t{front[3]} << 8 | std::size_t{front[4]});
    if (front.size() < record) return Verdict::need(record);
    opening_ = Opening::kTls;
    expect_handshake_ = false;
    return Verdict::message(record, tag(FrameTag::kTlsRecord));
  }
  const std::string_view word = four_letter_word(front.data());
  if (word.empty()) return Verdict::implausible();
  const std::size_t word_size = word == "stmk" ? kLengthSize + 8 : kLengthSize;  // with a mask
  if (front.size() < word_size) return Verdict::need(word_size);
  opening_ = Opening::kFourLetterWord;
  expect_handshake_ = false;
  return Verdict::message(word_size, tag(FrameTag::kFourLetterWord));
}

Verdict ClientFrames::judge_opening(ByteSpan front) {
  if (front.size() < kLengthSize) return Verdict::need(kLengthSize);
  if (direction_ == Direction::kToServer) {
    const Verdict client_opening = judge_client_opening(front);
    if (client_opening.kind != Verdict::kReject) return client_opening;
  }
  const std::int32_t length = load_be32(front.data());
  const bool to_server = direction_ == Direction::kToServer;
  const bool handshake_size =
      to_server ? (length == 44 || length == 45) : (length == 36 || length == 37);
  if (handshake_size) {
    if (front.size() < frame_size(length)) return Verdict::need(frame_size(length));
    if (looks_like_handshake(length, front.data() + kLengthSize)) {
      if (to_server) opening_ = Opening::kZooKeeper;
      expect_handshake_ = false;
      return Verdict::message(frame_size(length), tag(to_server ? FrameTag::kConnectRequest
                                                                : FrameTag::kConnectResponse));
    }
  }
  if (to_server) opening_ = Opening::kZooKeeper;
  expect_handshake_ = false;
  return Verdict::refuse(Problem::kUnexpectedStart, length);
}

// A request over jute.maxbuffer is refused by the server too, which closes the connection: its
// first bytes are kept to name it (a reply's would name nothing the request did not).
Verdict ClientFrames::refuse_oversized(ByteSpan front, std::int32_t length, bool closing) {
  if (direction_ == Direction::kToServer) {
    const std::size_t head = std::min(frame_size(length), kOversizedHead);
    if (front.size() < head && !closing) return Verdict::need(head);
    const ByteSpan kept = front.first(std::min(front.size(), head));
    oversized_head_.assign(kept.begin(), kept.end());
  }
  return Verdict::refuse(Problem::kOversized, length);
}

Verdict ClientFrames::judge_frame(ByteSpan front, bool closing) {
  if (front.size() < kLengthSize) return Verdict::need(kLengthSize);
  const std::int32_t length = load_be32(front.data());
  if (length > max_frame_) return refuse_oversized(front, length, closing);
  if (length < static_cast<std::int32_t>(header_size())) {
    return Verdict::refuse(Problem::kBadLength, length);
  }
  const std::size_t total = frame_size(length);
  const std::size_t header_end = kLengthSize + header_size();
  if (front.size() < header_end) return Verdict::need(header_end, total, length);
  // A header no client or server would send means the stream lost its frame boundaries (a
  // corrupted length, say): look for the next plausible frame rather than read on.
  if (!header_plausible(length, front.data() + kLengthSize)) return Verdict::implausible();
  if (front.size() < total) {
    if (record_ends_early(front)) return Verdict::refuse(Problem::kBadLength, length);
    return Verdict::need(total, total, length);
  }
  const FrameTag frame_tag =
      direction_ == Direction::kToServer ? FrameTag::kRequest : FrameTag::kReply;
  return Verdict::message(total, tag(frame_tag));
}

Verdict ClientFrames::judge_candidate(ByteSpan front) {
  if (front.size() < kLengthSize) return Verdict::need(kLengthSize);
  const std::int32_t length = load_be32(front.data());
  if (length < 0 || length > max_frame_) return Verdict::implausible();
  const std::size_t total = frame_size(length);
  const bool whole = front.size() >= total;
  const std::uint8_t* body = front.data() + kLengthSize;
  if (whole && looks_like_handshake(length, body)) {
    const bool to_server = direction_ == Direction::kToServer;
    if (to_server) opening_ = Opening::kZooKeeper;
    return Verdict::message(
        total, tag(to_server ? FrameTag::kConnectRequest : FrameTag::kConnectResponse));
  }
  if (length < static_cast<std::int32_t>(header_size())) return Verdict::implausible();
  if (front.size() < kLengthSize + header_size()) return Verdict::need(kLengthSize + header_size());
  if (!header_plausible(length, body)) return Verdict::implausible();
  if (direction_ == Direction::kToClient) return judge_candidate_reply(front, whole);
  if (!whole) return record_ends_early(front) ? Verdict::implausible() : Verdict::need(total);
  return whole_request_valid(front.first(total)) ? Verdict::message(total, tag(FrameTag::kRequest))
                                                 : Verdict::implausible();
}

Verdict ClientFrames::judge_candidate_reply(ByteSpan front, bool whole) const {
  const std::uint8_t* body = front.data() + kLengthSize;
  const std::int32_t length = load_be32(front.data());
  const std::int32_t xid = load_be32(body);
  if (xid == kNotificationXid) {
    if (!whole) return Verdict::need(frame_size(length));
    const WatcherEvent event =
        decode_event(ByteSpan(body, static_cast<std::size_t>(length)), length);
    const bool valid = event.decoded.complete && !event_type_name(event.type).empty() &&
                       !keeper_state_name(event.state).empty();
    return valid ? Verdict::message(frame_size(length), tag(FrameTag::kReply))
                 : Verdict::implausible();
  }
  // Pings stand out by their xid and size; any other reply must answer a request we saw, since
  // misaligned zero-heavy bytes often pass the header checks.
  if (xid != kPingXid && awaited_.awaited_op(xid) == nullptr) return Verdict::implausible();
  if (!whole) {
    return record_ends_early(front) ? Verdict::implausible() : Verdict::need(frame_size(length));
  }
  return Verdict::message(frame_size(length), tag(FrameTag::kReply));
}

bool ClientFrames::header_plausible(std::int32_t length, const std::uint8_t* body) const {
  const std::int32_t xid = load_be32(body);
  if (direction_ == Direction::kToServer) {
    const std::int32_t type = load_be32(body + 4);
    return find_op(type) != nullptr && plausible_request_xid(type, xid);
  }
  const std::int64_t zxid = load_be64(body + 4);
  const std::int32_t err = load_be32(body + 12);
  const bool special_xid =
      xid == kNotificationXid || xid == kPingXid || xid == kAuthXid || xid == kSetWatchesXid;
  if (!(xid > 0 || special_xid) || zxid < -1 || zxid >= kMaxPlausibleZxid || !is_known_error(err)) {
    return false;
  }
  return xid != kPingXid || (length == static_cast<std::int32_t>(kReplyHeaderSize) && err == 0);
}

bool ClientFrames::record_ends_early(ByteSpan partial_frame) const {
  const std::uint8_t* body = partial_frame.data() + kLengthSize;
  const auto record_length =
      static_cast<std::size_t>(load_be32(partial_frame.data())) - header_size();
  Reader reader(partial_frame.subspan(kLengthSize + header_size()));
  NullFields discard;
  if (direction_ == Direction::kToServer) {
    const RecordContext context{load_be32(body), 0, false};
    RequestFacts facts;
    find_op(load_be32(body + 4))->parse_request(reader, context, discard, facts);
  } else {
    const OpInfo* op = awaited_.awaited_op(load_be32(body));
    // A failed reply usually has no body, but may (SASL): its end cannot be told.
    if (op == nullptr || load_be32(body + 12) != 0) return false;
    ReplyFacts facts;
    op->parse_reply(reader, discard, facts);
  }
  // The reader failing means it ran out of bytes (or met garbage): nothing can be said yet.
  return reader.ok() && reader.offset() < record_length;
}

bool ClientFrames::whole_request_valid(ByteSpan frame) {
  const std::int32_t length = load_be32(frame.data());
  const Request request =
      decode_request(frame.subspan(kLengthSize, static_cast<std::size_t>(length)), length);
  return request.op != nullptr && request.decoded.complete;
}

}  // namespace zkdump::zk
