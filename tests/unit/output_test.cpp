// The output stage: zktraffic's line layout, and the pairing stage's order and unanswered lines.
#include <doctest/doctest.h>

#include <unistd.h>

#include <string>

#include "bytes.hpp"
#include "captured_output.hpp"
#include "zkdump/output/message_printer.hpp"
#include "zkdump/session/tracker.hpp"

using namespace zkdump;
using test::Bytes;

namespace {

output::Peer zktraffic_peer() {
  output::Peer peer;
  peer.client = "127.0.0.1:60446";
  peer.server = "127.0.0.1:2181";
  return peer;
}

zk::Frame frame_of(const Bytes& framed, zk::FrameKind kind) {
  zk::Frame frame{};
  frame.direction = kind == zk::FrameKind::kRequest || kind == zk::FrameKind::kConnectRequest
                        ? zk::Direction::kToServer
                        : zk::Direction::kToClient;
  frame.kind = kind;
  frame.length = static_cast<std::int32_t>(framed.data.size() - 4);
  frame.body = zk::ByteSpan(framed.data).subspan(4);
  frame.ts_us = 1425594674722741;  // 22:31:14.722741 UTC
  return frame;
}

std::string request_line(const Bytes& body) {
  output::PrintOptions options;
  options.timestamps = output::TimestampStyle::kNone;
  output::MessagePrinter printer(options);
  const Bytes framed = body.framed();
  const zk::Frame frame = frame_of(framed, zk::FrameKind::kRequest);
  zk::RequestFacts facts;
  bool decoded = false;
  const zk::OpInfo* op = zk::find_op(zk::load_be32(frame.body.data() + 4));
  return std::string(printer.request(zktraffic_peer(), *op, zk::load_be32(frame.body.data()), frame,
                                     facts, decoded));
}

}  // namespace

TEST_CASE("request lines are zktraffic's, word for word") {
  CHECK(request_line(Bytes().i32(6).i32(3).str("/dknightly").boolean(false)) ==
        "ExistsRequest(xid=6, path=/dknightly, watch=False, size=23, client=127.0.0.1:60446)\n");
  CHECK(request_line(Bytes().i32(18).i32(4).str("/ericksun").boolean(true)) ==
        "GetDataRequest(xid=18, path=/ericksun, watch=True, size=22, client=127.0.0.1:60446)\n");
  Bytes create;
  create.i32(7)
      .i32(1)
      .str("/dknightly")
      .str("hello")
      .i32(1)
      .i32(31)
      .str("world")
      .str("anyone")
      .i32(0);
  CHECK(request_line(create) ==
        "CreateRequest(size=62, xid=7, path=/dknightly, ephemeral=False, sequence=False, "
        "client=127.0.0.1:60446)\n");
  CHECK(request_line(Bytes().i32(-2).i32(11)) == "PingRequest(client=127.0.0.1:60446)\n");
  CHECK(request_line(Bytes().i32(9).i32(-11)) ==
        "CloseRequest(client=127.0.0.1:60446, server=127.0.0.1:2181)\n");
  CHECK(request_line(Bytes().i32(-4).i32(100).i32(0).str("digest").str("u:p")) ==
        "SetAuthRequest(type=0, scheme=digest, credential=<redacted>, client=127.0.0.1:60446)\n");
}

TEST_CASE("reply, connect and event lines, with the arrow and the timestamp") {
  output::PrintOptions options;
  output::MessagePrinter printer(options);
  const output::Peer peer = zktraffic_peer();
  bool decoded = false;
  setenv("TZ", "UTC", 1);
  tzset();

  const Bytes reply =
      Bytes().i32(9).i64(7306).i32(0).i32(4).str("a").str("b").str("c").str("d").framed();
  output::ReplyHeader header{9, 7306, 0};
  CHECK(std::string(printer.reply(peer, zk::find_op(8), header,
                                  frame_of(reply, zk::FrameKind::kReply), 350, decoded)) ==
        "————►22:31:14:722741 GetChildrenReply(xid=9, zxid=7306, error=0, count=4, "
        "server=127.0.0.1:2181)\n");
  const Bytes failed = Bytes().i32(6).i64(7305).i32(-101).framed();
  header = {6, 7305, -101};
  CHECK(std::string(printer.reply(peer, zk::find_op(3), header,
                                  frame_of(failed, zk::FrameKind::kReply), 1, decoded)) ==
        "————►22:31:14:722741 FailedExistsReply(xid=6, zxid=7305, error=-101, "
        "server=127.0.0.1:2181)\n");

  zk::ConnectFacts facts;
  const std::string password(16, '\0');
  const Bytes reconnect = Bytes()
                              .i32(0)
                              .i64(1840)
                              .i32(30000)
                              .i64(0x10009b61d370014)
                              .str(password)
                              .boolean(false)
                              .framed();
  CHECK(std::string(printer.connect_request(
            peer, frame_of(reconnect, zk::FrameKind::kConnectRequest), facts, decoded)) ==
        "22:31:14:722741 ReConnectRequest(ver=0, zxid=1840, timeout=30000, "
        "session=0x10009b61d370014, "
        "readonly=False, client=127.0.0.1:60446)\n");
  const Bytes expired = Bytes().i32(0).i32(0).i64(0).str(password).boolean(false).framed();
  CHECK(std::string(printer.connect_response(
            peer, frame_of(expired, zk::FrameKind::kConnectResponse), 5, facts, decoded)) ==
        "————►22:31:14:722741 SessionExpiration(ver=0, timeout=0, session=0x0, readonly=False, "
        "server=127.0.0.1:2181)\n");

  const Bytes event = Bytes().i32(-1).i64(-1).i32(0).i32(3).i32(3).str("/dknightly").framed();
  header = {-1, -1, 0};
  CHECK(std::string(printer.event(peer, header, frame_of(event, zk::FrameKind::kReply), decoded)) ==
        "22:31:14:722741 EventNodeDataChanged(state=3, path=/dknightly, client=127.0.0.1:60446, "
        "server=127.0.0.1:2181)\n");
}

TEST_CASE("-v appends after server=, never inserts") {
  output::PrintOptions options;
  options.verbose = true;
  options.timestamps = output::TimestampStyle::kNone;
  output::MessagePrinter printer(options);
  bool decoded = false;
  const Bytes failed = Bytes().i32(6).i64(7305).i32(-101).framed();
  const output::ReplyHeader header{6, 7305, -101};
  CHECK(std::string(printer.reply(zktraffic_peer(), zk::find_op(3), header,
                                  frame_of(failed, zk::FrameKind::kReply), 531, decoded)) ==
        "————►FailedExistsReply(xid=6, zxid=7305, error=-101, server=127.0.0.1:2181, "
        "err_name=NoNode, "
        "latency_us=531)\n");
}

namespace {

// Runs bytes through a Tracker the way the reassembler would and returns what it printed.
class TrackerRun {
 public:
  explicit TrackerRun(bool paired, std::size_t max_pending = 16384) {
    options_.paired = paired;
    options_.max_pending_per_connection = max_pending;
    output::PrintOptions print;
    print.timestamps = output::TimestampStyle::kNone;
    printer_ = std::make_unique<output::MessagePrinter>(print);
    tracker_ = std::make_unique<session::Tracker>(options_, *printer_, output_.buffer());
    net::Endpoint client, server;
    client.port = 40000;
    server.port = 2181;
    connection_ = tracker_->open(client, server, true, 0);
  }
  void client(const Bytes& bytes) {
    connection_->on_data(tcp::Side::kClientToServer, bytes.data, 0);
  }
  void server(const Bytes& bytes) {
    connection_->on_data(tcp::Side::kServerToClient, bytes.data, 0);
  }
  std::string close() {
    connection_->on_close(tcp::CloseReason::kFin, 0);
    return output_.text();
  }
  const session::TrackerCounters& counters() const { return tracker_->counters(); }

 private:
  test::CapturedOutput output_;
  session::TrackerOptions options_;
  std::unique_ptr<output::MessagePrinter> printer_;
  std::unique_ptr<session::Tracker> tracker_;
  std::unique_ptr<tcp::StreamHandler> connection_;
};

Bytes connect_pair_request() {
  return Bytes().i32(0).i64(0).i32(6000).i64(0).str(std::string(16, '\0')).framed();
}
Bytes connect_pair_response() {
  return Bytes().i32(0).i32(6000).i64(0x77).str(std::string(16, '\0')).framed();
}

}  // namespace

TEST_CASE("pairing: replies decode by their request's opcode and print right after it") {
  TrackerRun run(true);
  run.client(connect_pair_request());
  run.server(connect_pair_response());
  // Two pipelined requests in one segment, an event between the replies, an unknown xid.
  run.client(Bytes()
                 .append(Bytes().i32(1).i32(1).str("/a").str("").i32(0).i32(0).framed())
                 .append(Bytes().i32(2).i32(8).str("/").boolean(true).framed()));
  run.server(Bytes().i32(1).i64(5).i32(0).str("/a").framed());
  run.server(Bytes().i32(-1).i64(-1).i32(0).i32(4).i32(3).str("/").framed());
  run.server(Bytes().i32(2).i64(5).i32(0).i32(1).str("a").framed());
  run.server(Bytes().i32(99).i64(5).i32(0).framed());
  run.client(Bytes().i32(3).i32(4).str("/never").boolean(false).framed());
  const std::string text = run.close();
  CHECK(
      text ==
      "ConnectRequest(ver=0, zxid=0, timeout=6000, session=0x0, readonly=False, "
      "client=0.0.0.0:40000)\n"
      "————►ConnectReply(ver=0, timeout=6000, session=0x77, readonly=False, server=0.0.0.0:2181)\n"
      "CreateRequest(size=26, xid=1, path=/a, ephemeral=False, sequence=False, "
      "client=0.0.0.0:40000)\n"
      "————►CreateReply(xid=1, zxid=5, error=0, path=/a, server=0.0.0.0:2181)\n"
      "GetChildrenRequest(xid=2, path=/, watch=True, size=14, client=0.0.0.0:40000)\n"
      "————►GetChildrenReply(xid=2, zxid=5, error=0, count=1, server=0.0.0.0:2181)\n"
      "EventNodeChildrenChanged(state=3, path=/, client=0.0.0.0:40000, server=0.0.0.0:2181)\n"
      "————►UnknownReply(xid=99, zxid=5, error=0, size=16, server=0.0.0.0:2181)\n"
      "GetDataRequest(xid=3, path=/never, watch=False, size=19, client=0.0.0.0:40000)\n"
      "————►Unanswered(xid=3, op=getData, path=/never, waited_us=0, reason=closed, "
      "client=0.0.0.0:40000, "
      "server=0.0.0.0:2181)\n");
  CHECK(run.counters().unanswered == 1);
  CHECK(run.counters().unknown_replies == 1);
}

TEST_CASE("pairing: repeated special xids pair first in, first out; pings stay hidden") {
  TrackerRun run(false);
  run.client(connect_pair_request());
  run.server(connect_pair_response());
  for (int i = 0; i < 2; ++i) run.client(Bytes().i32(-2).i32(11).framed());
  run.client(Bytes().i32(-4).i32(100).i32(0).str("digest").str("u:p").framed());
  for (int i = 0; i < 2; ++i) run.server(Bytes().i32(-2).i64(1).i32(0).framed());
  run.server(Bytes().i32(-4).i64(0).i32(-115).framed());
  const std::string text = run.close();
  CHECK(text.find("Ping") == std::string::npos);
  CHECK(text.find("————►FailedAuthReply(xid=-4, zxid=0, error=-115, server=0.0.0.0:2181)\n") !=
        std::string::npos);
  CHECK(run.counters().unanswered == 0);
}

TEST_CASE(
    "pairing: past the pending cap the oldest request is reported, and the new one is intact") {
  // Regression (found by fuzz_stream_to_server): reporting the evicted request reused the
  // printer's line while the new request's line was still to be copied.
  TrackerRun run(true, 1);
  run.client(connect_pair_request());
  run.server(connect_pair_response());
  const std::string long_path = "/" + std::string(3000, 'p');
  run.client(Bytes().i32(1).i32(4).str("/first").boolean(false).framed());
  run.client(Bytes().i32(2).i32(4).str(long_path).boolean(false).framed());
  const std::string text = run.close();
  CHECK(text.find("Unanswered(xid=1, op=getData, path=/first, waited_us=0, reason=pending-limit") !=
        std::string::npos);
  CHECK(text.find("GetDataRequest(xid=2, path=" + long_path + ", watch=False") !=
        std::string::npos);
}
