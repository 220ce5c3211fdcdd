#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bytes.hpp"
#include "zkdump/framing/stream.hpp"
#include "zkdump/zk/client_frames.hpp"
#include "zkdump/zk/protocol.hpp"

using namespace zkdump;
using test::Bytes;

namespace {

using framing::Problem;
using zk::FrameTag;

// The framing engine with the client port's protocol, for both directions of one connection.
struct Connection : zk::AwaitedRequests, framing::Handler {
  explicit Connection(bool from_start)
      : streams{{budget, from_start}, {budget, from_start}},
        frames{{Direction::kToServer, opening, *this, zk::kDefaultMaxFrame, from_start},
               {Direction::kToClient, opening, *this, zk::kDefaultMaxFrame, from_start}} {}

  const zk::OpInfo* awaited_op(std::int32_t xid) const override {
    return xid == 42 ? zk::find_op(4) : nullptr;
  }
  void on_message(ByteSpan bytes, std::uint8_t tag, std::uint64_t, std::int64_t) override {
    const auto frame_tag = static_cast<FrameTag>(tag);
    const bool framed = frame_tag == FrameTag::kRequest || frame_tag == FrameTag::kReply;
    frames_seen.emplace_back(frame_tag, framed ? load_be32(bytes.data() + 4) : 0);
    if (frame_tag == FrameTag::kRawText) raw_bytes += bytes.size();
  }
  void on_problem(Problem problem, std::uint64_t, std::int64_t, std::int64_t) override {
    problems.push_back(problem);
  }
  void feed(const Bytes& bytes, std::size_t piece, Direction direction = Direction::kToServer) {
    const int d = static_cast<int>(direction);
    for (std::size_t at = 0; at < bytes.data.size(); at += piece) {
      const std::size_t size = std::min(piece, bytes.data.size() - at);
      streams[d].consume(ByteSpan(bytes.data.data() + at, size), 0, frames[d], *this);
    }
  }
  void gap(std::uint64_t missing) { streams[0].gap(missing, 0, frames[0], *this); }
  void finish() {
    for (int d = 0; d < 2; ++d) streams[d].finish(0, frames[d], *this);
  }

  framing::Budget budget;
  zk::Opening opening = zk::Opening::kUnknown;
  framing::Stream streams[2];
  zk::ClientFrames frames[2];
  std::vector<std::pair<FrameTag, std::int32_t>> frames_seen;  // tag, xid (0 unless framed)
  std::vector<Problem> problems;
  std::uint64_t raw_bytes = 0;
};

Bytes connect_request() {
  return Bytes().i32(0).i64(0).i32(6000).i64(0).str(std::string(16, '\0')).boolean(false).framed();
}

Bytes get_data(std::int32_t xid, std::string_view path) {
  return Bytes().i32(xid).i32(4).str(path).boolean(false).framed();
}

}  // namespace

TEST_CASE("frames come out the same however the bytes are cut") {
  Bytes stream = connect_request();
  for (int xid = 1; xid <= 20; ++xid)
    stream.append(get_data(xid, std::string(static_cast<std::size_t>(xid), 'p')));
  for (std::size_t piece : {1u, 2u, 3u, 7u, 64u, 100000u}) {
    CAPTURE(piece);
    Connection connection(true);
    connection.feed(stream, piece);
    REQUIRE(connection.frames_seen.size() == 21);
    CHECK(connection.frames_seen[0].first == FrameTag::kConnectRequest);
    CHECK(connection.frames_seen[20].second == 20);
    CHECK(connection.problems.empty());
    connection.finish();
    CHECK(connection.budget.used == 0);
  }
}

TEST_CASE("joining mid-stream, the framer resynchronises on a plausible frame") {
  Bytes whole;
  whole.raw("garbage!").append(get_data(8, "/a")).append(get_data(9, "/b"));
  Connection connection(false);
  connection.feed(whole, 3);
  REQUIRE(connection.frames_seen.size() == 2);
  CHECK(connection.frames_seen[0].second == 8);
  CHECK(connection.problems == std::vector<Problem>{Problem::kUndecodable});
}

TEST_CASE("a gap inside a frame skips exactly to the next frame") {
  Connection connection(true);
  connection.feed(connect_request(), 1000);
  const Bytes lost = get_data(1, "/lost-in-the-gap");
  connection.streams[0].consume(ByteSpan(lost.data.data(), 10), 0, connection.frames[0],
                                connection);
  connection.gap(5);
  connection.streams[0].consume(ByteSpan(lost.data.data() + 15, lost.data.size() - 15), 0,
                                connection.frames[0], connection);
  connection.feed(get_data(2, "/next"), 1000);
  REQUIRE(connection.frames_seen.size() == 2);
  CHECK(connection.frames_seen[1].second == 2);
  CHECK(connection.problems == std::vector<Problem>{Problem::kGap, Problem::kMessageLostInGap});
}

TEST_CASE("an oversized length is reported, nothing is allocated for it, and decoding resumes") {
  Connection connection(true);
  connection.feed(connect_request(), 1000);
  Bytes hostile;
  hostile.i32(0x7fffffff).raw(std::string(4096, 'z')).append(get_data(3, "/after"));
  connection.feed(hostile, 512);
  REQUIRE(connection.frames_seen.size() == 2);
  CHECK(connection.frames_seen[1].second == 3);
  CHECK(connection.problems.front() == Problem::kOversized);
  CHECK(connection.budget.used < 4096);
}

TEST_CASE("four-letter words, TLS, and a partial frame at close") {
  {
    Connection connection(true);
    connection.feed(Bytes().raw("ruok"), 1);
    connection.feed(Bytes().raw("imok"), 2, Direction::kToClient);
    connection.finish();
    CHECK(connection.frames_seen.front().first == FrameTag::kFourLetterWord);
    CHECK(connection.raw_bytes == 4);
  }
  {
    Connection connection(true);
    const std::string hello("\x16\x03\x01\x00\x02\x01\x00", 7);  // a record of 2 bytes
    connection.feed(Bytes().raw(hello), 100);
    REQUIRE(connection.frames_seen.size() == 1);
    CHECK(connection.frames_seen[0].first == FrameTag::kTlsRecord);
    connection.feed(Bytes().raw(hello), 100);
    CHECK(connection.frames_seen[1].first == FrameTag::kOpaque);
  }
  {
    Connection connection(true);
    const Bytes request = connect_request();
    connection.streams[0].consume(ByteSpan(request.data.data(), 20), 0, connection.frames[0],
                                  connection);
    connection.finish();
    CHECK(connection.problems == std::vector<Problem>{Problem::kTruncatedAtClose});
    CHECK(connection.budget.used == 0);
  }
}

TEST_CASE("a reply found while resynchronising must answer a request still awaited") {
  Connection connection(false);
  const Bytes reply_header = Bytes().i32(41).i64(5).i32(0);
  Bytes stray = reply_header;
  stray.str("x");  // a reply to xid 41, which nobody awaits
  Bytes awaited = Bytes().i32(42).i64(5).i32(0).str("data");
  awaited.append(
      Bytes().i64(0).i64(0).i64(0).i64(0).i32(0).i32(0).i32(0).i64(0).i32(0).i32(0).i64(0));
  Bytes both = stray.framed();
  both.append(awaited.framed());
  connection.feed(both, 1000, Direction::kToClient);
  REQUIRE(connection.frames_seen.size() == 1);
  CHECK(connection.frames_seen[0].second == 42);
}
