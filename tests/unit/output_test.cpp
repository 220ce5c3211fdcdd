// The output stage: zktraffic's line layout, and the pairing stage's order and unanswered lines.
#include <doctest/doctest.h>

#include <unistd.h>

#include <string>

#include "bytes.hpp"
#include "captured_output.hpp"
#include "zkdump/base/json_writer.hpp"
#include "zkdump/output/line_writer.hpp"
#include "zkdump/session/client.hpp"

using namespace zkdump;
using test::Bytes;

namespace {

net::Endpoint loopback(std::uint16_t port, bool zero_address = false) {
  net::Endpoint endpoint;
  if (!zero_address) {
    endpoint.address.bytes[0] = 127;
    endpoint.address.bytes[3] = 1;
  }
  endpoint.port = port;
  return endpoint;
}

// Bytes through the session stage and the line writer, the way the reassembler hands them over.
class SessionRun {
 public:
  explicit SessionRun(const output::LineOptions& options, bool from_start = true,
                      std::size_t max_pending = 16384, bool zero_address = false)
      : writer_(options, output_.buffer()) {
    sinks_.add(writer_);
    session::ClientOptions client_options;
    client_options.max_pending_per_connection = max_pending;
    sessions_ = std::make_unique<session::ClientSessions>(client_options, sinks_, budget_);
    connection_ = sessions_->open(loopback(zero_address ? 40000 : 60446, zero_address),
                                  loopback(2181, zero_address), from_start, 0);
  }
  void client(const Bytes& bytes, std::int64_t ts_us = kTs) {
    connection_->on_data(Direction::kToServer, bytes.data, ts_us);
  }
  void server(const Bytes& bytes, std::int64_t ts_us = kTs) {
    connection_->on_data(Direction::kToClient, bytes.data, ts_us);
  }
  std::string text() { return output_.text(); }
  std::string close() {
    connection_->on_close(tcp::CloseReason::kFin, kTs);
    return output_.text();
  }
  const session::ClientCounters& counters() const { return sessions_->counters(); }

  static constexpr std::int64_t kTs = 1425594674722741;  // 22:31:14.722741 UTC

 private:
  test::CapturedOutput output_;
  output::LineWriter writer_;
  session::Sinks sinks_;
  framing::Budget budget_;
  std::unique_ptr<session::ClientSessions> sessions_;
  std::unique_ptr<tcp::StreamHandler> connection_;
};

output::LineOptions untimed(bool paired = false) {
  output::LineOptions options;
  options.timestamps = TimestampStyle::kNone;
  options.paired = paired;
  options.include_pings = true;
  return options;
}

// The line a request joined mid-stream prints.
std::string request_line(const Bytes& body) {
  SessionRun run(untimed(), false);
  run.client(body.framed());
  return run.text();
}

Bytes connect_request(std::int64_t session = 0, std::int64_t zxid = 0,
                      std::int32_t timeout = 6000) {
  return Bytes().i32(0).i64(zxid).i32(timeout).i64(session).str(std::string(16, '\0')).framed();
}

Bytes connect_response(std::int32_t timeout, std::int64_t session) {
  return Bytes().i32(0).i32(timeout).i64(session).str(std::string(16, '\0')).framed();
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
  setenv("TZ", "UTC", 1);
  tzset();
  output::LineOptions options;  // paired: each reply right after its request, as zktraffic shows
  SessionRun run(options, false);
  run.client(Bytes().i32(9).i32(8).str("/").boolean(false).framed());
  run.server(Bytes().i32(9).i64(7306).i32(0).i32(4).str("a").str("b").str("c").str("d").framed());
  run.client(Bytes().i32(6).i32(3).str("/gone").boolean(false).framed());
  run.server(Bytes().i32(6).i64(7305).i32(-101).framed());
  run.server(Bytes().i32(-1).i64(-1).i32(0).i32(3).i32(3).str("/dknightly").framed());
  const std::string text = run.text();
  CHECK(text.find("————►22:31:14:722741 GetChildrenReply(xid=9, zxid=7306, error=0, count=4, "
                  "server=127.0.0.1:2181)\n") != std::string::npos);
  CHECK(text.find("————►22:31:14:722741 FailedExistsReply(xid=6, zxid=7305, error=-101, "
                  "server=127.0.0.1:2181)\n") != std::string::npos);
  CHECK(text.find("22:31:14:722741 EventNodeDataChanged(state=3, path=/dknightly, "
                  "client=127.0.0.1:60446, server=127.0.0.1:2181)\n") != std::string::npos);

  SessionRun reconnect(options);
  reconnect.client(connect_request(0x10009b61d370014, 1840, 30000));
  reconnect.server(connect_response(0, 0));
  CHECK(reconnect.text() ==
        "22:31:14:722741 ReConnectRequest(ver=0, zxid=1840, timeout=30000, "
        "session=0x10009b61d370014, readonly=False, client=127.0.0.1:60446)\n"
        "————►22:31:14:722741 SessionExpiration(ver=0, timeout=0, session=0x0, readonly=False, "
        "server=127.0.0.1:2181)\n");
}

TEST_CASE("-v appends after server=, never inserts") {
  output::LineOptions options = untimed(true);
  options.verbose = true;
  SessionRun run(options, false);
  run.client(Bytes().i32(6).i32(3).str("/gone").boolean(false).framed(), 0);
  run.server(Bytes().i32(6).i64(7305).i32(-101).framed(), 531);
  CHECK(run.text().find("————►FailedExistsReply(xid=6, zxid=7305, error=-101, "
                        "server=127.0.0.1:2181, err_name=NoNode, latency_us=531)\n") !=
        std::string::npos);
}

TEST_CASE("unpaired, a reply names its client too: it does not follow its request") {
  SessionRun run(untimed(), false);
  run.client(Bytes().i32(6).i32(3).str("/gone").boolean(false).framed());
  run.server(Bytes().i32(6).i64(7305).i32(-101).framed());
  CHECK(run.text().find("————►FailedExistsReply(xid=6, zxid=7305, error=-101, "
                        "client=127.0.0.1:60446, server=127.0.0.1:2181)\n") != std::string::npos);
}

TEST_CASE("JSON lines carry the protocol, one key once, and the connection's session") {
  output::LineOptions options;
  options.json = true;
  SessionRun run(options);
  run.client(connect_request());
  run.server(connect_response(6000, 0x77));
  run.client(Bytes().i32(1).i32(8).str("/a").boolean(true).framed(), SessionRun::kTs + 5);
  run.server(Bytes().i32(1).i64(5).i32(0).i32(0).framed(), SessionRun::kTs + 9);
  const std::string text = run.close();
  CHECK(text.find("{\"ts\":1425594674.722741,\"kind\":\"request\",\"proto\":\"zk\","
                  "\"op\":\"connect\",") == 0);
  CHECK(text.find("\"session\":\"0x77\",\"readonly\":false,\"expired\":false,\"err\":0,"
                  "\"err_name\":\"OK\",\"latency_us\":0,\"client\":\"127.0.0.1:60446\","
                  "\"server\":\"127.0.0.1:2181\"}\n") != std::string::npos);
  CHECK(text.find("\"kind\":\"reply\",\"proto\":\"zk\",\"op\":\"getChildren\",\"xid\":1,"
                  "\"zxid\":5,\"err\":0,\"err_name\":\"OK\",\"latency_us\":4,\"count\":0,") !=
        std::string::npos);
  CHECK(text.find("\"session\":\"0x77\"}") != std::string::npos);
}

TEST_CASE("pairing: replies decode by their request's opcode and print right after it") {
  SessionRun run(untimed(true), true, 16384, true);
  run.client(connect_request());
  run.server(connect_response(6000, 0x77));
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
  output::LineOptions options = untimed(true);
  options.include_pings = false;
  SessionRun run(options, true, 16384, true);
  run.client(connect_request());
  run.server(connect_response(6000, 0x77));
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
  // Regression (found by fuzz_stream_to_server): reporting the evicted request once reused the
  // printer's line while the new request's line was still to be copied.
  SessionRun run(untimed(true), true, 1, true);
  run.client(connect_request());
  run.server(connect_response(6000, 0x77));
  const std::string long_path = "/" + std::string(3000, 'p');
  run.client(Bytes().i32(1).i32(4).str("/first").boolean(false).framed());
  run.client(Bytes().i32(2).i32(4).str(long_path).boolean(false).framed());
  const std::string text = run.close();
  CHECK(text.find("Unanswered(xid=1, op=getData, path=/first, waited_us=0, reason=pending-limit") !=
        std::string::npos);
  CHECK(text.find("GetDataRequest(xid=2, path=" + long_path + ", watch=False") !=
        std::string::npos);
}

TEST_CASE("the JSON writer places commas, nests, escapes and formats numbers") {
  fmt::memory_buffer out;
  JsonWriter json(out);
  json.begin_object();
  json.member("kind", "stats");
  json.member("count", std::uint64_t{18446744073709551615u});
  json.member("delta", std::int32_t{-3});
  json.member("open", true);
  json.key("rate").fixed(2.0 / 3.0, 3);
  json.key("none").null();
  json.key("list").begin_array();
  json.number(1);
  json.begin_object();
  json.end_object();
  json.begin_array();
  json.end_array();
  json.string("a\"b\\c\n\x01");
  json.end_array();
  json.member("ke\"y", "/p\xff");
  json.end_object();
  CHECK(fmt::to_string(out) ==
        "{\"kind\":\"stats\",\"count\":18446744073709551615,\"delta\":-3,\"open\":true,"
        "\"rate\":0.667,\"none\":null,\"list\":[1,{},[],\"a\\\"b\\\\c\\u000a\\u0001\"],"
        "\"ke\\\"y\":\"/p\\\\xff\"}");
}

TEST_CASE("the JSON writer goes on inside an object, and nests no deeper than its cap") {
  fmt::memory_buffer out;
  JsonWriter json(out, true);
  json.trusted_member("op", "getData", true);
  json.trusted_key("xid").number(7);
  CHECK(fmt::to_string(out) == ",\"op\":\"getData\",\"xid\":7");
  fmt::memory_buffer deep;
  JsonWriter nested(deep);
  for (int i = 0; i < 40; ++i) nested.begin_array();
  for (int i = 0; i < 40; ++i) nested.end_array();
  CHECK(deep.size() == 80);  // brackets balance; past the cap, commas follow the parent level
}
