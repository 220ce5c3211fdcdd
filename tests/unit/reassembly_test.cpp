#include <doctest/doctest.h>

#include <string>

#include "zkdump/tcp/reassembly.hpp"

using namespace zkdump;

namespace {

// What one connection's handler saw; kept by the test, since the table destroys handlers at close.
struct Log {
  std::string stream[2];
  std::string order;  // both directions as delivered: "C:abc S:xyz C:# "
  std::uint64_t gaps[2] = {};
  int closes = 0;
  tcp::CloseReason close_reason = tcp::CloseReason::kFin;
  std::int64_t closed_at_us = 0;
};

struct Recorder : tcp::StreamHandler {
  explicit Recorder(Log& log) : log_(log) {}
  Log& log_;
  std::string (&stream)[2] = log_.stream;
  std::uint64_t (&gaps)[2] = log_.gaps;
  int& closes = log_.closes;
  void on_data(Direction side, tcp::ByteSpan bytes, std::int64_t) override {
    const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    stream[static_cast<int>(side)] += text;
    log_.order += (side == Direction::kToServer ? "C:" : "S:") + text + " ";
  }
  void on_gap(Direction side, std::uint64_t missing, std::int64_t) override {
    gaps[static_cast<int>(side)] += missing;
    stream[static_cast<int>(side)] += '#';
    log_.order += side == Direction::kToServer ? "C:# " : "S:# ";
  }
  void on_close(tcp::CloseReason reason, std::int64_t ts_us) override {
    ++closes;
    log_.close_reason = reason;
    log_.closed_at_us = ts_us;
  }
};

struct Factory : tcp::StreamHandlerFactory {
  std::vector<std::unique_ptr<Log>> logs;
  Log* last = nullptr;
  int opened = 0;
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint&, const net::Endpoint&, bool,
                                           std::int64_t) override {
    logs.push_back(std::make_unique<Log>());
    last = logs.back().get();
    ++opened;
    return std::make_unique<Recorder>(*last);
  }
};

struct Harness {
  Factory factory;
  tcp::ReassemblyLimits limits;
  std::unique_ptr<tcp::ConnectionTable> table;
  std::int64_t at_us = 0;  // the capture time of the next segment

  Harness() { table = std::make_unique<tcp::ConnectionTable>(factory, limits); }

  void send(bool to_server, std::uint32_t seq, std::string data, std::uint8_t flags = net::kTcpAck,
            std::uint32_t ack = 0) {
    net::TcpSegment segment;
    segment.source.port = to_server ? 40000 : 2181;
    segment.destination.port = to_server ? 2181 : 40000;
    segment.seq = seq;
    segment.ack = ack;
    segment.flags = flags;
    segment.ts_us = at_us;
    auto* stored = new std::string(std::move(data));  // freed below, after the table is done
    owned.emplace_back(stored);
    segment.payload = {reinterpret_cast<const std::uint8_t*>(stored->data()), stored->size()};
    table->segment(segment, to_server ? Direction::kToServer : Direction::kToClient);
  }
  std::vector<std::unique_ptr<std::string>> owned;
};

}  // namespace

TEST_CASE("in-order, out-of-order, duplicate and overlapping segments give one clean stream") {
  Harness h;
  h.send(true, 100, "", net::kTcpSyn);
  h.send(true, 101, "abc");
  h.send(true, 107, "ghi");     // ahead: held
  h.send(true, 104, "def");     // fills the hole
  h.send(true, 101, "abc");     // retransmission
  h.send(true, 105, "efghij");  // overlaps what was seen, adds "j"
  REQUIRE(h.factory.last != nullptr);
  CHECK(h.factory.last->stream[0] == "abcdefghij");
  CHECK(h.factory.last->gaps[0] == 0);
  CHECK(h.table->counters().duplicate_bytes == 3 + 5);
}

TEST_CASE("sequence numbers wrap around 2^32") {
  Harness h;
  h.send(true, 0xfffffffd, "", net::kTcpSyn);
  h.send(true, 0xfffffffe, "ab");
  h.send(true, 0x00000002, "ef");  // past the wrap, ahead of "cd"
  h.send(true, 0x00000000, "cd");
  CHECK(h.factory.last->stream[0] == "abcdef");
}

// A client (port 40000) that sent "abc" after its SYN at 100; the server's SYN-ACK at 500.
void handshake(Harness& h) {
  h.send(true, 100, "", net::kTcpSyn);
  h.send(false, 500, "", net::kTcpSyn | net::kTcpAck, 101);
  h.send(true, 101, "abc", net::kTcpAck, 501);
}

TEST_CASE("an ACK ahead of the data seen is a suspicion: the late data is delivered, no gap") {
  Harness h;
  handshake(h);
  h.send(false, 501, "", net::kTcpAck, 107);  // the server's ACK, recorded before "def"
  CHECK(h.factory.last->stream[0] == "abc");
  h.send(true, 104, "def", net::kTcpAck, 501);
  CHECK(h.factory.last->stream[0] == "abcdef");
  CHECK(h.factory.last->gaps[0] == 0);
  h.at_us = 10'000'000;
  h.table->advance(h.at_us);  // long after: nothing is left to declare
  CHECK(h.factory.last->gaps[0] == 0);
}

TEST_CASE("an ACK ahead, then real loss: one gap of the right size once the wait is over") {
  Harness h;
  handshake(h);
  h.send(false, 501, "", net::kTcpAck, 110);  // the server saw 9 bytes; the capture saw 3
  h.at_us = h.limits.acked_hole_wait_us - 1;
  h.table->advance(h.at_us);
  CHECK(h.factory.last->gaps[0] == 0);
  h.at_us = h.limits.acked_hole_wait_us;
  h.table->advance(h.at_us + 50'000);  // the next look at waiting holes
  CHECK(h.factory.last->stream[0] == "abc#");
  CHECK(h.factory.last->gaps[0] == 6);
  h.send(true, 110, "jkl", net::kTcpAck, 501);
  CHECK(h.factory.last->stream[0] == "abc#jkl");
  CHECK(h.table->counters().gaps == 1);
}

TEST_CASE("a suspected hole is also given up after enough segments of the connection") {
  Harness h;
  h.limits.acked_hole_wait_segments = 4;
  h.table = std::make_unique<tcp::ConnectionTable>(h.factory, h.limits);
  handshake(h);
  h.send(false, 501, "", net::kTcpAck, 110);
  for (int i = 0; i < 3; ++i) h.send(false, 501, "", net::kTcpAck, 110);
  CHECK(h.factory.last->gaps[0] == 0);
  h.send(false, 501, "", net::kTcpAck, 110);  // the fourth segment since the suspicion
  CHECK(h.factory.last->gaps[0] == 6);
}

TEST_CASE("a reply recorded before its request is delivered after it") {
  Harness h;
  handshake(h);
  h.send(false, 501, "reply", net::kTcpAck, 108);  // acknowledges "defg", not seen yet
  CHECK(h.factory.last->stream[1].empty());
  h.send(true, 104, "defg", net::kTcpAck, 501);
  CHECK(h.factory.last->order == "C:abc C:defg S:reply ");
  CHECK(h.table->counters().reordered_segments == 1);
  CHECK(h.factory.last->gaps[0] + h.factory.last->gaps[1] == 0);
}

TEST_CASE("a reply whose request was lost waits the bound, then the gap, then the reply") {
  Harness h;
  handshake(h);
  h.send(false, 501, "reply", net::kTcpAck, 108);
  h.at_us = h.limits.acked_hole_wait_us;
  h.send(false, 506, "", net::kTcpAck, 108);  // time moved on; the request never came
  CHECK(h.factory.last->order == "C:abc C:# S:reply ");
  CHECK(h.factory.last->gaps[0] == 4);
}

TEST_CASE("a FIN recorded ahead of the data before it closes the connection after the data") {
  Harness h;
  handshake(h);
  h.send(true, 107, "", net::kTcpAck | net::kTcpFin, 501);   // FIN ahead of "def"
  h.send(false, 501, "", net::kTcpAck | net::kTcpFin, 108);  // the server's FIN, acking both
  CHECK(h.factory.last->closes == 0);
  h.send(true, 104, "def", net::kTcpAck, 501);
  h.send(true, 108, "", net::kTcpAck, 502);
  CHECK(h.factory.last->stream[0] == "abcdef");
  CHECK(h.factory.last->gaps[0] + h.factory.last->gaps[1] == 0);
  CHECK(h.factory.last->closes == 1);
}

TEST_CASE("a reset recorded ahead of data it follows takes effect after the data") {
  Harness h;
  handshake(h);
  h.send(true, 104, "", net::kTcpAck | net::kTcpRst, 506);  // acknowledges "reply", not seen yet
  CHECK(h.factory.last->closes == 0);
  h.send(false, 501, "reply", net::kTcpAck, 104);
  CHECK(h.factory.last->stream[1] == "reply");
  CHECK(h.factory.last->closes == 1);
  CHECK(h.factory.last->gaps[1] == 0);
}

TEST_CASE("a peer's last bytes recorded after a reset without ACK are late, not a new connection") {
  Harness h;
  handshake(h);
  h.send(false, 501, "", net::kTcpRst);  // the server resets; the client's last bytes are in flight
  CHECK(h.factory.last->closes == 1);
  h.send(true, 104, "bye", net::kTcpAck, 502);
  CHECK(h.factory.opened == 1);
  CHECK(h.table->counters().late_after_reset == 1);
  h.at_us += h.limits.acked_hole_wait_us + 1;  // past the reordering bound: a connection again
  h.send(true, 107, "new", net::kTcpAck, 502);
  CHECK(h.factory.opened == 2);
}

// The client said "abc" and closed; the server said "reply" and still writes. The client's socket
// is gone, so it answers the server's last bytes with a reset that carries no ACK, its sequence
// number the ACK of the segment it answers (RFC 9293 3.10.7.1).
void server_writes_after_client_closed(Harness& h) {
  handshake(h);
  h.send(false, 501, "reply", net::kTcpAck, 104);
  h.send(true, 104, "", net::kTcpAck | net::kTcpFin, 506);
  h.at_us = 1000;
}

TEST_CASE("a reset without ACK recorded before the segment it answers ends after that segment") {
  Harness h;
  server_writes_after_client_closed(h);
  h.send(true, 105, "", net::kTcpRst);  // answers "last", which the capture records next
  CHECK(h.factory.last->closes == 0);
  h.at_us = 1010;
  h.send(false, 506, "last", net::kTcpAck, 105);
  CHECK(h.factory.last->stream[1] == "replylast");
  CHECK(h.factory.last->closes == 1);
  CHECK(h.factory.last->close_reason == tcp::CloseReason::kReset);
  CHECK(h.factory.last->closed_at_us == 1000);
  CHECK(h.factory.opened == 1);
  CHECK(h.table->counters().late_after_reset == 0);
}

TEST_CASE("a reset without ACK whose segment came first, or never comes, ends as a reset") {
  SUBCASE("the answered segment recorded first: at once") {
    Harness h;
    server_writes_after_client_closed(h);
    h.send(false, 506, "last", net::kTcpAck, 105);
    h.send(true, 105, "", net::kTcpRst);
    CHECK(h.factory.last->closes == 1);
    CHECK(h.factory.last->close_reason == tcp::CloseReason::kReset);
  }
  SUBCASE("never recorded: after the reordering bound, at the reset's time") {
    Harness h;
    server_writes_after_client_closed(h);
    h.send(true, 105, "", net::kTcpRst);
    h.table->advance(1000 + h.limits.acked_hole_wait_us - 1);
    CHECK(h.factory.last->closes == 0);
    h.table->advance(1000 + h.limits.acked_hole_wait_us + 50'000);
    CHECK(h.factory.last->closes == 1);
    CHECK(h.factory.last->close_reason == tcp::CloseReason::kReset);
    CHECK(h.factory.last->closed_at_us == 1000);
    CHECK(h.factory.last->stream[1] == "reply");
  }
  SUBCASE("the capture ends first: still a reset") {
    Harness h;
    server_writes_after_client_closed(h);
    h.send(true, 105, "", net::kTcpRst);
    h.table->close_all(2000);
    CHECK(h.factory.last->close_reason == tcp::CloseReason::kReset);
    CHECK(h.factory.last->closed_at_us == 1000);
  }
  SUBCASE("a sequence number no segment of the peer could acknowledge: at once") {
    Harness h;
    server_writes_after_client_closed(h);
    h.send(true, 9000, "", net::kTcpRst);
    CHECK(h.factory.last->closes == 1);
  }
}

TEST_CASE("data beyond a hole nobody acknowledged waits longer, for a retransmission") {
  Harness h;
  handshake(h);
  h.send(true, 107, "ghi", net::kTcpAck, 501);
  h.at_us = h.limits.acked_hole_wait_us * 2;
  h.table->advance(h.at_us);
  CHECK(h.factory.last->stream[0] == "abc");  // still waiting: "def" may be retransmitted
  h.at_us = h.limits.unacked_hole_wait_us + 100'000;
  h.table->advance(h.at_us);
  CHECK(h.factory.last->stream[0] == "abc#ghi");
  CHECK(h.factory.last->gaps[0] == 3);
}

TEST_CASE("capture time that steps backwards between directions does not age holes") {
  Harness h;
  handshake(h);
  h.at_us = 1'000'000;
  h.send(false, 501, "", net::kTcpAck, 107);  // recorded on one CPU, a second ahead...
  h.at_us = 100;                              // ...the data on another
  h.send(true, 104, "def", net::kTcpAck, 501);
  CHECK(h.factory.last->stream[0] == "abcdef");
  CHECK(h.factory.last->gaps[0] == 0);
}

TEST_CASE("the capture ending declares what still waits, in causal order") {
  Harness h;
  handshake(h);
  h.send(false, 501, "reply", net::kTcpAck, 108);  // its request never captured
  h.table->close_all(h.at_us);
  CHECK(h.factory.last->order == "C:abc C:# S:reply ");
  CHECK(h.factory.last->closes == 1);
}

TEST_CASE(
    "a connection picked up mid-stream starts where the reordering bound settles; FINs close it") {
  Harness h;
  h.send(true, 5000, "mid", net::kTcpAck | net::kTcpFin);
  h.send(false, 9000, "reply", net::kTcpAck | net::kTcpFin, 5004);
  CHECK(h.factory.last->order.empty());  // earlier bytes may still come, late in the capture
  h.at_us += h.limits.acked_hole_wait_us;
  h.table->advance(h.at_us);
  CHECK(h.factory.last->order == "C:mid S:reply ");
  CHECK(h.factory.last->closes == 1);
  CHECK(h.table->size() == 0);
}

TEST_CASE("mid-stream, a segment the capture recorded after a later one still starts the stream") {
  Harness h;
  h.send(true, 5235, "ack", net::kTcpAck, 9005);      // recorded first, sent after the reply
  h.send(false, 9000, "reply", net::kTcpAck, 5235);   // answers the request
  h.send(true, 5228, "request", net::kTcpAck, 9000);  // sent first, recorded last
  h.table->close_all(h.at_us);
  CHECK(h.factory.last->order == "C:request S:reply C:ack ");
  CHECK(h.factory.last->gaps[0] == 0);
}

TEST_CASE("a new SYN on a reused 4-tuple starts a new connection; a retransmitted SYN does not") {
  Harness h;
  h.send(true, 100, "", net::kTcpSyn);
  h.send(true, 100, "", net::kTcpSyn);
  CHECK(h.factory.opened == 1);
  h.send(true, 101, "one");
  h.send(true, 7000, "", net::kTcpSyn);
  CHECK(h.factory.opened == 2);
  h.send(true, 7001, "two");
  CHECK(h.factory.last->stream[0] == "two");
}

TEST_CASE("caps: out-of-order bytes, connections, idle time") {
  Harness h;
  h.limits.max_out_of_order_per_direction = 4;
  h.limits.max_connections = 2;
  h.limits.idle_timeout_us = 1000;
  h.table = std::make_unique<tcp::ConnectionTable>(h.factory, h.limits);
  h.send(true, 100, "", net::kTcpSyn);
  h.send(true, 110, "abc");
  h.send(true, 113, "def");  // over the cap: the hole before 110 is given up
  CHECK(h.factory.last->stream[0] == "#abcdef");
  CHECK(h.factory.last->gaps[0] == 9);
  tcp::ConnectionTable& table = *h.table;
  net::TcpSegment other;
  for (int port : {1, 2, 3}) {
    other.source.port = static_cast<std::uint16_t>(port);
    other.destination.port = 2181;
    other.flags = net::kTcpSyn;
    table.segment(other, Direction::kToServer);
  }
  CHECK(table.size() == 2);
  CHECK(table.counters().connections_evicted == 2);
  table.expire_idle(5000);
  CHECK(table.size() == 0);
}

TEST_CASE("a reset ahead of every byte seen (tcpkill's guess) closes without a gap") {
  Harness h;
  handshake(h);
  h.send(true, 101, "req", net::kTcpAck, 501);
  h.send(true, 1101, "", net::kTcpRst);  // 1000 bytes beyond the stream, nothing acknowledged them
  h.at_us += h.limits.unacked_hole_wait_us + 1;
  h.table->advance(h.at_us);
  CHECK(h.factory.last->closes == 1);
  CHECK(h.factory.last->gaps[0] == 0);
  CHECK(h.table->counters().gaps == 0);
}

namespace {

// A handler that stops wanting bytes after its first delivery, as detection does with other TCP.
struct Uninterested : tcp::StreamHandler {
  int deliveries = 0;
  void on_data(Direction, tcp::ByteSpan, std::int64_t) override { ++deliveries; }
  void on_gap(Direction, std::uint64_t, std::int64_t) override {}
  void on_close(tcp::CloseReason, std::int64_t) override {}
  bool wants_bytes() const override { return deliveries == 0; }
};

struct UninterestedFactory : tcp::StreamHandlerFactory, tcp::OrientationGuess {
  std::unique_ptr<tcp::StreamHandler> open(const net::Endpoint&, const net::Endpoint&, bool,
                                           std::int64_t) override {
    return std::make_unique<Uninterested>();
  }
  Direction direction_of(const net::TcpSegment& segment) const override {
    return segment.destination.port < segment.source.port ? Direction::kToServer
                                                          : Direction::kToClient;
  }
};

net::TcpSegment segment_between(std::uint16_t from, std::uint16_t to, std::uint32_t seq,
                                const std::string& data, std::uint8_t flags = net::kTcpAck) {
  net::TcpSegment segment;
  segment.source.port = from;
  segment.destination.port = to;
  segment.seq = seq;
  segment.flags = flags;
  segment.payload = {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
  return segment;
}

}  // namespace

TEST_CASE("a connection found in either orientation; one nobody wants is followed, not kept") {
  UninterestedFactory factory;
  tcp::ReassemblyLimits limits;
  tcp::ConnectionTable table(factory, limits);
  const std::string data = "GET / HTTP/1.1\r\n\r\n";
  table.segment_either_way(segment_between(50000, 8080, 0, "", net::kTcpSyn), factory);
  table.segment_either_way(segment_between(8080, 50000, 0, "", net::kTcpSyn | net::kTcpAck),
                           factory);
  table.segment_either_way(segment_between(50000, 8080, 1, data), factory);
  table.segment_either_way(segment_between(8080, 50000, 1, data), factory);  // found reversed
  table.segment_either_way(
      segment_between(50000, 8080, 1 + static_cast<std::uint32_t>(data.size()), data), factory);
  CHECK(table.size() == 1);
  const tcp::ReassemblyCounters& counters = table.counters();
  CHECK(counters.ignored_connections == 1);
  CHECK(counters.connections_opened == 0);
  CHECK(counters.segments == 0);
  CHECK(counters.ignored_segments == 5);  // the handshake's too
  CHECK(counters.ignored_bytes == 3 * data.size());
  CHECK(counters.payload_bytes[0] + counters.payload_bytes[1] == 0);
  table.segment_either_way(segment_between(8080, 50000, 1, "", net::kTcpRst), factory);
  CHECK(table.size() == 0);
}
