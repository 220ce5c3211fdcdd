#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>

#include "bytes.hpp"
#include "captured_output.hpp"
#include "zkdump/output/fields.hpp"
#include "zkdump/output/line_writer.hpp"
#include "zkdump/session/quorum.hpp"
#include "zkdump/stats/quorum_summary.hpp"
#include "zkdump/stats/zab_stats.hpp"
#include "zkdump/zk/quorum.hpp"

using namespace zkdump;
using test::Bytes;
namespace quorum = zk::quorum;

namespace {

tcp::ByteSpan span(const Bytes& bytes) {
  return tcp::ByteSpan(bytes.data.data(), bytes.data.size());
}

// Every proper prefix of `bytes` is incomplete, the whole is complete with its exact size.
template <typename ParseFn>
void check_prefixes(const Bytes& bytes, ParseFn parse) {
  for (std::size_t cut = 0; cut < bytes.data.size(); ++cut) {
    CAPTURE(cut);
    CHECK(parse(tcp::ByteSpan(bytes.data.data(), cut)).outcome == quorum::Parse::kIncomplete);
  }
  const quorum::Parse whole = parse(span(bytes));
  CHECK(whole.outcome == quorum::Parse::kComplete);
  CHECK(whole.size == bytes.data.size());
}

// The main fields a description writes, as text without -v.
std::string text_of(const std::function<void(FieldSink&)>& describe) {
  fmt::memory_buffer out, trailer;
  const output::FieldOptions options{.show_data = true};  // every field the describer writes
  output::TextFields fields(out, trailer, options);
  describe(fields);
  return fmt::to_string(out);
}

// A packet's data as a line shows it, after the zxid every line starts with.
std::string data_text(const quorum::QuorumPacket& packet, bool from_learner, bool& decoded) {
  const quorum::ZabPacket zab = quorum::decode_zab_packet(packet, from_learner);
  decoded = zab.data_decoded;
  std::string text = text_of([&](FieldSink& f) { quorum::describe(zab, -1, f); });
  const std::size_t comma = text.find(", ");
  return comma == std::string::npos ? std::string() : text.substr(comma + 2);
}

Bytes notification(std::int32_t state, std::size_t size) {
  Bytes b;
  b.i32(state).i64(3).i64(0x100000002).i64(1);
  if (size >= 36) b.i64(1);
  if (size >= 40) b.i32(2);
  if (size >= 44) b.str("server.1=127.0.0.1:2891:3891:participant;0.0.0.0:2191\nversion=0");
  return b;
}

Bytes acl() {
  return Bytes().i32(1).i32(31).str("world").str("anyone");
}

Bytes txn_header(std::int32_t type) {
  return Bytes().i64(0x1000).i32(7).i64(0x100000005).i64(1700000000000).i32(type);
}

Bytes quorum_packet(std::int32_t type, std::int64_t zxid, const Bytes& data) {
  Bytes b;
  b.i32(type).i64(zxid);
  if (data.data.empty()) {
    b.i32(-1);
  } else {
    b.str(std::string(data.data.begin(), data.data.end()));
  }
  return b.i32(0);
}

// What a PROPOSAL carrying `txn` prints, and the facts it gives.
std::string proposal_text(const Bytes& txn, quorum::TxnFacts& facts, bool& decoded) {
  const Bytes packet_bytes = quorum_packet(quorum::kProposal, 0x100000005, txn);
  quorum::QuorumPacket packet;
  REQUIRE(quorum::parse_quorum_packet(span(packet_bytes), 1 << 20, packet).outcome ==
          quorum::Parse::kComplete);
  facts = quorum::decode_zab_packet(packet, false).txn;
  return data_text(packet, false, decoded);
}

std::string proposal_text(const Bytes& txn) {
  quorum::TxnFacts facts;
  bool decoded = false;
  std::string text = proposal_text(txn, facts, decoded);
  CHECK(decoded);
  return text;
}

}  // namespace

TEST_CASE("election header: a bare sid, protocol -65536 and -65535, each cut anywhere") {
  quorum::ElectionHeader header;
  const auto parse = [&header](tcp::ByteSpan bytes) {
    return quorum::parse_election_header(bytes, header);
  };
  check_prefixes(Bytes().i64(3), parse);
  CHECK(header.protocol_version == 0);
  CHECK(header.sid == 3);

  const Bytes v1 = Bytes().i64(-65536).i64(2).str("127.0.0.1:3892");  // addresses view into it
  check_prefixes(v1, parse);
  CHECK(header.protocol_version == quorum::kElectionProtocolV1);
  CHECK(header.sid == 2);
  CHECK(header.addresses.view() == "127.0.0.1:3892");

  const Bytes v2 = Bytes().i64(-65535).i64(1).str("10.0.0.1:3888|[::1]:3888");
  check_prefixes(v2, parse);
  CHECK(text_of([&](FieldSink& f) { quorum::describe(header, f); }) ==
        "protocol=-65535, sid=1, addresses=10.0.0.1:3888|[::1]:3888");

  // Another negative version, or addresses no header has, are not a header.
  CHECK(parse(span(Bytes().i64(-7).i64(1).str("x"))).outcome == quorum::Parse::kInvalid);
  CHECK(parse(span(Bytes().i64(-65536).i64(1).i32(1 << 30))).outcome == quorum::Parse::kInvalid);
  CHECK(parse(span(Bytes().i64(-65536).i64(1).i32(-5))).outcome == quorum::Parse::kInvalid);
}

TEST_CASE("election messages: a length from 28 bytes to the 512 KB QuorumCnxManager allows") {
  tcp::ByteSpan payload;
  const auto parse = [&payload](tcp::ByteSpan bytes) {
    return quorum::parse_election_message(bytes, payload);
  };
  check_prefixes(notification(0, 28).framed(), parse);
  CHECK(payload.size() == 28);
  CHECK(parse(span(Bytes().i32(27).raw(std::string(27, 'x')))).outcome == quorum::Parse::kInvalid);
  CHECK(parse(span(Bytes().i32(512 * 1024 + 1))).outcome == quorum::Parse::kInvalid);
  CHECK(parse(span(Bytes().i32(-1))).outcome == quorum::Parse::kInvalid);
}

TEST_CASE("notifications in each historical size: 28, 36, 40 and 44 bytes plus the config") {
  for (const std::size_t size : {28, 36, 40, 44}) {
    CAPTURE(size);
    const Bytes bytes = notification(1, size);
    quorum::Notification n;
    REQUIRE(quorum::decode_notification(span(bytes), n));
    CHECK(n.state == 1);
    CHECK(n.leader == 3);
    CHECK(n.zxid == 0x100000002);
    CHECK(n.election_epoch == 1);
    CHECK(n.peer_epoch == (size >= 36 ? 1 : -1));
    CHECK(n.version == (size >= 40 ? 2 : 0));
    CHECK((n.config.size > 0) == (size >= 44));
  }
  quorum::Notification n;
  REQUIRE(quorum::decode_notification(span(notification(2, 40)), n));
  CHECK(text_of([&](FieldSink& f) {
          quorum::describe(n, {4, 5}, f);
        }) ==
        "from_sid=4, to_sid=5, state=LEADING, leader=3, zxid=0x100000002, zxid_epoch=1, "
        "zxid_counter=2, election_epoch=1, peer_epoch=1, version=2");
  // An unknown state, a stray byte, or a config longer than the message are not notifications.
  CHECK_FALSE(quorum::decode_notification(span(notification(9, 40)), n));
  CHECK_FALSE(quorum::decode_notification(span(notification(0, 36).raw("x")), n));
  CHECK_FALSE(quorum::decode_notification(span(notification(0, 40).i32(100)), n));
}

TEST_CASE("zxids print in hex, epoch and counter split out with -v; JSON has numbers") {
  fmt::memory_buffer main, extras, json;
  const output::FieldOptions verbose{true, false, true};
  output::TextFields text(main, extras, verbose);
  quorum::describe_zxid(text, 0x300000007);
  CHECK(fmt::to_string(main) == "zxid=0x300000007");
  CHECK(fmt::to_string(extras) == ", zxid_epoch=3, zxid_counter=7");
  JsonWriter json_writer(json);
  output::JsonFields json_fields(json_writer, verbose);
  quorum::describe_zxid(json_fields, -1);
  CHECK(fmt::to_string(json) ==
        "\"zxid\":-1,\"zxid_epoch\":4294967295,\"zxid_counter\":4294967295");
}

TEST_CASE("the ports of every server a config names, IPv6 and roles included") {
  const auto servers = quorum::config_servers(
      "server.1=127.0.0.1:2891:3891:participant;0.0.0.0:2191\n"
      "server.2=[::1]:2892:3892;[::1]:2192\n"
      "server.3=zk3:2893:3893\n"
      "server.x=bad:1:2\nserver.4=nohostports\nversion=100000000\n");
  REQUIRE(servers.size() == 3);
  CHECK(servers[0].sid == 1);
  CHECK(servers[0].quorum_port == 2891);
  CHECK(servers[0].election_port == 3891);
  CHECK(servers[0].client_port == 2191);
  CHECK(servers[1].sid == 2);
  CHECK(servers[1].quorum_port == 2892);
  CHECK(servers[1].election_port == 3892);
  CHECK(servers[1].client_port == 2192);
  CHECK(servers[2].election_port == 3893);
  CHECK(servers[2].client_port == 0);
}

TEST_CASE("quorum packets: every type by name, cut anywhere, hostile lengths refused") {
  for (std::int32_t type = 1; type <= 19; ++type) {
    CAPTURE(type);
    CHECK_FALSE(quorum::packet_type_name(type).empty());
    CHECK_FALSE(quorum::packet_line_name(type).empty());
  }
  CHECK(quorum::packet_type_name(0).empty());
  CHECK(quorum::packet_type_name(20).empty());

  quorum::QuorumPacket packet;
  const auto parse = [&packet](tcp::ByteSpan bytes) {
    return quorum::parse_quorum_packet(bytes, 1024, packet);
  };
  // A learner's REQUEST with two auth ids.
  Bytes request;
  request.i32(quorum::kRequest).i64(-1).str("abcdefghijklmnop").i32(2);
  request.str("ip").str("127.0.0.1").str("digest").str("bob:hash");
  check_prefixes(request, parse);
  CHECK(packet.auth_count == 2);
  CHECK(packet.data.size == 16);
  check_prefixes(quorum_packet(quorum::kUpToDate, -1, Bytes()), parse);
  CHECK(packet.data.data == nullptr);

  CHECK(parse(span(quorum_packet(20, 1, Bytes()))).outcome == quorum::Parse::kInvalid);
  CHECK(parse(span(Bytes().i32(quorum::kProposal).i64(1).i32(1025))).outcome ==
        quorum::Parse::kInvalid);
  CHECK(parse(span(Bytes().i32(quorum::kAck).i64(1).i32(-2))).outcome == quorum::Parse::kInvalid);
  CHECK(parse(span(Bytes().i32(quorum::kAck).i64(1).i32(-1).i32(65))).outcome ==
        quorum::Parse::kInvalid);
  // An auth id claiming 2 GB is refused at once, not waited for.
  CHECK(parse(span(Bytes().i32(quorum::kAck).i64(1).i32(-1).i32(1).i32(0x7fffffff))).outcome ==
        quorum::Parse::kInvalid);
}

TEST_CASE("proposals decode their TxnHeader and every txn record") {
  const Bytes create = Bytes().str("/a").str("v").append(acl()).boolean(true).i32(4);
  quorum::TxnFacts facts;
  bool decoded = false;
  CHECK(proposal_text(txn_header(1).append(create), facts, decoded) ==
        "txn=create, session=0x1000, cxid=7, path=/a, data_size=1, data='v', "
        "acl=[ACL(perms=rwcda, scheme=world, id=anyone)], ephemeral=True, parent_cversion=4");
  CHECK(decoded);
  CHECK(facts.session == 0x1000);
  CHECK(facts.cxid == 7);
  CHECK(facts.type == 1);
  CHECK(facts.path.size == 2);  // it viewed the packet, gone now; the text shows it

  const Bytes container = Bytes().str("/c").str("").append(acl()).i32(1);
  CHECK(proposal_text(txn_header(19).append(container)).find("txn=createContainer") == 0);
  CHECK(proposal_text(txn_header(21).append(container).i64(5000)).find("ttl=5000") !=
        std::string::npos);
  CHECK(proposal_text(txn_header(2).append(Bytes().str("/d"))).find("txn=delete") == 0);
  CHECK(proposal_text(txn_header(20).append(Bytes().str("/d"))).find("txn=deleteContainer") == 0);
  CHECK(proposal_text(txn_header(5).append(Bytes().str("/s").str("xy").i32(3)))
            .find("path=/s, data_size=2, data='xy', version=3") != std::string::npos);
  CHECK(proposal_text(txn_header(7).append(Bytes().str("/s").append(acl()).i32(2)))
            .find("txn=setACL") == 0);
  CHECK(proposal_text(txn_header(13).append(Bytes().str("/k").i32(9)))
            .find("txn=check, session=0x1000, cxid=7, path=/k, version=9") == 0);
  CHECK(proposal_text(txn_header(-10).append(Bytes().i32(30000))).find("timeout=30000") !=
        std::string::npos);
  CHECK(proposal_text(txn_header(-11)).find("txn=closeSession") == 0);
  CHECK(proposal_text(txn_header(-11).append(Bytes().i32(1).str("/eph")))
            .find("paths_to_delete=['/eph']") != std::string::npos);
  CHECK(proposal_text(txn_header(-1).append(Bytes().i32(-101))).find("err=-101, err_name=NoNode") !=
        std::string::npos);
  // 3.6+ appends the tree's digest; it decodes as part of the proposal.
  CHECK(proposal_text(txn_header(2).append(Bytes().str("/d")).i32(2).i64(77)).find("txn=delete") ==
        0);
  // A type no table row knows keeps its number and size.
  CHECK(proposal_text(txn_header(99).raw("abc")).find("txn=unknown") == 0);
}

TEST_CASE("a multi proposal decodes each inner txn, and nests no deeper") {
  const auto inner = [](std::int32_t type, const Bytes& record) {
    return Bytes().i32(type).str(std::string(record.data.begin(), record.data.end()));
  };
  Bytes multi;
  multi.i32(4)
      .append(inner(13, Bytes().str("/q").i32(6)))
      .append(inner(1, Bytes().str("/q/m").str("m").append(acl()).boolean(false).i32(3)))
      .append(inner(2, Bytes().str("/q/m")))
      .append(inner(14, Bytes().i32(1).append(inner(2, Bytes().str("/deep")))));
  const std::string text = proposal_text(txn_header(14).append(multi));
  CHECK(text.find("txns=[check(path=/q, version=6), create(path=/q/m, ") != std::string::npos);
  CHECK(text.find("delete(path=/q/m), multi(type=14, size=") != std::string::npos);
  CHECK(text.find("/deep") == std::string::npos);

  // An inner record that does not fill its own bytes fails the proposal.
  quorum::TxnFacts facts;
  bool decoded = true;
  proposal_text(txn_header(14).append(Bytes().i32(1).append(inner(2, Bytes().str("/x").raw("?")))),
                facts, decoded);
  CHECK_FALSE(decoded);
}

TEST_CASE("sync and learner packets: FOLLOWERINFO names the sid, PING lists sessions") {
  const Bytes info = Bytes().i64(2).i32(0x10000).i64(0);
  quorum::QuorumPacket packet;
  const Bytes bytes = quorum_packet(quorum::kFollowerInfo, 0, info);
  REQUIRE(quorum::parse_quorum_packet(span(bytes), 1024, packet).outcome ==
          quorum::Parse::kComplete);
  CHECK(quorum::decode_zab_packet(packet, true).learner_sid == 2);
  bool decoded = false;
  CHECK(data_text(packet, true, decoded) == "sid=2, protocol=0x10000, config_version=0x0");
  CHECK(decoded);

  const Bytes ping_bytes =
      quorum_packet(quorum::kPing, 5, Bytes().i64(0x10).i32(4000).i64(0x11).i32(6000));
  REQUIRE(quorum::parse_quorum_packet(span(ping_bytes), 1024, packet).outcome ==
          quorum::Parse::kComplete);
  CHECK(quorum::decode_zab_packet(packet, true).learner_sid == -1);
  CHECK(data_text(packet, true, decoded) ==
        "sessions=[Session(id=0x10, timeout=4000), Session(id=0x11, timeout=6000)], "
        "session_count=2");

  const Bytes short_info = quorum_packet(quorum::kObserverInfo, 0, Bytes().i32(1));
  REQUIRE(quorum::parse_quorum_packet(span(short_info), 1024, packet).outcome ==
          quorum::Parse::kComplete);
  CHECK(quorum::decode_zab_packet(packet, true).learner_sid == -1);
}

namespace {

// Quorum connections fed the way the reassembler feeds them, printing into a temporary file,
// with the ZAB statistics and the summary as further sinks.
class QuorumRun {
 public:
  QuorumRun() : writer_(untimed(), output_.buffer()), summary_(TimestampStyle::kTime) {
    ports_.set(3888, session::PortRole::kElection);
    ports_.set(2888, session::PortRole::kZab);
    sinks_.add(writer_);
    sinks_.add(stats_);
    sinks_.add(summary_);
    sessions_ = std::make_unique<session::QuorumSessions>(sinks_, budget_, ports_, 0);
  }
  std::unique_ptr<tcp::StreamHandler> open(std::uint16_t server_port, std::uint16_t client_port) {
    net::Endpoint client, server;
    client.port = client_port;
    server.port = server_port;
    return sessions_->open(client, server, true, 0);
  }
  std::string output() { return output_.text(); }
  stats::ZabStats& stats() { return stats_; }
  std::string summary() {
    fmt::memory_buffer text;
    summary_.write_text(text);
    return fmt::to_string(text);
  }
  // The summary's "zab: ..." counters.
  std::string counters() {
    const std::string text = summary();
    return text.substr(text.find("zab: "));
  }

 private:
  static output::LineOptions untimed() {
    output::LineOptions options;
    options.timestamps = TimestampStyle::kNone;
    return options;
  }

  test::CapturedOutput output_;
  output::LineWriter writer_;
  stats::ZabStats stats_;
  stats::QuorumSummary summary_;
  session::Sinks sinks_;
  framing::Budget budget_;
  session::PortMap ports_;
  std::unique_ptr<session::QuorumSessions> sessions_;
};

void feed_in_pieces(tcp::StreamHandler& connection, Direction side, const Bytes& bytes,
                    std::size_t piece, std::int64_t ts_us) {
  for (std::size_t at = 0; at < bytes.data.size(); at += piece) {
    const std::size_t length = std::min(piece, bytes.data.size() - at);
    connection.on_data(side, tcp::ByteSpan(bytes.data.data() + at, length), ts_us);
  }
}

}  // namespace

TEST_CASE("the snapshot after SNAP is skipped to its signature, however the segments cut it") {
  const Bytes snapshot = Bytes().raw("ZKSN").i32(2).raw(std::string(3000, 'S')).str("BenWasHere");
  for (const std::size_t piece : {1, 3, 13, 1500, 100000}) {
    CAPTURE(piece);
    QuorumRun run;
    auto connection = run.open(2888, 40000);
    const Bytes learner = quorum_packet(quorum::kFollowerInfo, 0, Bytes().i64(1).i32(0x10000));
    feed_in_pieces(*connection, Direction::kToServer, learner, piece, 1);
    Bytes leader;
    leader.append(quorum_packet(quorum::kSnap, 0x100000000, Bytes()))
        .append(snapshot)
        .append(quorum_packet(quorum::kNewLeader, 0x100000000, Bytes()))
        .append(quorum_packet(quorum::kUpToDate, -1, Bytes()));
    feed_in_pieces(*connection, Direction::kToClient, leader, piece, 2);
    connection->on_close(tcp::CloseReason::kFin, 3);
    const std::string out = run.output();
    CHECK(out.find("Snap(zxid=0x100000000") != std::string::npos);
    CHECK(out.find("Snapshot(bytes=" + std::to_string(snapshot.data.size())) != std::string::npos);
    CHECK(out.find("NewLeader(zxid=0x100000000") != std::string::npos);
    CHECK(out.find("UpToDate(zxid=0xffffffffffffffff") != std::string::npos);
    CHECK(out.find("Undecodable") == std::string::npos);
    CHECK(run.counters().find(std::to_string(snapshot.data.size()) + " snapshot bytes") !=
          std::string::npos);
  }
}

TEST_CASE("ZAB pairing: COMMIT and a late ACK both find their PROPOSAL; sync replays stay out") {
  QuorumRun run;
  auto connection = run.open(2888, 40000);
  const Bytes txn = txn_header(2).append(Bytes().str("/d"));
  connection->on_data(Direction::kToServer,
                      span(quorum_packet(quorum::kFollowerInfo, 0, Bytes().i64(3))), 0);
  // Replayed in a DIFF, before NEWLEADER: paired, but no broadcast statistics.
  Bytes sync;
  sync.append(quorum_packet(quorum::kDiff, 0x100000001, Bytes()))
      .append(quorum_packet(quorum::kProposal, 0x100000001, txn))
      .append(quorum_packet(quorum::kCommit, 0x100000001, Bytes()))
      .append(quorum_packet(quorum::kNewLeader, 0x200000000, Bytes()));
  connection->on_data(Direction::kToClient, span(sync), 10);
  connection->on_data(Direction::kToClient,
                      span(quorum_packet(quorum::kProposal, 0x200000001, txn)), 1000);
  connection->on_data(Direction::kToClient,
                      span(quorum_packet(quorum::kCommit, 0x200000001, Bytes())), 3000);
  connection->on_data(Direction::kToServer, span(quorum_packet(quorum::kAck, 0x200000001, Bytes())),
                      4500);
  connection->on_data(Direction::kToClient,
                      span(quorum_packet(quorum::kProposal, 0x200000002, txn)), 5000);
  connection->on_close(tcp::CloseReason::kFin, 6000);
  const std::string out = run.output();
  CHECK(out.find("Commit(zxid=0x200000001, latency_us=2000") != std::string::npos);
  CHECK(out.find("Ack(zxid=0x200000001, latency_us=3500") != std::string::npos);
  CHECK(out.find("Uncommitted(zxid=0x200000002") != std::string::npos);
  CHECK(run.counters() ==
        "zab: 3 proposals (sent 3 times to learners), 2 commits, 1 acks, 1 uncommitted, 0 "
        "snapshot bytes\n");

  fmt::memory_buffer report;
  run.stats().write_text(report, {1000, 5000, true});
  const std::string text = fmt::to_string(report);
  CHECK(text.find("zab statistics for the whole run ") == 0);
  CHECK(text.find("(0.004 s): 2 proposals, 500.0 proposals/s") != std::string::npos);
  CHECK(text.find("server.3               ack            1     3500") != std::string::npos);
  CHECK(text.find("server.3               commit         1     2000") != std::string::npos);
}

TEST_CASE("ZAB pairing: a connection remembers its 65536 newest proposals, in bounded memory") {
  QuorumRun run;
  auto connection = run.open(2888, 40000);
  connection->on_data(Direction::kToClient,
                      span(quorum_packet(quorum::kNewLeader, 0x100000000, Bytes())), 0);
  constexpr std::int64_t kProposals = 70000;  // the ring wraps, then gives the oldest up
  for (std::int64_t counter = 1; counter <= kProposals; ++counter) {
    connection->on_data(Direction::kToClient,
                        span(quorum_packet(quorum::kProposal, 0x100000000 + counter, Bytes())),
                        counter);
    if (counter % 7 == 0) {  // some are done at once, out of order with the rest
      connection->on_data(Direction::kToServer,
                          span(quorum_packet(quorum::kAck, 0x100000000 + counter, Bytes())),
                          counter);
      connection->on_data(Direction::kToClient,
                          span(quorum_packet(quorum::kCommit, 0x100000000 + counter, Bytes())),
                          counter + 5);
    }
  }
  // The oldest was given up; the newest is still found, across the ring's wrap.
  connection->on_data(Direction::kToClient,
                      span(quorum_packet(quorum::kCommit, 0x100000001, Bytes())), 80000);
  connection->on_data(Direction::kToClient,
                      span(quorum_packet(quorum::kCommit, 0x100000000 + kProposals - 1, Bytes())),
                      80000);
  // A proposal older than the newest is junk: not remembered.
  connection->on_data(Direction::kToClient,
                      span(quorum_packet(quorum::kProposal, 0x100000005, Bytes())), 80001);
  connection->on_close(tcp::CloseReason::kFin, 90000);
  const std::string out = run.output();
  CHECK(out.find("Commit(zxid=0x100000001, from=") != std::string::npos);
  CHECK(out.find("Commit(zxid=0x10001116f, latency_us=10001, from=") != std::string::npos);
  // Of the 65536 newest, those not committed; the oldest given up are not reported.
  std::uint64_t waiting = 0;
  for (std::int64_t counter = kProposals - 65536 + 1; counter <= kProposals; ++counter)
    waiting += counter % 7 != 0 && counter != kProposals - 1;
  CHECK(run.counters().find(fmt::format("{} commits, {} acks, {} uncommitted", kProposals / 7 + 1,
                                        kProposals / 7, waiting)) != std::string::npos);
}

TEST_CASE("REVALIDATE: the leader's answer pairs with the learner's question by session") {
  QuorumRun run;
  auto connection = run.open(2888, 40000);
  connection->on_data(Direction::kToServer,
                      span(quorum_packet(quorum::kRevalidate, 0, Bytes().i64(0x77).i32(10000))),
                      100);
  connection->on_data(Direction::kToClient,
                      span(quorum_packet(quorum::kRevalidate, 0, Bytes().i64(0x66).boolean(false))),
                      200);
  connection->on_data(Direction::kToClient,
                      span(quorum_packet(quorum::kRevalidate, 0, Bytes().i64(0x77).boolean(true))),
                      450);
  connection->on_close(tcp::CloseReason::kFin, 500);
  const std::string out = run.output();
  CHECK(out.find("Revalidate(zxid=0x0, session=0x77, timeout=10000, from=") != std::string::npos);
  CHECK(out.find("Revalidate(zxid=0x0, session=0x66, valid=False, from=") != std::string::npos);
  CHECK(out.find("Revalidate(zxid=0x0, session=0x77, valid=True, latency_us=350, from=") !=
        std::string::npos);
}

TEST_CASE("ZAB statistics count each proposal once, however many learners get it") {
  QuorumRun run;
  const auto proposal = [](std::int64_t zxid) {
    return quorum_packet(quorum::kProposal, zxid, Bytes());
  };
  const auto newleader = quorum_packet(quorum::kNewLeader, 0x100000000, Bytes());
  auto first = run.open(2888, 40001);
  auto second = run.open(2888, 40002);
  for (auto* learner : {first.get(), second.get()}) {
    learner->on_data(Direction::kToClient, span(newleader), 0);
  }
  first->on_data(Direction::kToClient, span(proposal(0x100000001)), 0);
  second->on_data(Direction::kToClient, span(proposal(0x100000001)), 10);  // the same one
  first->on_data(Direction::kToClient, span(proposal(0x100000002)), 1'000'000);
  first->on_data(Direction::kToClient, span(quorum_packet(quorum::kCommit, 0x100000002, Bytes())),
                 1'000'100);
  first->on_data(Direction::kToServer, span(quorum_packet(quorum::kAck, 0x100000002, Bytes())),
                 1'000'050);
  fmt::memory_buffer json;
  run.stats().write_json(json, {0, 1'000'000, true});
  const std::string text = fmt::to_string(json);
  CHECK(text.find("{\"kind\":\"zab_stats\",\"scope\":\"run\",\"start\":0.000000,"
                  "\"end\":1.000000,\"duration_s\":1.000000,\"proposals\":2,"
                  "\"proposals_per_s\":2.000,") == 0);
  CHECK(text.find("\"commit_latency\":{\"count\":1,\"min_us\":100,") != std::string::npos);
  CHECK(text.find("\"ack_latency\":{\"count\":1,\"min_us\":50,") != std::string::npos);
  run.stats().start_interval();
  CHECK(run.stats().empty());
}

TEST_CASE("configs: observers do not vote, versions are hex, anything else is no version") {
  const auto servers = quorum::config_servers(
      "server.1=a:1:2:participant\nserver.2=b:1:2:observer;3\nserver.3=c:1:2\nversion=2000000a");
  REQUIRE(servers.size() == 3);
  CHECK_FALSE(servers[0].observer);
  CHECK(servers[1].observer);
  CHECK_FALSE(servers[2].observer);
  CHECK(quorum::config_version("server.1=a:1:2\nversion=2000000a") == 0x2000000a);
  CHECK(quorum::config_version("version=0") == 0);
  CHECK(quorum::config_version("server.1=a:1:2") == -1);
  CHECK(quorum::config_version("version=12zz") == -1);
  CHECK(quorum::config_version("version=ffffffffffffffffff") == -1);
}

namespace {

quorum::QuorumPacket leader_packet(std::int32_t type, std::int64_t zxid) {
  quorum::QuorumPacket packet;
  packet.type = type;
  packet.zxid = zxid;
  return packet;
}

}  // namespace

TEST_CASE("ensemble: the leader from its ZAB links, each new one told at its first commit") {
  session::Ensemble ensemble(0);
  const auto sid_at = [](std::string_view address) -> std::int64_t {
    return address == "10.0.0.3:2888" ? 3 : address == "10.0.0.2:2888" ? 2 : -1;
  };
  // Joined mid-reign: a PING names the leader and its epoch at once; its first COMMIT is told.
  CHECK_FALSE(ensemble.leader_sent("10.0.0.3:2888", sid_at,
                                   leader_packet(quorum::kPing, 0x100000007), true, 10));
  CHECK(ensemble.view().leader == 3);
  CHECK(ensemble.view().epoch == 1);
  auto first = ensemble.leader_sent("10.0.0.3:2888", sid_at,
                                    leader_packet(quorum::kCommit, 0x100000008), true, 20);
  REQUIRE(first);
  CHECK(first->leader == 3);
  CHECK(first->previous == -1);
  CHECK(first->unavailable_us == -1);
  CHECK_FALSE(ensemble.leader_sent("10.0.0.3:2888", sid_at,
                                   leader_packet(quorum::kCommit, 0x100000009), true, 30));
  // Killed; the next leader's LEADERINFO begins its reign, its first commit ends the outage.
  CHECK_FALSE(ensemble.leader_sent("10.0.0.2:2888", sid_at,
                                   leader_packet(quorum::kLeaderInfo, 0x200000000), false, 500));
  CHECK(ensemble.view().leader == 2);
  // The old leader's late packet, of an older epoch, changes nothing.
  CHECK_FALSE(ensemble.leader_sent("10.0.0.3:2888", sid_at,
                                   leader_packet(quorum::kCommit, 0x10000000a), true, 510));
  CHECK(ensemble.view().leader == 2);
  const auto second = ensemble.leader_sent(
      "10.0.0.2:2888", sid_at, leader_packet(quorum::kCommitAndActivate, 0x200000001), true, 830);
  REQUIRE(second);
  CHECK(second->epoch == 2);
  CHECK(second->previous == 3);
  CHECK(second->unavailable_us == 800);
  CHECK(ensemble.view().leaders == 2);
}

TEST_CASE("ensemble: voters from the newest config, a reconfig's once committed") {
  session::Ensemble ensemble(5);  // --ensemble-size, until a config says
  CHECK(ensemble.view().follower_acks_for_quorum() == 2);
  ensemble.learn_config("server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nversion=100000000");
  ensemble.learn_config("server.1=a:1:2\nserver.2=b:1:2\nversion=0");  // older: ignored
  CHECK(ensemble.view().voters == 3);
  CHECK(ensemble.view().follower_acks_for_quorum() == 1);  // no leader known: it is taken to vote
  CHECK_FALSE(ensemble.view().votes(4));
  ensemble.propose_config(0x100000005,
                          "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2\n"
                          "server.5=e:1:2:observer\nversion=100000005");
  CHECK(ensemble.view().voters == 3);
  CHECK(ensemble.view().joint(0x100000006));
  CHECK(ensemble.view().votes_in_proposed(4));
  CHECK_FALSE(ensemble.view().votes_in_proposed(5));
  ensemble.activate_config(0x100000005);
  CHECK(ensemble.view().voters == 4);
  CHECK(ensemble.view().votes(4));
  CHECK_FALSE(ensemble.view().joint(0x100000006));
}

namespace {

// Server-to-server messages handed straight to a summary, with the ensemble as they show it.
struct SummaryFeed {
  stats::QuorumSummary summary{TimestampStyle::kTime};
  session::EnsembleView view;
  session::Connection link = session::make_connection(session::Protocol::kZab, {}, {});

  void vote(std::int64_t from, std::int32_t state, std::int64_t leader, std::int64_t epoch,
            std::int64_t peer_epoch, std::int64_t ts) {
    quorum::Notification notification;
    notification.state = state;
    notification.leader = leader;
    notification.election_epoch = epoch;
    notification.peer_epoch = peer_epoch;
    session::QuorumMessage message;
    message.body = session::ElectionNotification{std::cref(notification), {from, -1}};
    send(message, ts);
  }
  // The leader's LEADERINFO or UPTODATE to the learner `sid`.
  void zab(std::int32_t type, std::int64_t sid, std::int64_t ts) {
    quorum::ZabPacket packet;
    packet.packet.type = type;
    session::QuorumMessage message;
    message.body = std::cref(packet);
    message.direction = Direction::kToClient;
    message.learner_sid = sid;
    send(message, ts);
  }
  void send(session::QuorumMessage& message, std::int64_t ts) {
    message.connection = &link;
    message.ts_us = ts;
    message.ensemble = &view;
    summary.quorum(message);
  }
  std::string text() {
    fmt::memory_buffer out;
    summary.write_text(out);
    return fmt::to_string(out);
  }
};

}  // namespace

TEST_CASE("election summary: a restarted server finding the leader at work rejoins") {
  SummaryFeed feed;
  constexpr std::int32_t kLooking = 0, kFollowing = 1, kLeading = 2;
  for (const std::int64_t sid : {1, 2, 3}) feed.vote(sid, kLooking, 3, 1, 0, 1'000'000);
  feed.view.leader = 3;
  feed.view.epoch = 1;
  feed.zab(quorum::kLeaderInfo, 1, 1'100'000);
  feed.zab(quorum::kUpToDate, 1, 1'200'000);
  feed.zab(quorum::kUpToDate, 2, 1'250'000);
  // Server 1 restarts: the others resend their last (LOOKING) notification on the new
  // connections, then answer settled in epoch 1; the leader's UPTODATE ends its sync.
  feed.vote(2, kLooking, 3, 1, 0, 5'000'000);
  feed.vote(1, kLooking, 1, 1, 1, 5'001'000);
  feed.vote(2, kFollowing, 3, 1, 1, 5'002'000);
  feed.vote(3, kLeading, 3, 1, 1, 5'003'000);
  feed.vote(1, kLooking, 1, 2, 1, 5'004'000);  // it looks again, in its next election epoch
  feed.zab(quorum::kUpToDate, 1, 5'090'000);
  const std::string text = feed.text();
  CHECK(text.find("election summary: 1 election, 1 rejoin, 0 leaders\n") == 0);
  CHECK(text.find("  rejoin at ") != std::string::npos);
  CHECK(text.find("server 1 voted 1 (0 changes), LOOKING when last heard, in sync 89 ms after it "
                  "looked") != std::string::npos);
}

TEST_CASE("ZAB: a forwarded createSession is named, PINGs print only with -p") {
  QuorumRun run;
  auto zab = run.open(2888, 40000);
  const Bytes request = Bytes().i64(0x77).i32(0).i32(-10).i32(30000);
  zab->on_data(Direction::kToServer,
               span(quorum_packet(quorum::kRequest, -1, request)
                        .append(quorum_packet(quorum::kPing, 5, Bytes()))),
               1);
  const std::string out = run.output();
  CHECK(out.find("Request(zxid=0xffffffffffffffff, session=0x77, cxid=0, op=createSession") !=
        std::string::npos);
  CHECK(out.find("Ping(") == std::string::npos);
}

TEST_CASE("election: the acceptor's sid comes from the config, votes make the summary") {
  QuorumRun run;
  auto from_2 = run.open(3888, 40001);
  // Server 2 connects to server 1 (election port 3888 in the config) and both vote for 2.
  const std::string config =
      "server.1=127.0.0.1:2888:3888:participant;2181\nserver.2=127.0.0.1:2889:3889:participant";
  const auto message = [&config](std::int32_t state, std::int64_t leader) {
    return Bytes().i32(state).i64(leader).i64(0).i64(1).i64(0).i32(2).str(config).framed();
  };
  Bytes initiator = Bytes().i64(-65536).i64(2).str("127.0.0.1:3889");
  initiator.append(message(0, 2));
  feed_in_pieces(*from_2, Direction::kToServer, initiator, 7, 1'000'000);
  feed_in_pieces(*from_2, Direction::kToClient, message(0, 1), 5, 2'000'000);
  from_2->on_data(Direction::kToClient, span(message(1, 2)), 3'000'000);
  from_2->on_data(Direction::kToServer, span(message(2, 2)), 3'500'000);
  from_2->on_close(tcp::CloseReason::kFin, 4'000'000);
  const std::string out = run.output();
  CHECK(out.find("ElectionHeader(protocol=-65536, sid=2, addresses=127.0.0.1:3889") !=
        std::string::npos);
  CHECK(out.find("Notification(from_sid=2, to_sid=1, state=LOOKING, leader=2") !=
        std::string::npos);
  CHECK(out.find("Notification(from_sid=1, to_sid=2, state=FOLLOWING, leader=2") !=
        std::string::npos);
  const std::string text = run.summary();
  CHECK(text.find("election summary: 1 election, 0 rejoins, 0 leaders\n  election at ") == 0);
  CHECK(text.find(" (epoch 1): winner 2\n") != std::string::npos);
  CHECK(text.find("    server 1 voted 2 (1 changes), FOLLOWING since ") != std::string::npos);
  CHECK(text.find("    server 2 voted 2 (0 changes), LEADING since ") != std::string::npos);
}

TEST_CASE("election: with no settled server heard, a majority's final vote names the winner") {
  QuorumRun run;
  const auto vote_for = [](std::int64_t leader, std::int64_t epoch) {
    return Bytes().i32(0).i64(leader).i64(0).i64(epoch).i64(0).i32(2).framed();
  };
  // Sids from bare-sid headers; the acceptors' sids stay unknown without a config.
  for (const auto& [sid, epoch, leader] :
       {std::tuple{1, 1, 3}, {2, 1, 3}, {3, 1, 3}, {1, 2, 2}, {2, 2, 1}, {3, 2, 3}}) {
    auto connection = run.open(3888, static_cast<std::uint16_t>(41000 + sid * 10 + epoch));
    connection->on_data(Direction::kToServer,
                        span(Bytes().i64(sid).append(vote_for(leader, epoch))), 1);
    connection->on_close(tcp::CloseReason::kFin, 2);
  }
  const std::string text = run.summary();
  CHECK(text.find("election summary: 2 elections, 0 rejoins, 0 leaders\n") ==
        0);  // a new election epoch, a new one
  CHECK(text.find(" (epoch 1): winner 3\n") != std::string::npos);
  CHECK(text.find(" (epoch 2): winner -1\n") != std::string::npos);  // no majority
  CHECK(text.find("    server 2 voted 1 (0 changes), LOOKING when last heard\n") !=
        std::string::npos);
}

TEST_CASE("hostile quorum bytes: resynchronise, report what was skipped, keep buffers capped") {
  QuorumRun run;
  auto zab = run.open(2888, 40000);
  Bytes junk = Bytes().raw(std::string(100, '\xff'));
  junk.append(quorum_packet(quorum::kPing, 7, Bytes()));
  zab->on_data(Direction::kToClient, span(junk), 1);
  // A proposal claiming 2 GB of data is not buffered: it is skipped like any other junk.
  zab->on_data(Direction::kToClient,
               span(Bytes().i32(quorum::kProposal).i64(1).i32(0x7fffffff).raw("xyz")), 2);
  zab->on_close(tcp::CloseReason::kFin, 3);
  auto election = run.open(3888, 40001);
  Bytes bad = Bytes().i64(-65536).i64(1).str("a:1");
  bad.i32(1 << 30).raw(std::string(64, 'z')).append(notification(0, 40).framed());
  election->on_data(Direction::kToServer, span(bad), 4);
  election->on_close(tcp::CloseReason::kFin, 5);
  const std::string out = run.output();
  // Junk is reported where it was, before what follows it, as one line per stretch.
  CHECK(out.find("UndecodableBytes(bytes=100, from=0.0.0.0:2888") <
        out.find("Ping(zxid=0x7, from=0.0.0.0:2888"));
  CHECK(out.find("UndecodableBytes(bytes=19, from=0.0.0.0:2888") != std::string::npos);
  CHECK(out.find("UndecodableBytes(bytes=68, from=0.0.0.0:40001") <
        out.find("Notification(from_sid=1, "));
  CHECK(out.find("Gap(") == std::string::npos);
}

TEST_CASE("a capture that ends inside a snapshot says so") {
  QuorumRun run;
  auto connection = run.open(2888, 40000);
  Bytes leader;
  leader.append(quorum_packet(quorum::kSnap, 0x100000000, Bytes())).raw(std::string(500, 'S'));
  connection->on_data(Direction::kToClient, span(leader), 1);
  connection->on_close(tcp::CloseReason::kFin, 2);
  const std::string out = run.output();
  CHECK(out.find("Snapshot(bytes=500, duration_us=1, complete=False") != std::string::npos);
  CHECK(out.find("Undecodable") == std::string::npos);
}
