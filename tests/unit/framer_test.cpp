#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bytes.hpp"
#include "zkdump/zk/framer.hpp"
#include "zkdump/zk/protocol.hpp"

using namespace zkdump;
using test::Bytes;

namespace {

struct Frames : zk::FrameSink {
  std::vector<std::pair<zk::FrameKind, std::int32_t>> frames;  // kind, xid (0 for handshakes)
  std::vector<zk::StreamEvent> events;
  std::string words;
  std::uint64_t reply_bytes = 0;
  void on_frame(const zk::Frame& frame) override {
    const bool handshake = frame.kind == zk::FrameKind::kConnectRequest ||
                           frame.kind == zk::FrameKind::kConnectResponse;
    frames.emplace_back(frame.kind, handshake ? 0 : zk::load_be32(frame.body.data()));
  }
  void on_stream_event(zk::Direction, zk::StreamEvent event, std::uint64_t, std::int64_t,
                       std::int64_t) override {
    events.push_back(event);
  }
  void on_four_letter_word(std::string_view word, std::int64_t) override { words += word; }
  void on_four_letter_reply(std::uint64_t bytes, std::int64_t) override { reply_bytes = bytes; }
  const zk::OpInfo* awaited_op(std::int32_t xid) const override {
    return xid == 42 ? zk::find_op(4) : nullptr;
  }
};

Bytes connect_request() {
  return Bytes().i32(0).i64(0).i32(6000).i64(0).str(std::string(16, '\0')).boolean(false).framed();
}

Bytes get_data(std::int32_t xid, std::string_view path) {
  return Bytes().i32(xid).i32(4).str(path).boolean(false).framed();
}

void feed(zk::ConnectionFramer& framer, const Bytes& bytes, std::size_t piece, Frames& sink,
          zk::Direction direction = zk::Direction::kToServer) {
  for (std::size_t at = 0; at < bytes.data.size(); at += piece) {
    const std::size_t size = std::min(piece, bytes.data.size() - at);
    framer.consume(direction, zk::ByteSpan(bytes.data.data() + at, size), 0, sink);
  }
}

}  // namespace

TEST_CASE("frames come out the same however the bytes are cut") {
  Bytes stream = connect_request();
  for (int xid = 1; xid <= 20; ++xid)
    stream.append(get_data(xid, std::string(static_cast<std::size_t>(xid), 'p')));
  for (std::size_t piece : {1u, 2u, 3u, 7u, 64u, 100000u}) {
    CAPTURE(piece);
    zk::BufferBudget budget;
    zk::ConnectionFramer framer({}, budget, true);
    Frames sink;
    feed(framer, stream, piece, sink);
    REQUIRE(sink.frames.size() == 21);
    CHECK(sink.frames[0].first == zk::FrameKind::kConnectRequest);
    CHECK(sink.frames[20].second == 20);
    CHECK(sink.events.empty());
    framer.finish(0, sink);
    CHECK(budget.used == 0);
  }
}

TEST_CASE("joining mid-stream, the framer resynchronises on a plausible frame") {
  Bytes stream = get_data(7, "/tail-of-something");
  Bytes whole;
  whole.raw("garbage!").append(get_data(8, "/a")).append(get_data(9, "/b"));
  zk::BufferBudget budget;
  zk::ConnectionFramer framer({}, budget, false);
  Frames sink;
  feed(framer, whole, 3, sink);
  REQUIRE(sink.frames.size() == 2);
  CHECK(sink.frames[0].second == 8);
  REQUIRE(sink.events.size() == 1);
  CHECK(sink.events[0] == zk::StreamEvent::kUndecodable);
}

TEST_CASE("a gap inside a frame skips exactly to the next frame") {
  zk::BufferBudget budget;
  zk::ConnectionFramer framer({}, budget, true);
  Frames sink;
  feed(framer, connect_request(), 1000, sink);
  const Bytes lost = get_data(1, "/lost-in-the-gap");
  framer.consume(zk::Direction::kToServer, zk::ByteSpan(lost.data.data(), 10), 0, sink);
  framer.gap(zk::Direction::kToServer, 5, 0, sink);
  framer.consume(zk::Direction::kToServer,
                 zk::ByteSpan(lost.data.data() + 15, lost.data.size() - 15), 0, sink);
  feed(framer, get_data(2, "/next"), 1000, sink);
  REQUIRE(sink.frames.size() == 2);
  CHECK(sink.frames[1].second == 2);
  CHECK(sink.events ==
        std::vector<zk::StreamEvent>{zk::StreamEvent::kGap, zk::StreamEvent::kFrameLostInGap});
}

TEST_CASE("an oversized length is reported, nothing is allocated for it, and decoding resumes") {
  zk::BufferBudget budget;
  zk::ConnectionFramer framer({}, budget, true);
  Frames sink;
  feed(framer, connect_request(), 1000, sink);
  Bytes hostile;
  hostile.i32(0x7fffffff).raw(std::string(4096, 'z')).append(get_data(3, "/after"));
  feed(framer, hostile, 512, sink);
  REQUIRE(sink.frames.size() == 2);
  CHECK(sink.frames[1].second == 3);
  CHECK(sink.events.front() == zk::StreamEvent::kOversizedFrame);
  CHECK(budget.used < 4096);
}

TEST_CASE("four-letter words, TLS, and a partial frame at close") {
  zk::BufferBudget budget;
  {
    zk::ConnectionFramer framer({}, budget, true);
    Frames sink;
    feed(framer, Bytes().raw("ruok"), 1, sink);
    feed(framer, Bytes().raw("imok"), 2, sink, zk::Direction::kToClient);
    framer.finish(0, sink);
    CHECK(sink.words == "ruok");
    CHECK(sink.reply_bytes == 4);
  }
  {
    zk::ConnectionFramer framer({}, budget, true);
    Frames sink;
    feed(framer, Bytes().raw("\x16\x03\x01\x02\x00"), 100, sink);
    CHECK(sink.events == std::vector<zk::StreamEvent>{zk::StreamEvent::kTls});
  }
  {
    zk::ConnectionFramer framer({}, budget, true);
    Frames sink;
    const Bytes request = connect_request();
    framer.consume(zk::Direction::kToServer, zk::ByteSpan(request.data.data(), 20), 0, sink);
    framer.finish(0, sink);
    CHECK(sink.events == std::vector<zk::StreamEvent>{zk::StreamEvent::kTruncatedAtClose});
  }
  CHECK(budget.used == 0);
}
