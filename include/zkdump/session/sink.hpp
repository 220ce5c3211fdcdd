// What the session stage hands to its consumers: each connection, each decoded message with what
// pairing knows of it, and what could not be decoded. Sinks (the line writer, the statistics, the
// live view, the exporter) implement the callbacks they care about; none knows about the others.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "zkdump/base/variant.hpp"
#include "zkdump/etcd/messages.hpp"
#include "zkdump/framing/stream.hpp"
#include "zkdump/net/packet.hpp"
#include "zkdump/session/ensemble.hpp"
#include "zkdump/session/filter.hpp"
#include "zkdump/session/findings.hpp"
#include "zkdump/tcp/reassembly.hpp"
#include "zkdump/tls/client_hello.hpp"
#include "zkdump/tls/decryptor.hpp"
#include "zkdump/zk/messages.hpp"
#include "zkdump/zk/quorum.hpp"

namespace zkdump::session {

// kTls: the TLS layer of a connection, whose plaintext another family decodes.
enum class Protocol : std::uint8_t { kZooKeeper, kElection, kZab, kEtcd, kTls };
inline constexpr std::size_t kProtocolCount = static_cast<std::size_t>(Protocol::kTls) + 1;
std::string_view protocol_name(Protocol protocol);  // zk, election, zab, etcd, tls: JSON's "proto"

// One connection, identified once: its endpoints formatted once, not per line.
inline constexpr std::size_t kMaxSinks = 16;

// What a sink keeps per connection (its held lines, its statistics row). The connection owns it,
// so it ends with the connection however the run ends.
struct ConnectionState {
  ConnectionState() = default;
  ConnectionState(const ConnectionState&) = delete;
  ConnectionState& operator=(const ConnectionState&) = delete;
  virtual ~ConnectionState() = default;
};

struct Connection {
  Protocol protocol = Protocol::kZooKeeper;
  net::Endpoint client_endpoint;
  net::Endpoint server_endpoint;
  std::string client;  // IP:PORT, [IPv6]:PORT
  std::string server;
  std::string session;  // zk: 0x..., once a connect named it
  bool tls = false;     // its bytes were decrypted from TLS records

  // The client's address without its port ("10.0.0.7", "[::1]"): what statistics group by.
  std::string_view client_host() const {
    const std::size_t colon = client.rfind(':');
    return colon == std::string::npos ? std::string_view(client)
                                      : std::string_view(client).substr(0, colon);
  }
  // Per-sink state, at the index the Sinks set gave each sink; null where a sink keeps none.
  // In place: tens of thousands of connections must cost no more allocations than they need.
  std::array<std::unique_ptr<ConnectionState>, kMaxSinks> sink_state;

  // The state the sink at `index` keeps here, as the type it made it.
  template <typename State>
  State& state(std::size_t index) const {
    return static_cast<State&>(*sink_state[index]);
  }
};

std::string format_endpoint(const net::Endpoint& endpoint);
// A connection of this protocol between these endpoints, their text formatted once.
Connection make_connection(Protocol protocol, const net::Endpoint& client,
                           const net::Endpoint& server);

// Per-request numbers sinks keep with a request until its reply (a held line's, a statistics
// row's), at the index the Sinks set gave each sink.
inline constexpr std::size_t kRequestSlots = 4;
using RequestSlots = std::array<std::uint64_t, kRequestSlots>;

// A request awaiting its reply, as the session remembers it.
struct Outstanding {
  std::int32_t xid = 0;
  const zk::OpInfo* op = nullptr;  // null for the ConnectRequest
  std::int64_t ts_us = 0;
  std::string path;       // capped copy, for the reply's consumers and the unanswered report
  std::uint64_t seq = 0;  // numbered per connection, in request order
  bool reported_pending = false;
  bool oversized = false;  // over jute.maxbuffer: the server closes the connection instead
  Selection selection = Selection::kYes;  // by the field filters
  RequestSlots slots{};
  std::string_view op_name() const { return op != nullptr ? op->json_name : "connect"; }
};

enum class SessionChange : std::uint8_t { kNone, kEstablished, kReconnected, kExpired, kClosed };
// The changes other than kNone, by (change - 1): how --stats and the metrics name them. A
// session the server refused to resume because it expired is "refused": how many sessions
// expired is the session analysis's figure, which sees every sign of an expiry.
inline constexpr std::array<std::string_view, static_cast<std::size_t>(SessionChange::kClosed)>
    kSessionChangeNames = {"established", "reconnected", "refused", "closed"};

// A four-letter word (ruok, mntr, ...) sent instead of a ConnectRequest, and the server's raw
// answer to it, reported when the connection ends.
struct FourLetterWord {
  std::string_view word;
};
struct FourLetterReply {
  std::string_view word;    // empty when the word itself was not seen
  std::string_view answer;  // the first 64 KiB
  std::uint64_t answer_bytes = 0;
};
// A TLS connection's first record when it is not a ClientHello: nothing after it can be decoded.
struct OtherTlsRecord {};

// A message of the client protocol: one of its kinds, with where it was and what pairing knows.
struct ZkMessage {
  using Body = std::variant<Ref<zk::ConnectRequest>, Ref<zk::ConnectResponse>, Ref<zk::Request>,
                            Ref<zk::Reply>, Ref<zk::WatcherEvent>, FourLetterWord, FourLetterReply,
                            Ref<tls::ClientHello>, OtherTlsRecord>;
  Body body{OtherTlsRecord{}};
  Connection* connection = nullptr;
  Direction direction = Direction::kToServer;
  std::int64_t ts_us = 0;
  std::uint64_t offset = 0;     // where the frame starts in its direction's byte stream
  std::int32_t frame_size = 0;  // its length prefix
  // Requests (and ConnectRequests): their entry, whose slots a sink may fill. Replies: the
  // request they answer, or null.
  Outstanding* outstanding = nullptr;
  std::int64_t latency_us = -1;  // replies to a request seen: since it, never negative
  SessionChange session_change = SessionChange::kNone;
  // By the field filters: kNo, a message sinks leave out (a request's reply, then, too);
  // kAtReply, a request whose reply decides.
  Selection selection = Selection::kYes;

  // The message as kind T (zk::Request, FourLetterWord, ...), or null when it is another kind.
  template <class T>
  const T* as() const {
    return alternative<T>(body);
  }
};

// A request still waiting for its reply after the --pending-after threshold (live), reported once
// while it waits: its reply, if it comes, still pairs as usual.
struct Pending {
  const Connection* connection = nullptr;
  const Outstanding* request = nullptr;
  std::int64_t ts_us = 0;  // now
  bool selected = true;    // by the field filters
};

struct Unanswered {
  Connection* connection = nullptr;
  const Outstanding* request = nullptr;
  // closed, reset, idle, evicted, capture-end, pending-limit, oversized
  std::string_view reason;
  std::int64_t ts_us = 0;
  bool selected = true;  // by the field filters
};

// The kinds of server-to-server message, besides the election's header and the ZAB packets.
struct ElectionNotification {
  Ref<zk::quorum::Notification> notification;
  zk::quorum::Voters voters;  // who sent it and who got it, by sid, where known
};
struct Snapshot {  // a snapshot the leader sent a learner, once it ended
  std::uint64_t bytes = 0;
  std::int64_t duration_us = 0;
  bool complete = true;  // false: the connection closed before its end
};
struct Uncommitted {  // a PROPOSAL whose COMMIT the connection never carried
  std::int64_t zxid = 0;
};

// A server-to-server message, with what the session tracks of its connection.
struct QuorumMessage {
  using Body = std::variant<Ref<zk::quorum::ElectionHeader>, ElectionNotification,
                            Ref<zk::quorum::ZabPacket>, Snapshot, Uncommitted, LeaderChange>;
  Body body{Uncommitted{}};
  Connection* connection = nullptr;
  // kToServer: sent by the connecting side (the initiator, or the learner)
  Direction direction = Direction::kToServer;
  std::int64_t ts_us = 0;
  std::int64_t latency_us = -1;  // an ACK or COMMIT since its PROPOSAL; a REVALIDATE's answer
  // PROPOSAL, ACK and COMMIT of a learner in sync (not a sync's replay).
  bool broadcast = false;
  std::string_view follower;  // server.N once its FOLLOWERINFO or a config named it, else IP:PORT
  std::int64_t learner_sid = -1;           // the learner's sid, on a ZAB link, once known
  const EnsembleView* ensemble = nullptr;  // who leads and who votes, as of this message

  template <class T>
  const T* as() const {
    return alternative<T>(body);
  }
};

// Bytes a stream could not decode: a gap, junk, a bad length, a partial message at close.
struct StreamProblem {
  Connection* connection = nullptr;
  Direction direction = Direction::kToServer;
  framing::Problem problem = framing::Problem::kGap;
  std::uint64_t offset = 0;
  std::int64_t count = 0;
  std::int64_t ts_us = 0;
  // kOversized from a ZooKeeper client: its request as far as its first bytes tell (op, xid,
  // path), or null.
  const zk::Request* request = nullptr;
};

// The kinds of message an etcd connection carries. Views are valid during the call only.
struct GrpcRequest {        // a gRPC message from the client
  ByteSpan body;            // the protobuf message
  bool compressed = false;  // its gRPC compressed flag: the body is not shown
};
struct GrpcReply {  // a gRPC message from the server
  ByteSpan body;
  bool compressed = false;
};
struct EtcdWatchEvent {  // one event of a WatchResponse, after its reply
  ByteSpan event;        // an mvccpb.Event
  std::int64_t watch_id = 0;
  bool is_delete = false;  // DELETE, not PUT
};
struct GrpcStatus {  // the call's trailers
  std::int32_t code = -1;
  std::string_view message;  // grpc-message, percent-encoded as sent
};
struct StreamReset {  // RST_STREAM
  std::uint32_t error_code = 0;
};
struct Goaway {  // GOAWAY; the message's stream is the last one the sender processed
  std::uint32_t error_code = 0;
};
struct UndecodableHeaders {  // a header block over the cap, or one HPACK could not decode
  std::uint64_t size = 0;    // its bytes, HEADERS and CONTINUATION
  bool too_large = false;    // over the cap, not decoded
};
struct Http1Request {  // HTTP/1.x (etcd's JSON gateway): a request's first line
  std::string_view line;
};
struct Http1Response {  // and a response's status line
  std::string_view line;
};

// What an etcd connection carried, with the call (stream) it belongs to. A TLS connection's first
// record shows as its ClientHello; nothing after it.
struct EtcdMessage {
  using Body = std::variant<GrpcRequest, GrpcReply, EtcdWatchEvent, GrpcStatus, StreamReset, Goaway,
                            UndecodableHeaders, Ref<tls::ClientHello>, Http1Request, Http1Response>;
  Body body{GrpcRequest{}};
  Connection* connection = nullptr;
  const etcd::Method* method = nullptr;  // null: the path is unknown or not etcd's
  std::string_view path;                 // the call's :path, when its headers were seen
  std::int64_t ts_us = 0;
  std::int64_t latency_us = -1;  // the call's first answer (reply, or status without one): since
                                 // its first request
  std::uint32_t stream = 0;
  Direction direction = Direction::kToServer;
  bool method_guessed = false;  // the call's :path was not seen: method is read from its messages
  bool begins_call = false;     // the call's first client message
  bool call_begun = false;      // its first client message was seen, this one or before

  template <class T>
  const T* as() const {
    return alternative<T>(body);
  }
};

// What the TLS layer of a connection saw (session/tls.hpp): its ClientHello, whether it decrypts
// and why not, a direction whose decryption stopped, and its end.
struct TlsEvent {
  enum class Kind : std::uint8_t { kClientHello, kSession, kStopped, kClosed };
  Kind kind = Kind::kClientHello;
  Connection* connection = nullptr;  // protocol kTls
  std::int64_t ts_us = 0;
  Direction direction = Direction::kToServer;      // kStopped
  const tls::ClientHello* client_hello = nullptr;  // kClientHello
  const tls::ServerHello* server_hello = nullptr;  // kSession: version 0 when none was seen
  const tls::CipherSuite* suite = nullptr;         // kSession: null when zkdump does not know it
  tls::Failure failure = tls::Failure::kNone;      // kSession: why not decrypted; kStopped: why
  std::uint64_t offset = 0;                        // kStopped: in the direction's TLS bytes
  std::array<std::uint64_t, 2> tls_bytes{};        // kClosed: per direction
  std::uint64_t plaintext_bytes = 0;               // kClosed
  bool decrypted = false;                          // kClosed: the session decrypted
};

// What happened to the capture itself, outside any connection.
struct CaptureProblem {
  enum class Kind : std::uint8_t { kKernelDrops, kTruncatedPacket };
  Kind kind = Kind::kKernelDrops;
  std::int64_t ts_us = 0;
  std::uint64_t dropped = 0;  // kKernelDrops: since the last report
  std::uint64_t total = 0;
  std::string_view interface;
  std::uint32_t captured = 0;  // kTruncatedPacket
  std::uint32_t wire_length = 0;
};

// A server whose role was found: by what its connections carried, or named by a port option.
struct ServerDiscovered {
  std::int64_t ts_us = 0;
  net::Endpoint server;
  Protocol protocol = Protocol::kZooKeeper;
  std::string_view evidence;  // the detection table's words: "ConnectRequest", "named port"
  bool named = false;         // a port option named it: nothing to announce
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Sinks that keep values with each request until its reply ask for slots: theirs are
  // request_slot_ and the ones after it.
  virtual std::size_t request_slots_wanted() const { return 0; }
  void set_request_slot(std::size_t slot) { request_slot_ = slot; }
  void set_state_index(std::size_t index) { state_index_ = index; }

  virtual void open(Connection&) {}
  // A connection ends (or is forgotten): what it left unanswered follows, then close().
  virtual void closing(Connection&, tcp::CloseReason, std::int64_t) {}
  // One side of a connection sent its FIN or a reset (kToClient: the server did).
  virtual void end_sent(Connection&, Direction, std::int64_t) {}
  virtual void close(Connection&) {}
  // Every frame of the client protocol, decoded or not (its typed message says).
  virtual void zk(const ZkMessage&) {}
  virtual void unanswered(const Unanswered&) {}
  virtual void pending(const Pending&) {}
  virtual void quorum(const QuorumMessage&) {}
  virtual void etcd(const EtcdMessage&) {}
  virtual void tls(const TlsEvent&) {}
  virtual void problem(const StreamProblem&) {}
  virtual void capture(const CaptureProblem&) {}
  virtual void server_discovered(const ServerDiscovered&) {}
  // Time passes without packets (live, every 100 ms), and the capture ends: what waits for time
  // (a silent session, a watch window) is decided.
  virtual void tick(std::int64_t /*now_us*/) {}
  virtual void finish(std::int64_t /*ts_us*/) {}
  // What the analyses found (findings.hpp), handed on to every sink.
  virtual void write_trace(const WriteTrace&) {}
  virtual void watch_fanout(const WatchFanout&) {}
  virtual void session_finding(const SessionFinding&) {}
  virtual void size_alert(const SizeAlert&) {}

 protected:
  std::size_t request_slot_ = 0;
  std::size_t state_index_ = 0;
};

// Every sink of a run, in the order they were added; the stages call this one.
class Sinks {
 public:
  // Refuses (returns false) a sink past kMaxSinks, or one wanting a request slot once all are
  // taken.
  bool add(Sink& sink);
  std::size_t size() const { return sinks_.size(); }

  void open(Connection& connection);
  void closing(Connection& connection, tcp::CloseReason reason, std::int64_t ts_us);
  void end_sent(Connection& connection, Direction side, std::int64_t ts_us);
  void close(Connection& connection);
  void zk(const ZkMessage& message);
  void unanswered(const Unanswered& unanswered);
  void pending(const Pending& pending);
  void quorum(const QuorumMessage& message);
  void etcd(const EtcdMessage& message);
  void tls(const TlsEvent& event);
  void problem(const StreamProblem& problem);
  void capture(const CaptureProblem& problem);
  void server_discovered(const ServerDiscovered& server);
  void tick(std::int64_t now_us);
  void finish(std::int64_t ts_us);
  void write_trace(const WriteTrace& trace);
  void watch_fanout(const WatchFanout& fanout);
  void session_finding(const SessionFinding& finding);
  void size_alert(const SizeAlert& alert);

 private:
  std::vector<Sink*> sinks_;
  std::size_t slots_used_ = 0;
};

}  // namespace zkdump::session
