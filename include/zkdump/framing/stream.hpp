// The one framing engine: cuts a direction's reassembled bytes into messages for every protocol,
// whatever TCP did to them. It holds partial messages under one global budget, looks for the next
// plausible message when the position is lost (a capture joined mid-connection, a gap, junk), and
// reports what it could not frame. A protocol says only whether the bytes at the front start a
// message, and how long it is (Wireshark's tcp_dissect_pdus, Envoy's bounded reader).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "zkdump/base/bytes.hpp"

namespace zkdump::framing {

enum class Problem : std::uint8_t {
  kGap,               // bytes the capture never saw (count)
  kMessageLostInGap,  // a message whose bytes fell partly in a gap (count = its claimed length)
  kUndecodable,       // bytes skipped while looking for the next message (count)
  kOversized,         // a length above the protocol's cap (count = the claimed length)
  kBadLength,         // a length the message cannot have (count = the claimed length)
  kUnexpectedStart,   // the connection did not open as the protocol does (count = its first word)
  kTruncatedAtClose,  // a partial message when the connection ended (count = bytes held)
  kBufferLimit,       // the buffer cap forced bytes to be dropped (count)
};
inline constexpr std::size_t kProblemCount = static_cast<std::size_t>(Problem::kBufferLimit) + 1;

// A protocol's answer about the bytes at the front of the stream. Sixteen bytes, so that it comes
// back in registers: it is asked for every message.
struct Verdict {
  enum Kind : std::uint8_t { kMessage, kNeedMore, kReject };
  Kind kind = kReject;
  std::uint8_t tag = 0;   // kMessage: what the protocol says it is, handed back with it
  bool reported = false;  // kReject: a problem worth a line, not just implausible bytes
  Problem problem = Problem::kUndecodable;
  std::uint32_t size = 0;    // kMessage: its length; kNeedMore: what the next decision needs
  std::uint32_t total = 0;   // kNeedMore: the whole message's length once known (0: unknown)
  std::int32_t claimed = 0;  // the length (or first word) the bytes claimed

  static Verdict message(std::size_t size, std::uint8_t tag) {
    return {kMessage, tag, false, Problem::kUndecodable, narrow(size)};
  }
  static Verdict need(std::size_t size, std::size_t total = 0, std::int32_t claimed = 0) {
    return {kNeedMore, 0, false, Problem::kUndecodable, narrow(size), narrow(total), claimed};
  }
  static Verdict implausible() { return {}; }
  static Verdict refuse(Problem problem, std::int32_t claimed) {
    return {kReject, 0, true, problem, 0, 0, claimed};
  }

 private:
  // Messages and the bytes held for them stay far below 4 GiB: the buffer budget caps them.
  static std::uint32_t narrow(std::size_t value) {
    return value > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(value);
  }
};
static_assert(sizeof(Verdict) == 16);

class Protocol {
 public:
  virtual ~Protocol() = default;
  // Judges the bytes at the front. `searching`: the position was lost and these bytes are only a
  // candidate (the protocol may ask for more proof). `closing`: no more bytes will come.
  virtual Verdict judge(ByteSpan front, bool searching, bool closing) = 0;
  // At the connection's end, whether held bytes are searched for messages that may follow junk
  // (streams without length prefixes), rather than reported as one truncated message.
  virtual bool search_at_close() const { return false; }
};

class Handler {
 public:
  virtual ~Handler() = default;
  // `bytes` are valid during the call only.
  virtual void on_message(ByteSpan bytes, std::uint8_t tag, std::uint64_t offset,
                          std::int64_t ts_us) = 0;
  virtual void on_problem(Problem problem, std::uint64_t offset, std::int64_t count,
                          std::int64_t ts_us) = 0;
};

// Bytes held for partial messages, shared by every stream so that the total stays capped.
// Every stream's problems are counted here too: the run's summary counts them for every
// protocol family, election and etcd streams as well as clients'.
struct Budget {
  std::size_t limit = 256u << 20;
  std::size_t used = 0;
  std::array<std::uint64_t, kProblemCount> problems{};
  std::uint64_t problem(Problem which) const { return problems[static_cast<std::size_t>(which)]; }
};

// One direction of one connection.
class Stream {
 public:
  // `from_start`: the first bytes are the connection's first; otherwise the position is unknown.
  Stream(Budget& budget, bool from_start);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void consume(ByteSpan data, std::int64_t ts_us, Protocol& protocol, Handler& handler);
  void gap(std::uint64_t missing, std::int64_t ts_us, Protocol& protocol, Handler& handler);
  void finish(std::int64_t ts_us, Protocol& protocol, Handler& handler);
  // Where the next unframed byte sits in the direction's byte stream.
  std::uint64_t offset() const { return consumed_; }

 private:
  enum class Mode : std::uint8_t { kInSync, kSearching, kSkipping };
  void report(Handler& handler, Problem problem, std::uint64_t offset, std::int64_t count,
              std::int64_t ts_us);

  // Frames what it can from `data`; returns the bytes used. Stops where more bytes are needed.
  std::size_t parse(ByteSpan data, std::int64_t ts_us, bool closing, Protocol& protocol,
                    Handler& handler);
  std::size_t step_in_sync(ByteSpan rest, std::int64_t ts_us, bool closing, Protocol& protocol,
                           Handler& handler, bool& stop);
  std::size_t step_searching(ByteSpan rest, std::int64_t ts_us, bool closing, Protocol& protocol,
                             Handler& handler, bool& stop);
  void emit(ByteSpan bytes, std::uint8_t tag, std::int64_t ts_us, Handler& handler);
  void start_search();
  void flush_undecodable(std::int64_t ts_us, Handler& handler);
  void hold(ByteSpan data, std::int64_t ts_us, Handler& handler);
  void release_held();
  void drop_front(std::size_t count);

  Budget& budget_;
  Mode mode_;
  std::uint64_t consumed_ = 0;     // stream offset of the first byte not yet framed
  std::uint64_t skip_left_ = 0;    // kSkipping: bytes of a message lost in a gap still to pass
  std::uint64_t undecodable_ = 0;  // kSearching: bytes skipped since the last report
  std::uint64_t undecodable_start_ = 0;
  std::size_t wanted_ = 0;         // bytes the protocol needs held before judging again
  std::size_t partial_total_ = 0;  // the held message's whole length, once known
  std::int32_t partial_claimed_ = 0;
  std::vector<std::uint8_t> held_;  // a partial message's bytes, when a segment ended inside it
};

}  // namespace zkdump::framing
