#include "zkdump/zk/framer.hpp"

#include <algorithm>

#include "zkdump/zk/field_writer.hpp"
#include "zkdump/zk/protocol.hpp"

namespace zkdump::zk {
namespace {

constexpr std::size_t kLengthSize = 4;
constexpr std::int64_t kMaxPlausibleZxid = std::int64_t{1} << 48;  // epochs stay far below 2^16
constexpr std::size_t kReleaseAbove = 64u << 10;  // give back buffers grown for a rare big frame

bool is_tls_record(const std::uint8_t* p) {
  return p[0] == 0x16 && p[1] == 0x03;
}

std::size_t header_size(Direction direction) {
  return direction == Direction::kToServer ? kRequestHeaderSize : kReplyHeaderSize;
}

}  // namespace

std::string_view stream_event_name(StreamEvent event) {
  switch (event) {
    case StreamEvent::kGap:
      return "Gap";
    case StreamEvent::kFrameLostInGap:
      return "FrameLostInGap";
    case StreamEvent::kUndecodable:
      return "UndecodableBytes";
    case StreamEvent::kOversizedFrame:
      return "OversizedFrame";
    case StreamEvent::kBadLength:
      return "BadFrameLength";
    case StreamEvent::kUnexpectedHandshake:
      return "UnexpectedHandshake";
    case StreamEvent::kTruncatedAtClose:
      return "TruncatedFrameAtClose";
    case StreamEvent::kTls:
      return "TlsNotDecodable";
    case StreamEvent::kBufferLimit:
      return "BufferLimitDrop";
  }
  return "StreamEvent";
}

ConnectionFramer::ConnectionFramer(const FramerLimits& limits, BufferBudget& budget,
                                   bool from_connection_start)
    : limits_(limits), budget_(budget) {
  const Mode start = from_connection_start ? Mode::kHandshake : Mode::kResync;
  streams_[0].direction = Direction::kToServer;
  streams_[0].mode = start;
  streams_[1].direction = Direction::kToClient;
  streams_[1].mode = start;
}

ConnectionFramer::~ConnectionFramer() {
  for (Stream& stream : streams_) release_pending(stream);
}

void ConnectionFramer::release_pending(Stream& stream) {
  budget_.used -= std::min(budget_.used, stream.pending.size());
  stream.pending.clear();
  if (stream.pending.capacity() > kReleaseAbove) std::vector<std::uint8_t>().swap(stream.pending);
}

void ConnectionFramer::enter_resync(Stream& stream) {
  stream.mode = Mode::kResync;
  stream.undecodable_start = stream.consumed;
}

void ConnectionFramer::flush_undecodable(Stream& stream, std::int64_t ts_us, FrameSink& sink) {
  if (stream.undecodable == 0) return;
  sink.on_stream_event(stream.direction, StreamEvent::kUndecodable, stream.undecodable_start,
                       static_cast<std::int64_t>(stream.undecodable), ts_us);
  stream.undecodable = 0;
}

void ConnectionFramer::emit(Stream& stream, ByteSpan frame_bytes, std::int64_t ts_us,
                            FrameSink& sink) {
  Frame frame{};
  frame.direction = stream.direction;
  frame.length = static_cast<std::int32_t>(frame_bytes.size() - kLengthSize);
  frame.body = frame_bytes.subspan(kLengthSize);
  frame.stream_offset = stream.consumed;
  frame.ts_us = ts_us;
  if (stream.mode == Mode::kHandshake) {
    frame.kind = stream.direction == Direction::kToServer ? FrameKind::kConnectRequest
                                                          : FrameKind::kConnectResponse;
  } else {
    frame.kind = stream.direction == Direction::kToServer ? FrameKind::kRequest : FrameKind::kReply;
  }
  stream.consumed += frame_bytes.size();
  sink.on_frame(frame);
}

bool ConnectionFramer::header_plausible(Direction direction, std::int32_t length,
                                        const std::uint8_t* body) {
  const std::int32_t xid = load_be32(body);
  if (direction == Direction::kToServer) {
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

bool ConnectionFramer::record_ends_early(Direction direction, ByteSpan partial_frame,
                                         const FrameSink& sink) {
  const std::size_t header = header_size(direction);
  const std::uint8_t* body = partial_frame.data() + kLengthSize;
  const auto record_length = static_cast<std::size_t>(load_be32(partial_frame.data())) - header;
  Reader reader(partial_frame.subspan(kLengthSize + header));
  FieldWriter discard(FieldStyle::kDiscard, nullptr, nullptr);
  if (direction == Direction::kToServer) {
    const std::int32_t xid = load_be32(body);
    RequestContext context{xid, 0, false, false};
    RequestFacts facts;
    find_op(load_be32(body + 4))->decode_request(reader, context, discard, facts);
  } else {
    const OpInfo* op = sink.awaited_op(load_be32(body));
    // A failed reply usually has no body, but may (SASL): its end cannot be told.
    if (op == nullptr || load_be32(body + 12) != 0) return false;
    op->decode_reply(reader, discard);
  }
  // The reader failing means it ran out of bytes (or met garbage): nothing can be said yet.
  return reader.ok() && reader.offset() < record_length;
}

ConnectionFramer::Verdict ConnectionFramer::judge_candidate(const Stream& stream, ByteSpan data,
                                                            std::size_t& frame_bytes,
                                                            const FrameSink& sink) const {
  frame_bytes = kLengthSize;
  if (data.size() < kLengthSize) return Verdict::kNeedMore;
  const std::int32_t length = load_be32(data.data());
  const bool to_server = stream.direction == Direction::kToServer;
  if (length < 0 || length > limits_.max_frame) return Verdict::kReject;
  frame_bytes = kLengthSize + static_cast<std::size_t>(length);
  const bool whole = data.size() >= frame_bytes;
  const std::uint8_t* body = data.data() + kLengthSize;

  if (whole && (to_server ? looks_like_connect_request(length, body)
                          : looks_like_connect_response(length, body))) {
    return Verdict::kFrame;
  }
  if (static_cast<std::size_t>(length) < header_size(stream.direction)) return Verdict::kReject;
  const std::size_t header_end = kLengthSize + header_size(stream.direction);
  if (data.size() < header_end) {
    frame_bytes = header_end;
    return Verdict::kNeedMore;
  }
  if (!header_plausible(stream.direction, length, body)) return Verdict::kReject;
  const std::int32_t xid = load_be32(body);
  if (to_server) {
    const OpInfo* op = find_op(load_be32(body + 4));
    if (!whole)
      return record_ends_early(stream.direction, data, sink) ? Verdict::kReject
                                                             : Verdict::kNeedMore;
    Reader reader(
        ByteSpan(body + kRequestHeaderSize, static_cast<std::size_t>(length) - kRequestHeaderSize));
    FieldWriter discard(FieldStyle::kDiscard, nullptr, nullptr);
    RequestContext context{xid, length, false, false};
    RequestFacts facts;
    op->decode_request(reader, context, discard, facts);
    return reader.complete() ? Verdict::kFrame : Verdict::kReject;
  }
  if (xid == kNotificationXid) {
    if (!whole) return Verdict::kNeedMore;
    Reader reader(
        ByteSpan(body + kReplyHeaderSize, static_cast<std::size_t>(length) - kReplyHeaderSize));
    const WatcherEvent event = decode_watcher_event(reader);
    if (!reader.complete() || event_type_name(event.type).empty() ||
        keeper_state_name(event.state).empty()) {
      return Verdict::kReject;
    }
    return Verdict::kFrame;
  }
  // Pings stand out by their xid and size; any other reply must answer a request we saw.
  if (xid != kPingXid && sink.awaited_op(xid) == nullptr) return Verdict::kReject;
  if (!whole && record_ends_early(stream.direction, data, sink)) return Verdict::kReject;
  return Verdict::kFrame;
}

std::size_t ConnectionFramer::handle_opening(Stream& stream, ByteSpan data, std::int64_t ts_us,
                                             FrameSink& sink) {
  Stream& server = streams_[1];
  if (stream.direction == Direction::kToClient && opening_ != Opening::kUnknown &&
      opening_ != Opening::kZooKeeper) {
    stream.mode = Mode::kCountOnly;
    return 0;
  }
  if (data.size() < kLengthSize) return 0;
  if (stream.direction == Direction::kToServer) {
    if (is_tls_record(data.data())) {
      opening_ = Opening::kTls;
      sink.on_stream_event(stream.direction, StreamEvent::kTls, stream.consumed, 0, ts_us);
      stream.mode = Mode::kCountOnly;
      server.mode = Mode::kCountOnly;
      return 0;
    }
    const std::string_view word = four_letter_word(data.data());
    if (!word.empty()) {
      const std::size_t word_size =
          word == "stmk" ? kLengthSize + 8 : kLengthSize;  // stmk carries a mask
      if (data.size() < word_size) return 0;
      opening_ = Opening::kFourLetterWord;
      sink.on_four_letter_word(word, ts_us);
      stream.consumed += word_size;
      stream.mode = Mode::kCountOnly;
      server.mode = Mode::kCountOnly;
      return word_size;
    }
  }
  const std::int32_t length = load_be32(data.data());
  const std::uint8_t* body = data.data() + kLengthSize;
  const bool to_server = stream.direction == Direction::kToServer;
  if (length >= 0 && length <= limits_.max_frame) {
    const std::size_t frame_bytes = kLengthSize + static_cast<std::size_t>(length);
    const bool handshake_size =
        to_server ? (length == 44 || length == 45) : (length == 36 || length == 37);
    if (handshake_size && data.size() < frame_bytes) return 0;
    if (handshake_size && (to_server ? looks_like_connect_request(length, body)
                                     : looks_like_connect_response(length, body))) {
      if (to_server) opening_ = Opening::kZooKeeper;
      emit(stream, data.first(frame_bytes), ts_us, sink);
      stream.mode = Mode::kFrames;
      return frame_bytes;
    }
  }
  if (to_server) opening_ = Opening::kZooKeeper;
  sink.on_stream_event(stream.direction, StreamEvent::kUnexpectedHandshake, stream.consumed, length,
                       ts_us);
  enter_resync(stream);
  return 0;
}

std::size_t ConnectionFramer::parse(Stream& stream, ByteSpan data, std::int64_t ts_us,
                                    FrameSink& sink) {
  std::size_t used = 0;
  for (;;) {
    const ByteSpan rest = data.subspan(used);
    switch (stream.mode) {
      case Mode::kCountOnly:
        stream.counted += rest.size();
        stream.consumed += rest.size();
        return data.size();
      case Mode::kSkip: {
        const std::size_t skipped =
            static_cast<std::size_t>(std::min<std::uint64_t>(stream.skip_left, rest.size()));
        stream.skip_left -= skipped;
        stream.consumed += skipped;
        used += skipped;
        if (stream.skip_left > 0) return used;
        stream.mode = Mode::kFrames;
        break;
      }
      case Mode::kHandshake: {
        const Mode before = stream.mode;
        const std::size_t taken = handle_opening(stream, rest, ts_us, sink);
        used += taken;
        if (taken == 0 && stream.mode == before) return used;
        break;
      }
      case Mode::kFrames: {
        if (rest.size() < kLengthSize) return used;
        const std::int32_t length = load_be32(rest.data());
        if (length > limits_.max_frame) {
          sink.on_stream_event(stream.direction, StreamEvent::kOversizedFrame, stream.consumed,
                               length, ts_us);
          enter_resync(stream);
          break;
        }
        if (length < static_cast<std::int32_t>(header_size(stream.direction))) {
          sink.on_stream_event(stream.direction, StreamEvent::kBadLength, stream.consumed, length,
                               ts_us);
          enter_resync(stream);
          break;
        }
        // A header no client or server would send means the stream lost its frame boundaries
        // (a corrupted length, say): look for the next plausible frame rather than read on.
        if (rest.size() < kLengthSize + header_size(stream.direction)) return used;
        if (!header_plausible(stream.direction, length, rest.data() + kLengthSize)) {
          enter_resync(stream);
          break;
        }
        const std::size_t frame_bytes = kLengthSize + static_cast<std::size_t>(length);
        if (rest.size() < frame_bytes) {
          if (!record_ends_early(stream.direction, rest, sink)) return used;
          sink.on_stream_event(stream.direction, StreamEvent::kBadLength, stream.consumed, length,
                               ts_us);
          enter_resync(stream);
          break;
        }
        emit(stream, rest.first(frame_bytes), ts_us, sink);
        used += frame_bytes;
        break;
      }
      case Mode::kResync: {
        std::size_t frame_bytes = 0;
        const Verdict verdict = judge_candidate(stream, rest, frame_bytes, sink);
        if (verdict == Verdict::kNeedMore) return used;
        if (verdict == Verdict::kFrame) {
          flush_undecodable(stream, ts_us, sink);
          const std::int32_t length = load_be32(rest.data());
          const bool handshake =
              stream.direction == Direction::kToServer
                  ? looks_like_connect_request(length, rest.data() + kLengthSize)
                  : looks_like_connect_response(length, rest.data() + kLengthSize);
          stream.mode = handshake ? Mode::kHandshake : Mode::kFrames;
          if (handshake && stream.direction == Direction::kToServer) opening_ = Opening::kZooKeeper;
          break;
        }
        if (stream.undecodable == 0) stream.undecodable_start = stream.consumed;
        ++stream.undecodable;
        ++stream.consumed;
        ++used;
        break;
      }
    }
  }
}

// How many bytes the stream should hold in one piece before parse() is worth calling again.
static std::size_t bytes_wanted(ByteSpan held, Direction direction, std::int32_t max_frame) {
  if (held.size() < 4) return 4;
  const std::int32_t length = load_be32(held.data());
  if (length < 0 || length > max_frame) return held.size();  // parse decides at once
  const std::size_t whole = 4 + static_cast<std::size_t>(length);
  // A frame is judged by its header before its whole body is awaited.
  const std::size_t header_end = 4 + header_size(direction);
  if (held.size() < header_end && whole > header_end) return header_end;
  return whole;
}

void ConnectionFramer::hold(Stream& stream, ByteSpan data, std::int64_t ts_us, FrameSink& sink) {
  if (data.empty()) return;
  if (budget_.used + data.size() > budget_.limit) {
    sink.on_stream_event(stream.direction, StreamEvent::kBufferLimit,
                         stream.consumed + stream.pending.size(),
                         static_cast<std::int64_t>(stream.pending.size() + data.size()), ts_us);
    const std::uint64_t dropped = stream.pending.size() + data.size();
    release_pending(stream);
    stream.consumed += dropped;
    enter_resync(stream);
    return;
  }
  budget_.used += data.size();
  stream.pending.insert(stream.pending.end(), data.begin(), data.end());
}

void ConnectionFramer::consume(Direction direction, ByteSpan data, std::int64_t ts_us,
                               FrameSink& sink) {
  Stream& stream = streams_[static_cast<int>(direction)];
  bool stalled = false;  // the last parse of the held bytes made no progress: they need more
  while (!data.empty()) {
    if (stream.pending.empty()) {
      const std::size_t used = parse(stream, data, ts_us, sink);
      hold(stream, data.subspan(used), ts_us, sink);
      return;
    }
    // Top the held bytes up to what the next decision needs, then parse them in one piece.
    const std::size_t held = stream.pending.size();
    std::size_t wanted = bytes_wanted(stream.pending, direction, limits_.max_frame);
    if (wanted <= held) wanted = held + (stalled ? 1 : 0);
    const std::size_t take = std::min(wanted - held, data.size());
    hold(stream, data.first(take), ts_us, sink);
    if (stream.pending.empty()) {  // dropped at the buffer cap
      data = data.subspan(take);
      continue;
    }
    if (stream.pending.size() < wanted) return;
    const std::size_t used = parse(stream, stream.pending, ts_us, sink);
    stalled = used == 0;
    if (used >= held) {
      // Every held byte is settled: go back to reading the new bytes in place, where the
      // parser stopped, rather than copying them through the held buffer one by one.
      release_pending(stream);
      data = data.subspan(used - held);
      continue;
    }
    data = data.subspan(take);
    budget_.used -= std::min(budget_.used, used);
    stream.pending.erase(stream.pending.begin(),
                         stream.pending.begin() + static_cast<std::ptrdiff_t>(used));
  }
}

void ConnectionFramer::gap(Direction direction, std::uint64_t missing_bytes, std::int64_t ts_us,
                           FrameSink& sink) {
  Stream& stream = streams_[static_cast<int>(direction)];
  const std::uint64_t held = stream.pending.size();
  const std::uint64_t gap_start = stream.consumed + held;
  const std::uint64_t gap_end = gap_start + missing_bytes;
  sink.on_stream_event(direction, StreamEvent::kGap, gap_start,
                       static_cast<std::int64_t>(missing_bytes), ts_us);

  switch (stream.mode) {
    case Mode::kCountOnly:
      stream.counted += held + missing_bytes;
      break;
    case Mode::kSkip:
      if (stream.skip_left >= missing_bytes) {
        stream.skip_left -= missing_bytes;
      } else {
        enter_resync(stream);
      }
      break;
    case Mode::kFrames:
    case Mode::kHandshake:
      if (held >= kLengthSize && stream.mode == Mode::kFrames) {
        // The frame the gap cut is lost, but its length says exactly where the next one starts.
        const std::int32_t length = load_be32(stream.pending.data());
        const std::uint64_t frame_end =
            stream.consumed + kLengthSize + static_cast<std::uint64_t>(length);
        sink.on_stream_event(direction, StreamEvent::kFrameLostInGap, stream.consumed, length,
                             ts_us);
        if (frame_end >= gap_end) {
          stream.skip_left = frame_end - gap_end;
          stream.mode = stream.skip_left > 0 ? Mode::kSkip : Mode::kFrames;
          break;
        }
      }
      enter_resync(stream);
      stream.undecodable_start = gap_end;
      break;
    case Mode::kResync:
      stream.undecodable += held;
      flush_undecodable(stream, ts_us, sink);
      stream.undecodable_start = gap_end;
      break;
  }
  release_pending(stream);
  stream.consumed = gap_end;
}

void ConnectionFramer::finish(std::int64_t ts_us, FrameSink& sink) {
  for (Stream& stream : streams_) {
    if (!stream.pending.empty()) {
      if (stream.mode == Mode::kResync) {
        stream.undecodable += stream.pending.size();
      } else {
        sink.on_stream_event(stream.direction, StreamEvent::kTruncatedAtClose, stream.consumed,
                             static_cast<std::int64_t>(stream.pending.size()), ts_us);
      }
    }
    flush_undecodable(stream, ts_us, sink);
    release_pending(stream);
  }
  if (opening_ == Opening::kFourLetterWord) sink.on_four_letter_reply(streams_[1].counted, ts_us);
}

}  // namespace zkdump::zk
