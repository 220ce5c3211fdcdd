#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "zkdump/http2/recognize.hpp"
#include "zkdump/session/detection.hpp"
#include "zkdump/tls/recognize.hpp"
#include "zkdump/zk/recognize.hpp"

using namespace zkdump;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}
void put64(Bytes& out, std::uint64_t value) {
  put32(out, static_cast<std::uint32_t>(value >> 32));
  put32(out, static_cast<std::uint32_t>(value));
}
Bytes text(std::string_view value) {
  return {value.begin(), value.end()};
}
Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes connect_request() {
  Bytes body;
  put32(body, 0);      // protocol version
  put64(body, 0);      // last zxid seen
  put32(body, 10000);  // timeout
  put64(body, 0);      // session
  put32(body, 16);     // password
  body.resize(body.size() + 16);
  body.push_back(0);  // read-only
  Bytes frame;
  put32(frame, static_cast<std::uint32_t>(body.size()));
  return frame + body;
}

Bytes get_data_request(std::int32_t xid) {
  Bytes frame;
  put32(frame, 4 + 4 + 4 + 2 + 1);
  put32(frame, static_cast<std::uint32_t>(xid));
  put32(frame, 4);  // getData
  put32(frame, 2);
  frame.push_back('/');
  frame.push_back('a');
  frame.push_back(0);
  return frame;
}

Bytes quorum_packet(std::int32_t type, std::int64_t zxid) {
  Bytes packet;
  put32(packet, static_cast<std::uint32_t>(type));
  put64(packet, static_cast<std::uint64_t>(zxid));
  put32(packet, 0xffffffff);  // no data
  put32(packet, 0xffffffff);  // no auth
  return packet;
}

// First bytes as detection holds them: each side one chunk starting at 0.
struct First {
  Bytes sides[2];
  FirstBytes view(bool from_start = true) const {
    FirstBytes first;
    first.from_start = from_start;
    for (int side = 0; side < 2; ++side) {
      first.bytes[side] = sides[side];
      if (!sides[side].empty()) first.start_count[side] = 1;
    }
    return first;
  }
};

}  // namespace

TEST_CASE("ZooKeeper clients: a ConnectRequest, a four-letter word, request frames mid-stream") {
  First first;
  first.sides[0] = connect_request();
  Recognition found = zk::recognize_client(first.view());
  CHECK(found.evidence == Evidence::kStrong);
  CHECK(found.what == "connect_request");
  CHECK_FALSE(found.reversed);
  std::swap(first.sides[0], first.sides[1]);  // the guess had the client backwards
  CHECK(zk::recognize_client(first.view()).reversed);

  CHECK(zk::recognize_client(First{{text("stat"), {}}}.view()).evidence == Evidence::kStrong);
  // memcached's "stats" is not a four-letter word
  CHECK(zk::recognize_client(First{{text("stats\r\n"), text("STAT pid 1\r\n")}}.view()).evidence ==
        Evidence::kRuledOut);

  const Bytes one = get_data_request(7);
  CHECK(zk::recognize_client(First{{one, {}}}.view(false)).evidence == Evidence::kWeak);
  const Bytes three = get_data_request(7) + get_data_request(8) + get_data_request(9);
  CHECK(zk::recognize_client(First{{three, {}}}.view(false)).evidence == Evidence::kStrong);
  const Bytes falling = get_data_request(9) + get_data_request(8) + get_data_request(7);
  CHECK(zk::recognize_client(First{{falling, {}}}.view(false)).evidence != Evidence::kStrong);
  const Bytes http = text("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
  // One direction alone rules nothing out (the other may hold replies); both do.
  CHECK(zk::recognize_client(First{{http, {}}}.view()).evidence == Evidence::kTooFewBytes);
  CHECK(zk::recognize_client(First{{http, text("HTTP/1.1 200 OK\r\n\r\n")}}.view()).evidence ==
        Evidence::kRuledOut);
}

TEST_CASE("quorum: an election header, a learner's FOLLOWERINFO, a leader's packets mid-stream") {
  Bytes header;
  put64(header, static_cast<std::uint64_t>(zk::quorum::kElectionProtocolV1));
  put64(header, 3);
  const Bytes address = text("10.0.0.3:3888");
  put32(header, static_cast<std::uint32_t>(address.size()));
  header = header + address;
  CHECK(zk::quorum::recognize_election(First{{header, {}}}.view()).evidence == Evidence::kStrong);
  CHECK(zk::quorum::recognize_zab(First{{header, header}}.view()).evidence == Evidence::kRuledOut);

  // Joined mid-way: notifications alone, length-prefixed, in any of their sizes.
  Bytes notifications;
  for (int i = 0; i < 3; ++i) {
    put32(notifications, 40);
    put32(notifications, 0);  // LOOKING
    put64(notifications, 3);  // leader
    put64(notifications, 0x100000002);
    put64(notifications, 2);  // election epoch
    put64(notifications, 1);  // peer epoch
    put32(notifications, 2);  // version
  }
  CHECK(zk::quorum::recognize_election(First{{notifications, {}}}.view(false)).evidence ==
        Evidence::kStrong);

  const Recognition learner =
      zk::quorum::recognize_zab(First{{quorum_packet(zk::quorum::kFollowerInfo, 0), {}}}.view());
  CHECK(learner.evidence == Evidence::kStrong);
  CHECK(learner.what == "FOLLOWERINFO");
  // Mid-stream, PROPOSALs and COMMITs come from the leader: the guessed client is the server.
  const Bytes leader = quorum_packet(zk::quorum::kProposal, 0x100000001) +
                       quorum_packet(zk::quorum::kCommit, 0x100000001) +
                       quorum_packet(zk::quorum::kPing, 0x100000001);
  const Recognition reversed = zk::quorum::recognize_zab(First{{leader, {}}}.view(false));
  CHECK(reversed.evidence == Evidence::kStrong);
  CHECK(reversed.reversed);
}

TEST_CASE("gRPC and etcd: the preface, the gateway, plausible frames; TLS never names a family") {
  const Bytes preface = text("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  CHECK(http2::recognize_grpc(First{{preface, {}}}.view()).evidence == Evidence::kStrong);
  CHECK(http2::recognize_grpc(First{{Bytes(preface.begin(), preface.begin() + 10), {}}}.view())
            .evidence == Evidence::kTooFewBytes);
  const Bytes gateway = text("POST /v3/kv/range HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(http2::recognize_grpc(First{{gateway, {}}}.view()).evidence == Evidence::kStrong);
  const Bytes page = text("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(http2::recognize_grpc(First{{page, {}}}.view()).evidence == Evidence::kWeak);
  CHECK(http2::recognize_grpc(First{{text("*1\r\n$4\r\nPING\r\n"), text("+PONG\r\n")}}.view())
            .evidence == Evidence::kRuledOut);

  Bytes hello = {0x16, 0x03, 0x01, 0x00, 0x40, 0x01};
  hello.resize(0x45);
  CHECK(tls::recognize_handshake(First{{hello, {}}}.view()).evidence == Evidence::kWeak);
  CHECK(zk::recognize_client(First{{hello, {}}}.view()).evidence < Evidence::kWeak);
}

namespace {

struct Counting : tcp::StreamHandler {
  std::vector<std::string>& log;
  explicit Counting(std::vector<std::string>& into) : log(into) {}
  void on_data(Direction side, tcp::ByteSpan bytes, std::int64_t) override {
    // Appended, not concatenated: g++ 12 at -O3 warns (-Wrestrict) on "C" + std::string.
    std::string entry(1, side == Direction::kToServer ? 'C' : 'S');
    entry.append(std::to_string(bytes.size()));
    log.push_back(std::move(entry));
  }
  void on_gap(Direction, std::uint64_t, std::int64_t) override {}
  void on_close(tcp::CloseReason, std::int64_t) override { log.push_back("close"); }
};

struct Opener : session::FamilyOpener {
  std::vector<std::string> log;
  std::vector<session::Protocol> opened;
  std::vector<std::uint16_t> server_ports;
  std::unique_ptr<tcp::StreamHandler> open(session::Protocol protocol, const net::Endpoint&,
                                           const net::Endpoint& server, bool, std::int64_t,
                                           bool) override {
    opened.push_back(protocol);
    server_ports.push_back(server.port);
    return std::make_unique<Counting>(log);
  }
};

struct Announced : session::Sink {
  std::vector<session::ServerDiscovered> servers;
  void server_discovered(const session::ServerDiscovered& server) override {
    servers.push_back(server);
  }
};

net::Endpoint at(std::uint16_t port) {
  net::Endpoint endpoint;
  endpoint.address.family = 4;
  endpoint.address.bytes[0] = 127;
  endpoint.address.bytes[3] = 1;
  endpoint.port = port;
  return endpoint;
}

}  // namespace

TEST_CASE("detection binds by the bytes, replays them in order, and says each server once") {
  Opener opener;
  session::PortMap ports;
  session::Sinks sinks;
  Announced announced;
  sinks.add(announced);
  tls::KeyLog keys;
  session::TlsSessions tls(keys, sinks, false);
  session::Detection detection(opener, ports, sinks, tls, {});

  // Guessed backwards (the server's port is the higher): the ConnectRequest says otherwise.
  auto handler = detection.open(at(40000), at(45000), true, 1);
  const Bytes request = connect_request();
  handler->on_data(Direction::kToClient, request, 2);
  REQUIRE(opener.opened.size() == 1);
  CHECK(opener.opened[0] == session::Protocol::kZooKeeper);
  CHECK(opener.server_ports[0] == 40000);
  CHECK(opener.log.size() == 1);
  CHECK(opener.log.front() == std::string("C").append(std::to_string(request.size())));
  REQUIRE(announced.servers.size() == 1);
  CHECK(announced.servers[0].server.port == 40000);
  CHECK(announced.servers[0].evidence == "connect_request");

  // The server is known now: its next connection is bound by its first bytes (unless they are
  // TLS), and not announced again.
  auto again = detection.open(at(50001), at(40000), true, 3);
  again->on_data(Direction::kToServer, request, 3);
  CHECK(opener.opened.size() == 2);
  CHECK(announced.servers.size() == 1);

  // Unrelated bytes on a port with no hint: other TCP, no longer wanted.
  auto web = detection.open(at(50002), at(8080), true, 4);
  web->on_data(Direction::kToServer, text("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 5);
  web->on_data(Direction::kToClient, text("HTTP/1.1 200 OK\r\n\r\n"), 6);
  CHECK_FALSE(web->wants_bytes());
  CHECK(opener.opened.size() == 2);
  CHECK(detection.counters().other == 1);

  // The same bytes on etcd's well-known port are decoded as etcd's gateway would be.
  auto gateway = detection.open(at(50003), at(2379), true, 7);
  gateway->on_data(Direction::kToServer, text("GET /health HTTP/1.1\r\n\r\n"), 8);
  REQUIRE(opener.opened.size() == 3);
  CHECK(opener.opened[2] == session::Protocol::kEtcd);
}
