// The analyses on hand-built messages: what each finds, and that their state stays bounded.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <memory>
#include <vector>

#include "zkdump/analysis/analyses.hpp"
#include "zkdump/zk/messages.hpp"

using namespace zkdump;
using session::QuorumMessage;
using session::ZkMessage;

namespace {

// Keeps what the analyses hand on.
struct Findings final : session::Sink {
  std::vector<session::WriteTrace> traces;
  std::vector<session::WatchFanout> fanouts;
  std::vector<session::SessionFinding> sessions;
  std::vector<session::SizeAlert> sizes;
  void write_trace(const session::WriteTrace& trace) override { traces.push_back(trace); }
  void watch_fanout(const session::WatchFanout& fanout) override { fanouts.push_back(fanout); }
  void session_finding(const session::SessionFinding& finding) override {
    sessions.push_back(finding);
  }
  void size_alert(const session::SizeAlert& alert) override { sizes.push_back(alert); }
};

// One client connection and one learner's ZAB link, open in every sink of `sinks`.
struct Ensemble {
  session::Connection client = session::make_connection(session::Protocol::kZooKeeper, {}, {});
  session::Connection learner = session::make_connection(session::Protocol::kZab, {}, {});
  session::Sinks& sinks;
  const session::EnsembleView* view = nullptr;  // who votes, when a config named them
  std::int64_t learner_sid = -1;                // the sid the next ZAB packets carry
  explicit Ensemble(session::Sinks& all) : sinks(all) {
    sinks.open(client);
    sinks.open(learner);
  }
  ~Ensemble() {
    sinks.close(client);
    sinks.close(learner);
  }
  Ensemble(const Ensemble&) = delete;
  Ensemble& operator=(const Ensemble&) = delete;

  void ping(std::int64_t ts) {
    zk::Request request;
    request.op = zk::find_op(zk::kOpPing);
    ZkMessage message;
    message.body = std::cref(request);
    message.connection = &client;
    message.ts_us = ts;
    sinks.zk(message);
  }
  void connected(std::int64_t session, std::int32_t timeout_ms, std::int64_t ts) {
    zk::ConnectResponse response;
    response.session_id = session;
    response.timeout = timeout_ms;
    ZkMessage message;
    message.body = std::cref(response);
    message.connection = &client;
    message.ts_us = ts;
    sinks.zk(message);
  }
  // A packet on the ZAB link; `from_learner` as the follower sends it.
  void zab(std::int32_t type, std::int64_t zxid, bool from_learner, std::int64_t ts,
           std::int64_t session = 0, std::int32_t cxid = 0, std::int32_t txn_type = 5) {
    zk::quorum::ZabPacket packet;
    packet.packet.type = type;
    packet.packet.zxid = zxid;
    packet.data_decoded = true;
    packet.txn.session = session;
    packet.txn.cxid = cxid;
    packet.txn.type = txn_type;
    QuorumMessage message;
    message.connection = &learner;
    message.direction = from_learner ? Direction::kToServer : Direction::kToClient;
    message.body = std::cref(packet);
    message.broadcast = true;
    message.ts_us = ts;
    message.learner_sid = learner_sid;
    message.ensemble = view;
    sinks.quorum(message);
  }
  void reply(session::Outstanding& request, std::int64_t zxid, std::int64_t ts,
             session::Selection selection = session::Selection::kYes) {
    zk::Reply reply;
    reply.header.xid = request.xid;
    reply.header.zxid = zxid;
    reply.op = request.op;
    ZkMessage message;
    message.body = std::cref(reply);
    message.connection = &client;
    message.outstanding = &request;
    message.ts_us = ts;
    message.latency_us = ts - request.ts_us;
    message.selection = selection;
    sinks.zk(message);
  }
};

// Findings of a write tracer that is not asked by name, on one Ensemble.
struct Tracing {
  session::Sinks sinks;
  Findings findings;
  analysis::WriteTracer tracer{sinks, false};
  Ensemble ensemble{add_both()};
  session::Sinks& add_both() {
    sinks.add(findings);
    sinks.add(tracer);
    return sinks;
  }
};

session::Outstanding set_data(std::int32_t xid, std::int64_t ts) {
  session::Outstanding request;
  request.xid = xid;
  request.op = zk::find_op(5);
  request.ts_us = ts;
  request.path = "/a";
  return request;
}

}  // namespace

TEST_CASE_FIXTURE(
    Tracing, "a write through a follower: forward, propose, quorum, commit, reply, adding up") {
  ensemble.connected(0x77, 4000, 0);
  session::Outstanding request = set_data(9, 1000);
  ensemble.zab(zk::quorum::kRequest, 0, true, 1100, 0x77, 9);
  ensemble.zab(zk::quorum::kProposal, 0x500000001, false, 1300, 0x77, 9);
  ensemble.zab(zk::quorum::kAck, 0x500000001, true, 1700);
  ensemble.zab(zk::quorum::kCommit, 0x500000001, false, 1800);
  ensemble.reply(request, 0x500000001, 2500);
  REQUIRE(findings.traces.size() == 1);
  const session::WriteTrace& trace = findings.traces[0];
  CHECK(trace.session == 0x77);
  CHECK(trace.zxid == 0x500000001);
  CHECK(trace.total_us == 1500);
  CHECK(trace.stage(session::WriteStage::kForward) == 100);
  CHECK(trace.stage(session::WriteStage::kPropose) == 200);
  CHECK(trace.stage(session::WriteStage::kQuorum) == 400);
  CHECK(trace.stage(session::WriteStage::kCommit) == 100);
  CHECK(trace.stage(session::WriteStage::kSync) == -1);
  CHECK(trace.stage(session::WriteStage::kReply) == 700);
}

TEST_CASE_FIXTURE(Tracing, "quorum: a majority of the voters in force, by ACK time, not arrival") {
  session::EnsembleView view;
  view.leader = 1;
  view.voter_sids = {1, 2, 3, 4, 5};
  view.voters = 5;
  ensemble.view = &view;
  ensemble.connected(0x77, 4000, 0);
  session::Outstanding request = set_data(9, 1000);
  ensemble.zab(zk::quorum::kProposal, 0x500000001, false, 1100, 0x77, 9);
  ensemble.learner_sid = 9;  // a learner no config names: a server not reconfigured in yet
  ensemble.zab(zk::quorum::kAck, 0x500000001, true, 1150);
  ensemble.learner_sid = 2;  // held by detection: delivered late, stamped later than the next
  ensemble.zab(zk::quorum::kAck, 0x500000001, true, 1600);
  ensemble.learner_sid = 3;
  ensemble.zab(zk::quorum::kAck, 0x500000001, true, 1300);
  ensemble.reply(request, 0x500000001, 2000);
  REQUIRE(findings.traces.size() == 1);
  // 5 voters: the leader and two followers; the second follower's ACK, by time, came at 1600.
  CHECK(findings.traces[0].stage(session::WriteStage::kQuorum) == 500);
}

TEST_CASE_FIXTURE(Tracing, "quorum: during a reconfig, a majority of the proposed voters too") {
  session::EnsembleView view;
  view.leader = 1;
  view.voter_sids = {1, 2, 3};
  view.voters = 3;
  view.proposed_zxid = 0x500000001;
  view.proposed_voter_sids = {1, 2, 3, 4, 5};
  ensemble.view = &view;
  ensemble.connected(0x77, 4000, 0);
  session::Outstanding request = set_data(9, 1000);
  ensemble.zab(zk::quorum::kProposal, 0x500000002, false, 1100, 0x77, 9);
  for (const auto& [sid, ts] : {std::pair{4, 1200}, {2, 1300}, {5, 1400}}) {
    ensemble.learner_sid = sid;
    ensemble.zab(zk::quorum::kAck, 0x500000002, true, ts);
  }
  ensemble.reply(request, 0x500000002, 2000);
  REQUIRE(findings.traces.size() == 1);
  // Server 2's ACK made 2 of 3; the new 5 needed two followers, which server 2's was too.
  CHECK(findings.traces[0].stage(session::WriteStage::kQuorum) == 200);
}

TEST_CASE_FIXTURE(Tracing, "a read sent behind a sync is traced with the sync's stage") {
  ensemble.connected(0x77, 4000, 0);
  ensemble.zab(zk::quorum::kProposal, 0x500000001, false, 10, 0x1, 1);  // ZAB traffic seen
  session::Outstanding sync = set_data(4, 1000);
  sync.op = zk::find_op(9);
  zk::Request sync_request;
  sync_request.xid = 4;
  sync_request.op = sync.op;
  ZkMessage message;
  message.body = std::cref(sync_request);
  message.connection = &ensemble.client;
  message.ts_us = 1000;
  sinks.zk(message);
  zk::Request read_request;
  read_request.xid = 5;
  read_request.op = zk::find_op(4);
  read_request.facts.path = WireBytes::of("/a");
  message.body = std::cref(read_request);
  message.ts_us = 1050;
  sinks.zk(message);
  ensemble.zab(zk::quorum::kRequest, 0, true, 1100, 0x77, 4, 9);
  ensemble.zab(zk::quorum::kSync, 0, false, 1400);
  ensemble.reply(sync, 0, 1500);
  session::Outstanding read = set_data(5, 1050);
  read.op = read_request.op;
  ensemble.reply(read, 0, 1600);
  REQUIRE(findings.traces.size() == 2);
  CHECK(findings.traces[0].stage(session::WriteStage::kForward) == 100);
  CHECK(findings.traces[0].stage(session::WriteStage::kSync) == 300);
  CHECK(findings.traces[1].op == read.op);
  CHECK(findings.traces[1].stage(session::WriteStage::kForward) == 50);
  CHECK(findings.traces[1].stage(session::WriteStage::kSync) == 300);
  CHECK(findings.traces[1].stage(session::WriteStage::kReply) == 200);
}

TEST_CASE_FIXTURE(
    Tracing,
    "write tracing invents nothing: an event stamped before the one it follows is left out") {
  ensemble.connected(0x77, 4000, 0);
  session::Outstanding request = set_data(3, 1000);
  ensemble.zab(zk::quorum::kProposal, 0x500000002, false, 900, 0x77, 3);  // a clock stepped back
  ensemble.reply(request, 0x500000002, 1600);
  REQUIRE(findings.traces.size() == 1);
  CHECK(findings.traces[0].stage(session::WriteStage::kPropose) == -1);
  CHECK(findings.traces[0].stage(session::WriteStage::kReply) == 600);
}

TEST_CASE_FIXTURE(Tracing, "a write the field filters leave out is traced, marked unselected") {
  ensemble.connected(0x77, 4000, 0);
  session::Outstanding request = set_data(4, 1000);
  ensemble.zab(zk::quorum::kProposal, 0x500000003, false, 1100, 0x77, 4);
  ensemble.reply(request, 0x500000003, 1300, session::Selection::kNo);
  REQUIRE(findings.traces.size() == 1);
  CHECK_FALSE(findings.traces[0].selected);
}

TEST_CASE_FIXTURE(Tracing, "write tracing waits for ZAB traffic unless asked by name") {
  session::Outstanding request = set_data(1, 10);
  ensemble.reply(request, 0x100000001, 20);
  CHECK(findings.traces.empty());
}

TEST_CASE("a session silent past 2/3 of its timeout is at risk once; its expiry says since when") {
  session::Sinks sinks;
  Findings findings;
  sinks.add(findings);
  analysis::SessionHealth health(sinks, 60);
  sinks.add(health);
  Ensemble ensemble(sinks);
  ensemble.connected(0x42, 3000, 1'000'000);
  ensemble.ping(1'000'000);
  sinks.tick(2'900'000);  // 1.9 s of 3: not yet
  CHECK(findings.sessions.empty());
  sinks.tick(3'100'000);
  sinks.tick(3'300'000);
  REQUIRE(findings.sessions.size() == 1);
  CHECK(findings.sessions[0].kind == session::SessionFinding::Kind::kAtRisk);
  CHECK(findings.sessions[0].ts_us == 3'000'000);  // when it became so, not when seen
  CHECK(findings.sessions[0].silent_us == 2'000'000);
  ensemble.zab(zk::quorum::kProposal, 0x600000001, false, 5'000'000, 0x42, 0, zk::kOpCloseSession);
  REQUIRE(findings.sessions.size() == 2);
  CHECK(findings.sessions[1].kind == session::SessionFinding::Kind::kExpired);
  CHECK(findings.sessions[1].source == session::SessionFinding::Source::kTxn);
  CHECK(findings.sessions[1].silent_us == 4'000'000);
  sinks.end_sent(ensemble.client, Direction::kToClient, 5'100'000);  // a later sign: not again
  REQUIRE(findings.sessions.size() == 3);
  CHECK(findings.sessions[2].kind == session::SessionFinding::Kind::kSilenceEnded);
}

// One client connection under the session analysis, its session connected with a 3 s timeout
// and its last ping at 1 s.
struct Watched {
  session::Sinks sinks;
  Findings findings;
  analysis::SessionHealth health{sinks, 60};
  Ensemble ensemble{add_all()};
  session::Sinks& add_all() {
    sinks.add(findings);
    sinks.add(health);
    return sinks;
  }
  Watched() {
    ensemble.connected(0x43, 3000, 1'000'000);
    ensemble.ping(1'000'000);
  }
};

TEST_CASE_FIXTURE(
    Watched, "a standalone server closing a silent session's connection: at risk, then expired") {
  // The server's FIN is the first thing after the silence: the risk, due at 3 s, comes first.
  sinks.end_sent(ensemble.client, Direction::kToClient, 9'000'000);
  REQUIRE(findings.sessions.size() == 3);
  CHECK(findings.sessions[0].kind == session::SessionFinding::Kind::kAtRisk);
  CHECK(findings.sessions[0].ts_us == 3'000'000);
  CHECK(findings.sessions[1].kind == session::SessionFinding::Kind::kExpired);
  CHECK(findings.sessions[1].source == session::SessionFinding::Source::kServerClose);
  CHECK(findings.sessions[1].ts_us == 9'000'000);
  CHECK(findings.sessions[2].kind == session::SessionFinding::Kind::kSilenceEnded);
  CHECK(findings.sessions[2].silent_us == 8'000'000);  // the whole silence, 2.7 timeouts
}

TEST_CASE_FIXTURE(Watched,
                  "a server closing a connection within the session's timeout is no expiry") {
  sinks.end_sent(ensemble.client, Direction::kToClient, 2'000'000);
  sinks.end_sent(ensemble.client, Direction::kToServer, 5'000'000);
  CHECK(findings.sessions.size() <= 1);
  for (const auto& finding : findings.sessions)
    CHECK(finding.kind != session::SessionFinding::Kind::kExpired);
}

TEST_CASE(
    "a watch fan-out counts notifications, sessions and follow-up reads, once its window ends") {
  session::Sinks sinks;
  Findings findings;
  sinks.add(findings);
  analysis::WatchTracker watches(sinks, 1);
  sinks.add(watches);
  Ensemble ensemble(sinks);
  zk::WatcherEvent event;
  event.zxid = 0x700000001;
  event.type = 3;
  event.path = WireBytes::of("/cfg");
  event.decoded.complete = true;
  ZkMessage notification;
  notification.body = std::cref(event);
  notification.connection = &ensemble.client;
  notification.ts_us = 100;
  sinks.zk(notification);
  zk::Request read;
  read.op = zk::find_op(4);
  read.facts.path = WireBytes::of("/cfg");
  ZkMessage reread;
  reread.body = std::cref(read);
  reread.connection = &ensemble.client;
  reread.ts_us = 200;
  sinks.zk(reread);
  CHECK(findings.fanouts.empty());  // its window is still open
  sinks.tick(100 + analysis::WatchTracker::kWindowUs + 1);
  REQUIRE(findings.fanouts.size() == 1);
  CHECK(findings.fanouts[0].notifications == 1);
  CHECK(findings.fanouts[0].connections == 1);
  CHECK(findings.fanouts[0].reads == 1);
  CHECK(findings.fanouts[0].path == "/cfg");
}

// Servers before 3.9 send zxid -1 with every notification.
struct Notifying {
  session::Sinks sinks;
  Findings findings;
  analysis::WatchTracker watches{sinks, 3};
  std::vector<std::unique_ptr<session::Connection>> clients;
  zk::WatcherEvent event;
  zk::Request write;
  std::int64_t now_us = 1000;
  Notifying() {
    sinks.add(findings);
    sinks.add(watches);
    event.zxid = -1;
    event.type = 3;
    event.path = WireBytes::of("/hot");
    event.decoded.complete = true;
    write.op = zk::find_op(zk::kOpSetData);
    write.facts.path = WireBytes::of("/hot");
  }
  session::Connection& client(std::size_t index) {
    while (clients.size() <= index) {
      clients.push_back(std::make_unique<session::Connection>(
          session::make_connection(session::Protocol::kZooKeeper, {}, {})));
      clients.back()->session = fmt::format("0x{:x}", clients.size());
      sinks.open(*clients.back());
    }
    return *clients[index];
  }
  void send(session::Connection& connection, ZkMessage::Body body) {
    ZkMessage message;
    message.body = body;
    message.connection = &connection;
    message.ts_us = now_us += 1000;
    sinks.zk(message);
  }
  void set_by(std::size_t writer, std::int32_t xid) {
    write.xid = xid;
    send(client(writer), std::cref(write));
  }
  void notify(std::size_t watcher) { send(client(watcher), std::cref(event)); }
  void end() { sinks.finish(now_us); }
};

TEST_CASE_FIXTURE(Notifying, "one watcher of a node set over and over is many writes, no storm") {
  for (std::int32_t xid = 1; xid <= 10; ++xid) {
    set_by(0, xid);
    notify(1);
  }
  end();
  REQUIRE(findings.fanouts.size() == 10);
  for (const auto& fanout : findings.fanouts) {
    CHECK(fanout.notifications == 1);
    CHECK_FALSE(fanout.storm());
    CHECK(fanout.write_op == "setData");
  }
}

TEST_CASE_FIXTURE(Notifying, "one write notifying many sessions is one storm, named by its write") {
  set_by(0, 7);
  for (std::size_t watcher = 1; watcher <= 5; ++watcher) notify(watcher);
  end();
  REQUIRE(findings.fanouts.size() == 1);
  CHECK(findings.fanouts[0].notifications == 5);
  CHECK(findings.fanouts[0].connections == 5);
  CHECK(findings.fanouts[0].storm());
  CHECK(findings.fanouts[0].writer_session == 1);
}

TEST_CASE_FIXTURE(Notifying,
                  "writes not captured are still never merged: a session notified twice") {
  notify(1);
  notify(2);
  notify(1);  // a second write's notification: one write notifies a session once
  end();
  REQUIRE(findings.fanouts.size() == 2);
  CHECK(findings.fanouts[0].notifications == 2);
  CHECK(findings.fanouts[1].notifications == 1);
  CHECK(findings.fanouts[1].write_op.empty());
}

TEST_CASE("a proposal past the alert fraction of jute.maxbuffer alerts once, not per follower") {
  session::Sinks sinks;
  Findings findings;
  sinks.add(findings);
  analysis::SizeWatch sizes(sinks, {1000, 0.5});
  sinks.add(sizes);
  Ensemble ensemble(sinks);
  const std::vector<std::uint8_t> data(600);
  zk::quorum::ZabPacket packet;
  packet.packet.type = zk::quorum::kProposal;
  packet.packet.zxid = 0x800000001;
  packet.packet.data = {data.data(), data.size(), false};
  QuorumMessage message;
  message.connection = &ensemble.learner;
  message.direction = false ? Direction::kToServer : Direction::kToClient;
  message.broadcast = true;
  message.body = std::cref(packet);
  sinks.quorum(message);
  sinks.quorum(message);  // the copy to the next follower
  REQUIRE(findings.sizes.size() == 1);
  CHECK(findings.sizes[0].size == 600);
  CHECK(findings.sizes[0].limit == 1000);
}

TEST_CASE("an aging table holds at most its capacity, forgets by age, and counts what it evicts") {
  analysis::AgingTable<int, int> table(4, 100);
  for (int key = 0; key < 10; ++key) table.at(key, key) = key;
  CHECK(table.size() == 4);
  CHECK(table.evicted() == 6);
  CHECK(table.find(9) != nullptr);
  CHECK(table.find(0) == nullptr);
  table.erase(8);
  table.at(8, 50) = 80;  // made again: the old record must not forget it
  table.expire(108);     // 6 and 7 were added at 6 and 7
  CHECK(table.find(6) == nullptr);
  CHECK(table.find(8) != nullptr);
  table.expire(1000);
  CHECK(table.size() == 0);
}
