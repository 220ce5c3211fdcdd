#include <doctest/doctest.h>

#include <map>

#include "bytes.hpp"
#include "zkdump/output/fields.hpp"
#include "zkdump/zk/messages.hpp"
#include "zkdump/zk/protocol.hpp"

using namespace zkdump;
using test::Bytes;

namespace {

Bytes acl_vector() {
  Bytes b;
  b.i32(1).i32(31).str("world").str("anyone");
  return b;
}

Bytes stat() {
  Bytes b;
  b.i64(1).i64(2).i64(3).i64(4).i32(5).i32(6).i32(7).i64(0).i32(9).i32(10).i64(11);
  return b;
}

Bytes create_body(std::int32_t flags) {
  Bytes b;
  b.str("/n").str("data").append(acl_vector()).i32(flags);
  return b;
}

// A valid request body for every opcode in zk-protocol.md.
std::map<std::int32_t, Bytes> request_bodies() {
  std::map<std::int32_t, Bytes> bodies;
  bodies[1] = create_body(1);
  bodies[2] = Bytes().str("/n").i32(3);
  bodies[3] = Bytes().str("/n").boolean(true);
  bodies[4] = Bytes().str("/n").boolean(false);
  bodies[5] = Bytes().str("/n").str("new").i32(-1);
  bodies[6] = Bytes().str("/n");
  bodies[7] = Bytes().str("/n").append(acl_vector()).i32(2);
  bodies[8] = Bytes().str("/n").boolean(true);
  bodies[9] = Bytes().str("/n");
  bodies[11] = Bytes();
  bodies[12] = Bytes().str("/n").boolean(false);
  bodies[13] = Bytes().str("/n").i32(4);
  bodies[14] = Bytes()
                   .i32(1)
                   .boolean(false)
                   .i32(-1)
                   .append(create_body(0))
                   .i32(2)
                   .boolean(false)
                   .i32(-1)
                   .str("/d")
                   .i32(-1)
                   .i32(-1)
                   .boolean(true)
                   .i32(-1);
  bodies[15] = create_body(2);
  bodies[16] = Bytes().i32(-1).i32(-1).str("server.1=h:2888:3888").i64(-1);
  bodies[17] = Bytes().str("/n").i32(2);
  bodies[18] = Bytes().str("/n").i32(3);
  bodies[19] = create_body(4);
  bodies[20] = Bytes().str("/n");
  bodies[21] = create_body(5).i64(60000);
  bodies[22] =
      Bytes().i32(4).boolean(false).i32(-1).str("/n").boolean(false).i32(-1).boolean(true).i32(-1);
  bodies[100] = Bytes().i32(0).str("digest").str("alice:secret");
  bodies[101] = Bytes().i64(5).i32(1).str("/d").i32(0).i32(-1);
  bodies[102] = Bytes().str("token");
  bodies[103] = Bytes().str("/");
  bodies[104] = Bytes().str("/");
  bodies[105] = Bytes().i64(5).i32(0).i32(0).i32(0).i32(1).str("/p").i32(0);
  bodies[106] = Bytes().str("/n").i32(1);
  bodies[107] = Bytes();
  bodies[-11] = Bytes();
  return bodies;
}

struct Rendered {
  std::string text;  // main fields | the -v trailer
  zk::Request request;
  bool complete;
};

Rendered render_request(std::int32_t code, const Bytes& body, bool show_credentials = false) {
  static Bytes frame;  // the views of the decoded request point into it
  frame = Bytes().i32(7).i32(code).append(body);
  Rendered out;
  out.request = zk::decode_request(frame.data, static_cast<std::int32_t>(frame.data.size()));
  out.complete = out.request.decoded.complete;
  fmt::memory_buffer main, trailer;
  const output::FieldOptions options{true, show_credentials, true};
  output::TextFields fields(main, trailer, options);
  if (out.complete) zk::describe(out.request, fields);
  out.text = fmt::to_string(main) + "|" + fmt::to_string(trailer);
  return out;
}

// The body's fields alone, as the reply line shows them after its header.
std::string render_reply(std::int32_t code, const Bytes& body, bool& complete) {
  static Bytes frame;
  frame = Bytes().i32(7).i64(5).i32(0).append(body);
  const zk::Reply reply = zk::decode_reply(frame.data, 0, zk::find_op(code));
  complete = reply.decoded.complete;
  fmt::memory_buffer main, trailer;
  const output::FieldOptions options{true, false, true};
  output::TextFields fields(main, trailer, options);
  zk::describe(reply, -1, fields);
  std::string text = fmt::to_string(main) + "|" + fmt::to_string(trailer);
  const std::string header = "xid=7, zxid=5, error=0";
  const std::string header_trailer = ", err_name=OK";
  if (text.starts_with(header + ", ")) {
    text.erase(0, header.size() + 2);
  } else if (text.starts_with(header)) {
    text.erase(0, header.size());
  }
  const std::size_t at = text.find(header_trailer, text.find('|'));
  if (at != std::string::npos) text.erase(at, header_trailer.size());
  return text;
}

}  // namespace

TEST_CASE("every opcode has a table row whose request decoder consumes exactly a valid body") {
  for (const auto& [code, body] : request_bodies()) {
    CAPTURE(code);
    const zk::OpInfo* op = zk::find_op(code);
    REQUIRE(op != nullptr);
    CHECK(op->code == code);
    CHECK(render_request(code, body).complete);
    // Any truncation of the body is caught, never read past.
    for (std::size_t cut = 0; cut < body.data.size(); ++cut) {
      Bytes shorter;
      shorter.data.assign(body.data.begin(), body.data.begin() + static_cast<std::ptrdiff_t>(cut));
      CHECK_FALSE(render_request(code, shorter).complete);
    }
  }
  CHECK(zk::find_op(10) == nullptr);
  CHECK(zk::find_op(108) == nullptr);
  CHECK(zk::find_op(-12) == nullptr);
}

TEST_CASE("request fields follow zktraffic's layout") {
  const auto bodies = request_bodies();
  CHECK(render_request(4, bodies.at(4)).text == "xid=7, path=/n, watch=False, size=15|");
  const Rendered create = render_request(1, bodies.at(1));
  CHECK(zk::line_name(create.request).name == "CreateEphemeralRequest");
  CHECK(create.text.starts_with(
      "size=53, xid=7, path=/n, ephemeral=True, sequence=False|, mode=EPHEMERAL"));
  CHECK(render_request(2, bodies.at(2)).text == "xid=7, path=/n, watch=False, size=18|, version=3");
  CHECK(render_request(21, bodies.at(21)).text.find("ttl=60000|") != std::string::npos);
  CHECK(render_request(101, bodies.at(101)).text ==
        "relzxid=5, data=['/d'], exist=[], child=[]|, xid=7, size=34");
  CHECK(render_request(106, bodies.at(106)).text.find("mode=PersistentRecursive") !=
        std::string::npos);
}

TEST_CASE("multi shows every sub-operation and rejects nesting") {
  const Rendered multi = render_request(14, request_bodies().at(14));
  CHECK(multi.complete);
  CHECK(multi.text.find("ops=[Create(path=/n, ephemeral=False") != std::string::npos);
  CHECK(multi.text.find("Delete(path=/d, version=-1)]") != std::string::npos);
  Bytes nested;
  nested.i32(14).boolean(false).i32(-1).i32(-1).boolean(true).i32(-1);
  CHECK_FALSE(render_request(14, nested).complete);
}

TEST_CASE("auth credentials are redacted unless asked for") {
  const Bytes auth = request_bodies().at(100);
  CHECK(render_request(100, auth).text == "type=0, scheme=digest, credential=<redacted>|");
  CHECK(render_request(100, auth, true).text == "type=0, scheme=digest, credential=alice:secret|");
  CHECK(render_request(102, request_bodies().at(102)).text.find("token=<redacted>") !=
        std::string::npos);
}

TEST_CASE("reply bodies decode by the request's opcode") {
  bool complete = false;
  CHECK(render_reply(1, Bytes().str("/n0001"), complete) == "path=/n0001|");
  CHECK(complete);
  CHECK(render_reply(8, Bytes().i32(2).str("a").str("b"), complete) ==
        "count=2|, children=['a', 'b']");
  CHECK(complete);
  render_reply(4, Bytes().str("value").append(stat()), complete);
  CHECK(complete);
  render_reply(12, Bytes().i32(0).append(stat()), complete);
  CHECK(complete);
  CHECK(render_reply(104, Bytes().i32(42), complete) == "total=42|");
  render_reply(6, acl_vector().append(stat()), complete);
  CHECK(complete);
  CHECK(render_reply(107, Bytes().i32(1).str("ip").str("127.0.0.1"), complete) ==
        "ids=[Id(scheme=ip, user=127.0.0.1)]|");
  // A failed multi: every result is an ErrorResponse, named; the failing op's code is the reply's
  // error, not the RuntimeInconsistency of the operations after it.
  Bytes failed;
  failed.i32(-1).boolean(false).i32(0).i32(0).i32(-1).boolean(false).i32(-110).i32(-110);
  failed.i32(-1).boolean(false).i32(-2).i32(-2).i32(-1).boolean(true).i32(-1);
  CHECK(
      render_reply(14, failed, complete) ==
      "xid=7, zxid=5, error=-110, results=[RolledBack(err=0), Error(err=-110, "
      "err_name=NodeExists), Error(err=-2, err_name=RuntimeInconsistency)]|, err_name=NodeExists");
  CHECK(complete);
  const Bytes failed_frame = Bytes().i32(7).i64(5).i32(0).append(failed);
  CHECK(zk::decode_reply(failed_frame.data, 0, zk::find_op(14)).error() == -110);
  render_reply(4, Bytes().i32(-1).append(stat()), complete);  // null data
  CHECK(complete);
}

TEST_CASE("handshake records and notifications") {
  Bytes connect;
  connect.i32(0).i64(0).i32(6000).i64(0).str(std::string(16, '\0')).boolean(false);
  CHECK(zk::looks_like_connect_request(45, connect.data.data()));
  const zk::ConnectRequest request = zk::decode_connect_request(connect.data);
  CHECK(request.decoded.complete);
  CHECK(request.timeout == 6000);
  fmt::memory_buffer out, trailer;
  const output::FieldOptions options;
  output::TextFields fields(out, trailer, options);
  zk::describe(request, fields);
  CHECK(fmt::to_string(out) == "ver=0, zxid=0, timeout=6000, session=0x0, readonly=False");

  Bytes event;
  event.i32(-1).i64(-1).i32(0).i32(3).i32(3).str("/w");
  const zk::WatcherEvent watcher = zk::decode_event(event.data, 0);
  CHECK(watcher.decoded.complete);
  CHECK(zk::event_type_name(watcher.type) == "NodeDataChanged");
  CHECK(zk::line_name(watcher).name == "NodeDataChanged");
  CHECK(zk::error_name(-101) == "NoNode");
  CHECK(zk::keeper_state_name(-112) == "Expired");
  const std::uint8_t ruok[] = {'r', 'u', 'o', 'k'};
  CHECK(zk::four_letter_word(ruok) == "ruok");
}

TEST_CASE("a record that fails says where: the bad byte counts the length prefix") {
  const Bytes frame = Bytes().i32(7).i32(4).str("/n");  // getData without its watch flag
  const zk::Request request = zk::decode_request(frame.data, 14);
  CHECK_FALSE(request.decoded.complete);
  CHECK(request.decoded.bad_byte == 4 + 8 + 6);
  const Bytes unknown = Bytes().i32(7).i32(99);
  CHECK(zk::decode_request(unknown.data, 8).op == nullptr);
  CHECK(zk::line_name(zk::decode_request(unknown.data, 8)).name == "UnknownRequest");
}
