// Cuts each direction's reassembled byte stream into ZooKeeper frames, whatever TCP did to the
// bytes: a frame may arrive in pieces, many frames in one piece, or after a gap. When the stream
// position is lost (a capture joined mid-connection, a gap, garbage) it scans for the next frame
// whose length, xid, opcode and body are all plausible.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "zkdump/zk/protocol.hpp"
#include "zkdump/zk/reader.hpp"

namespace zkdump::zk {

enum class Direction : std::uint8_t { kToServer = 0, kToClient = 1 };

enum class FrameKind : std::uint8_t { kConnectRequest, kConnectResponse, kRequest, kReply };

struct Frame {
  Direction direction;
  FrameKind kind;
  std::int32_t length;          // the length prefix
  ByteSpan body;                // the `length` bytes after the prefix; valid during the callback
  std::uint64_t stream_offset;  // where the frame starts in its direction's byte stream
  std::int64_t ts_us;           // capture time of the packet that carried its last byte
};

enum class StreamEvent : std::uint8_t {
  kGap,                  // bytes the capture never saw (count)
  kFrameLostInGap,       // a frame whose bytes fell partly in a gap (count = its length)
  kUndecodable,          // bytes skipped while looking for the next frame (count)
  kOversizedFrame,       // a length prefix above the frame cap (count = claimed length)
  kBadLength,            // a negative or too-short length prefix (count = claimed length)
  kUnexpectedHandshake,  // the first frame of a connection was not a ConnectRequest
  kTruncatedAtClose,     // a partial frame when the connection ended (count = bytes held)
  kTls,                  // TLS handshake bytes: the connection cannot be decoded
  kBufferLimit,          // the per-connection or global buffer cap forced bytes to be dropped
};

std::string_view stream_event_name(StreamEvent event);

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void on_frame(const Frame& frame) = 0;
  virtual void on_stream_event(Direction direction, StreamEvent event, std::uint64_t stream_offset,
                               std::int64_t count, std::int64_t ts_us) = 0;
  virtual void on_four_letter_word(std::string_view word, std::int64_t ts_us) = 0;
  // The raw text a server sent back to a four-letter word, reported when the connection ends.
  virtual void on_four_letter_reply(std::uint64_t bytes, std::int64_t ts_us) = 0;
  // The opcode of the request with this xid that awaits its reply, or null. While looking for
  // the next frame a reply candidate must answer one, since misaligned zero-heavy bytes often
  // pass the header checks; and its body tells where the reply should end.
  virtual const OpInfo* awaited_op(std::int32_t xid) const = 0;
};

struct FramerLimits {
  std::int32_t max_frame = kDefaultMaxFrame;
};

// Bytes held for partial frames, shared by every connection so the total stays capped.
struct BufferBudget {
  std::size_t limit = 256u << 20;
  std::size_t used = 0;
};

// Both directions of one connection: the client's first bytes decide what the server's mean.
class ConnectionFramer {
 public:
  ConnectionFramer(const FramerLimits& limits, BufferBudget& budget, bool from_connection_start);
  ~ConnectionFramer();
  ConnectionFramer(const ConnectionFramer&) = delete;
  ConnectionFramer& operator=(const ConnectionFramer&) = delete;

  void consume(Direction direction, ByteSpan data, std::int64_t ts_us, FrameSink& sink);
  void gap(Direction direction, std::uint64_t missing_bytes, std::int64_t ts_us, FrameSink& sink);
  void finish(std::int64_t ts_us, FrameSink& sink);

 private:
  enum class Mode : std::uint8_t { kHandshake, kFrames, kResync, kSkip, kCountOnly };
  enum class Opening : std::uint8_t { kUnknown, kZooKeeper, kFourLetterWord, kTls };

  struct Stream {
    Direction direction;
    Mode mode;
    std::uint64_t consumed = 0;     // stream offset of the first byte not yet framed
    std::uint64_t skip_left = 0;    // kSkip: bytes of a frame lost in a gap still to pass
    std::uint64_t counted = 0;      // kCountOnly: bytes passed uncounted as frames
    std::uint64_t undecodable = 0;  // kResync: bytes skipped since the last report
    std::uint64_t undecodable_start = 0;
    std::vector<std::uint8_t> pending;  // a partial frame's bytes, when a segment ended inside it
  };

  // Parses frames from `data`; returns how many bytes it used. Stops at an incomplete frame.
  std::size_t parse(Stream& stream, ByteSpan data, std::int64_t ts_us, FrameSink& sink);
  // How many bytes the frame starting at `data` needs in all, or 0 when data is too short to say.
  enum class Verdict : std::uint8_t { kFrame, kNeedMore, kReject };
  Verdict judge_candidate(const Stream& stream, ByteSpan data, std::size_t& frame_bytes,
                          const FrameSink& sink) const;
  // The header checks alone: opcode and xid of a request; xid, zxid and error of a reply.
  static bool header_plausible(Direction direction, std::int32_t length, const std::uint8_t* body);
  // True when the record in a frame still arriving already ended, short of its length prefix:
  // the length is corrupt. Records are self-delimiting, so this needs no more bytes.
  static bool record_ends_early(Direction direction, ByteSpan partial_frame, const FrameSink& sink);
  std::size_t handle_opening(Stream& stream, ByteSpan data, std::int64_t ts_us, FrameSink& sink);
  void emit(Stream& stream, ByteSpan frame_bytes, std::int64_t ts_us, FrameSink& sink);
  void flush_undecodable(Stream& stream, std::int64_t ts_us, FrameSink& sink);
  void enter_resync(Stream& stream);
  void hold(Stream& stream, ByteSpan data, std::int64_t ts_us, FrameSink& sink);
  void release_pending(Stream& stream);

  FramerLimits limits_;
  BufferBudget& budget_;
  Opening opening_ = Opening::kUnknown;
  Stream streams_[2];
};

}  // namespace zkdump::zk
