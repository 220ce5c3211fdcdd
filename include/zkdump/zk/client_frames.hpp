// How the client port's byte streams are cut into frames: what the framing engine asks of the
// protocol. A connection opens with a ConnectRequest (or a four-letter word, or TLS), then every
// frame is a 4-byte length and a request or reply. When the position is lost, a candidate frame
// must have a plausible length, header and record, and a reply must answer a request still
// awaited.
#pragma once

#include <cstdint>
#include <vector>

#include "zkdump/framing/stream.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::zk {

// What a frame is, as the engine hands it back.
enum class FrameTag : std::uint8_t {
  kConnectRequest,
  kConnectResponse,
  kRequest,
  kReply,
  kFourLetterWord,
  kRawText,    // a four-letter word's answer, read to the connection's end
  kTlsRecord,  // the first TLS record of a connection
  kOpaque,     // the rest of a TLS connection
};

// What a connection's first client bytes said it is; the server's bytes are read accordingly.
enum class Opening : std::uint8_t { kUnknown, kZooKeeper, kFourLetterWord, kTls };

// The requests a connection still awaits replies to, as pairing knows them.
class AwaitedRequests {
 public:
  virtual ~AwaitedRequests() = default;
  virtual const OpInfo* awaited_op(std::int32_t xid) const = 0;
};

class ClientFrames final : public framing::Protocol {
 public:
  // `opening` is shared by the connection's two directions.
  ClientFrames(Direction direction, Opening& opening, const AwaitedRequests& awaited,
               std::int32_t max_frame, bool from_start)
      : direction_(direction),
        opening_(opening),
        awaited_(awaited),
        max_frame_(max_frame),
        expect_handshake_(from_start) {}

  framing::Verdict judge(ByteSpan front, bool searching, bool closing) override;
  // The first bytes (length prefix first) of the last frame refused as longer than max_frame:
  // a request's header and path sit there, to name what the server refused.
  ByteSpan oversized_head() const { return {oversized_head_.data(), oversized_head_.size()}; }

 private:
  static constexpr std::size_t kOversizedHead = 1024;
  framing::Verdict judge_opening(ByteSpan front);
  framing::Verdict judge_client_opening(ByteSpan front);
  framing::Verdict judge_frame(ByteSpan front, bool closing);
  framing::Verdict refuse_oversized(ByteSpan front, std::int32_t length, bool closing);
  framing::Verdict judge_candidate(ByteSpan front);
  framing::Verdict judge_candidate_reply(ByteSpan front, bool whole) const;
  std::size_t header_size() const;
  // The header checks alone: opcode and xid of a request; xid, zxid and error of a reply.
  bool header_plausible(std::int32_t length, const std::uint8_t* body) const;
  // True when the record in a frame still arriving already ended short of its length prefix:
  // the length is corrupt. Records are self-delimiting, so this needs no more bytes.
  bool record_ends_early(ByteSpan partial_frame) const;
  static bool whole_request_valid(ByteSpan frame);
  bool looks_like_handshake(std::int32_t length, const std::uint8_t* body) const;

  Direction direction_;
  Opening& opening_;
  const AwaitedRequests& awaited_;
  std::int32_t max_frame_;
  bool expect_handshake_;
  std::vector<std::uint8_t> oversized_head_;  // empty until a frame is refused as oversized
};

}  // namespace zkdump::zk
