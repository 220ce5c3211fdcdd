#include "zkdump/session/detection.hpp"

#include <array>
#include <cstring>
#include <vector>

#include "zkdump/http2/recognize.hpp"
#include "zkdump/session/conversation.hpp"
#include "zkdump/tls/client_hello.hpp"
#include "zkdump/tls/recognize.hpp"
#include "zkdump/zk/recognize.hpp"

namespace zkdump::session {
namespace {

// Well-known ports lower the evidence a family needs: there, evidence its protocol module calls
// weak binds, and a connection no family claims is still decoded as the port's, so that its
// undecodable bytes are reported rather than ignored.
struct HintPort {
  std::uint16_t port;
  Protocol protocol;
};
constexpr std::array<HintPort, 6> kHintPorts = {{{2181, Protocol::kZooKeeper},
                                                 {2281, Protocol::kZooKeeper},
                                                 {2888, Protocol::kZab},
                                                 {3888, Protocol::kElection},
                                                 {2379, Protocol::kEtcd},
                                                 {2380, Protocol::kEtcd}}};

// The evidence each family takes, in the order it is asked (the first strong answer binds). The
// man page's DETECTION section says the same.
struct Recognizer {
  Protocol protocol;
  Recognition (*recognize)(const FirstBytes&);
  std::string_view evidence;
};
constexpr std::array<Recognizer, 4> kRecognizers = {{
    {Protocol::kZooKeeper, zk::recognize_client,
     "strong: a ConnectRequest; a four-letter word alone; 3 request frames in a row (known "
     "opcode, its xid, xids rising) or 3 replies (known error code); a request one way and a "
     "reply the other. weak: one frame"},
    {Protocol::kElection, zk::quorum::recognize_election,
     "strong: the connecting server's header (protocol -65536 or -65535, sid, address); 3 "
     "notifications in a row. weak: a bare sid (before 3.5); one notification"},
    {Protocol::kZab, zk::quorum::recognize_zab,
     "strong: FOLLOWERINFO, OBSERVERINFO or LEADERINFO first; 3 QuorumPackets in a row (known "
     "type, bounded data and auth). weak: one"},
    {Protocol::kEtcd, http2::recognize_grpc,
     "strong: the HTTP/2 client preface; an HTTP/1.x request for /v3/; frames in a row naming "
     "gRPC (content type, an etcd method path, a whole gRPC message). weak: 2 frames; another "
     "HTTP/1.x request"},
}};

// An undecided connection holds at most this much (plus the one segment that crossed it); all
// of them together at most kMaxHeldTotal, past which new ones are decided on what they have.
constexpr std::size_t kMaxHeldPerConnection = 16u << 10;
constexpr std::size_t kMaxHeldChunks = 64;
constexpr std::size_t kMaxHeldTotal = 64u << 20;
// A ClientHello's random ends here: record header, message header, version, random.
constexpr std::size_t kClientRandomEnd = 5 + 4 + 2 + 32;

std::optional<Protocol> hint_of(std::uint16_t port) {
  for (const HintPort& hint : kHintPorts) {
    if (hint.port == port) return hint.protocol;
  }
  return std::nullopt;
}

std::optional<Protocol> protocol_of(PortRole role) {
  switch (role) {
    case PortRole::kClient:
      return Protocol::kZooKeeper;
    case PortRole::kElection:
      return Protocol::kElection;
    case PortRole::kZab:
      return Protocol::kZab;
    case PortRole::kEtcd:
      return Protocol::kEtcd;
    case PortRole::kNone:
      break;
  }
  return std::nullopt;
}

struct Decision {
  enum Kind : std::uint8_t { kWait, kBind, kOther } kind = kWait;
  Protocol protocol = Protocol::kZooKeeper;
  Recognition recognition;
};

Decision weigh(const FirstBytes& first, std::optional<Protocol> hint, bool final) {
  bool all_ruled_out = true;
  std::optional<Recognition> hinted;
  for (const Recognizer& recognizer : kRecognizers) {
    const Protocol protocol = recognizer.protocol;
    const Recognition recognition = recognizer.recognize(first);
    if (recognition.evidence == Evidence::kStrong) {
      return {Decision::kBind, protocol, recognition};
    }
    const bool hopeless =
        recognition.evidence == Evidence::kRuledOut || (recognition.settled && protocol != hint);
    if (!hopeless) all_ruled_out = false;
    if (recognition.evidence == Evidence::kWeak && protocol == hint && !hinted) {
      hinted = recognition;
    }
  }
  if (hinted) return {Decision::kBind, *hint, *hinted};
  if (!all_ruled_out && !final) return {};
  if (!hint) return {Decision::kOther, Protocol::kZooKeeper, {}};
  return {Decision::kBind, *hint, {Evidence::kWeak, false, "well_known_port"}};
}

}  // namespace

// Holds a connection's first bytes, in the order they came, until a family claims them; then
// hands them, and everything after, to that family's handler. A connection that starts with a
// TLS handshake goes to the TLS layer instead, whose plaintext a family (the port's, or one
// detection finds in it) decodes. A connection a port names is only asked whether it is TLS.
class Detection::Undecided final : public tcp::StreamHandler {
 public:
  struct Plan {
    std::optional<Protocol> named;  // the port's family, unless the connection is TLS
    bool inside_tls = false;        // plaintext decrypted from TLS: not TLS again
  };
  Undecided(Detection& detection, const net::Endpoint& client, const net::Endpoint& server,
            bool from_start, std::int64_t ts_us, Plan plan)
      : detection_(detection),
        client_(client),
        server_(server),
        from_start_(from_start),
        opened_us_(ts_us),
        hint_(hint_of(server.port) ? hint_of(server.port) : hint_of(client.port)),
        plan_(plan) {}
  ~Undecided() override { release(); }
  Undecided(const Undecided&) = delete;
  Undecided& operator=(const Undecided&) = delete;

  void on_data(Direction side, ByteSpan bytes, std::int64_t ts_us) override {
    if (bound_) return bound_->on_data(flipped(side), bytes, ts_us);
    if (other_) return;
    std::vector<std::uint8_t>& stream = bytes_[static_cast<int>(side)];
    held_.push_back({side, false, static_cast<std::uint32_t>(stream.size()), bytes.size(), ts_us});
    stream.insert(stream.end(), bytes.begin(), bytes.end());
    held_bytes_ += bytes.size();
    detection_.held_bytes_ += bytes.size();
    decide(held_bytes_ >= kMaxHeldPerConnection || held_.size() >= kMaxHeldChunks ||
           budget_spent());
  }
  void on_gap(Direction side, std::uint64_t missing, std::int64_t ts_us) override {
    if (bound_) return bound_->on_gap(flipped(side), missing, ts_us);
    if (other_) return;
    held_.push_back({side, true, 0, missing, ts_us});
    if (held_.size() >= kMaxHeldChunks) decide(true);
  }
  void on_close(tcp::CloseReason reason, std::int64_t ts_us) override {
    if (!bound_ && !other_) decide(true);
    if (bound_) bound_->on_close(reason, ts_us);
  }
  void on_end_sent(Direction side, std::int64_t ts_us) override {
    if (bound_) bound_->on_end_sent(flipped(side), ts_us);
  }
  bool wants_bytes() const override { return !other_; }
  // A reversed connection's sides stay flipped here; any other needs this wrapper no more.
  std::unique_ptr<tcp::StreamHandler> take_successor() override {
    return reversed_ ? nullptr : std::move(bound_);
  }

 private:
  struct Held {
    Direction side;
    bool gap;
    std::uint32_t offset;  // in bytes_[side]
    std::uint64_t size;    // bytes, or bytes missing
    std::int64_t ts_us;
  };

  bool budget_spent() {
    if (detection_.held_bytes_ <= kMaxHeldTotal) return false;
    ++detection_.counters_.hold_budget_spent;
    return true;
  }

  Direction flipped(Direction side) const {
    if (!reversed_) return side;
    return side == Direction::kToServer ? Direction::kToClient : Direction::kToServer;
  }

  FirstBytes first_bytes() const {
    FirstBytes first;
    first.from_start = from_start_;
    for (int side = 0; side < 2; ++side) first.bytes[side] = bytes_[side];
    for (const Held& held : held_) {
      const auto side = static_cast<std::size_t>(held.side);
      if (held.gap || first.start_count[side] >= FirstBytes::kMaxStarts) continue;
      first.starts[side][first.start_count[side]++] = held.offset;
    }
    return first;
  }

  void decide(bool final) {
    if (from_start_ && !plan_.inside_tls) {
      const Recognition tls = tls::recognize_handshake(first_bytes());
      if (tls.evidence == Evidence::kTooFewBytes && !final) return;
      if (tls.evidence == Evidence::kWeak) return bind_tls(tls.reversed && !plan_.named, final);
    }
    if (plan_.named) return bind(*plan_.named);
    const Decision decision = weigh(first_bytes(), hint_, final);
    if (decision.kind == Decision::kWait) return;
    if (decision.kind == Decision::kOther) return ignore();
    ++detection_.counters_.by_content;
    reversed_ = decision.recognition.reversed;
    detection_.found(reversed_ ? client_ : server_, decision.protocol, decision.recognition.what,
                     false, held_.empty() ? opened_us_ : held_.front().ts_us);
    bind(decision.protocol);
  }

  void bind(Protocol protocol) {
    const net::Endpoint& client = reversed_ ? server_ : client_;
    const net::Endpoint& server = reversed_ ? client_ : server_;
    bound_ = detection_.opener_.open(protocol, client, server, from_start_, opened_us_,
                                     plan_.inside_tls);
    replay();
    release();
  }

  // TLS names no service: a port must say whose it is, or the key log must hold its secrets.
  void bind_tls(bool reversed, bool final) {
    reversed_ = reversed;
    if (!plan_.named && !hint_) {
      const tls::ClientHello hello =
          tls::decode_client_hello(bytes_[reversed_ ? 1 : 0]);  // the random's 43 bytes
      if (!hello.is_client_hello || bytes_[reversed_ ? 1 : 0].size() < kClientRandomEnd) {
        if (!final) return;
        return ignore();
      }
      if (!detection_.tls_.has_keys(hello.random)) return ignore();
    }
    if (!plan_.named) ++detection_.counters_.by_content;
    Detection& detection = detection_;
    const net::Endpoint client = reversed_ ? server_ : client_;
    const net::Endpoint server = reversed_ ? client_ : server_;
    const std::optional<Protocol> named = plan_.named;
    const std::int64_t opened_us = opened_us_;
    bound_ = detection_.tls_.open(client, server, [&detection, client, server, named, opened_us] {
      return detection.open_inside_tls(client, server, named, opened_us);
    });
    replay();
    release();
  }

  void ignore() {
    other_ = true;
    ++detection_.counters_.other;
    release();
  }

  void replay() {
    for (const Held& held : held_) {
      if (held.gap) {
        bound_->on_gap(flipped(held.side), held.size, held.ts_us);
      } else {
        const std::vector<std::uint8_t>& stream = bytes_[static_cast<int>(held.side)];
        bound_->on_data(flipped(held.side), ByteSpan(stream).subspan(held.offset, held.size),
                        held.ts_us);
      }
    }
  }

  void release() {
    detection_.held_bytes_ -= held_bytes_;
    held_bytes_ = 0;
    held_ = {};
    bytes_[0] = {};
    bytes_[1] = {};
  }

  Detection& detection_;
  net::Endpoint client_;
  net::Endpoint server_;
  bool from_start_;
  std::int64_t opened_us_;
  std::optional<Protocol> hint_;
  Plan plan_;
  std::unique_ptr<tcp::StreamHandler> bound_;
  bool reversed_ = false;
  bool other_ = false;
  std::size_t held_bytes_ = 0;
  std::vector<Held> held_;
  std::array<std::vector<std::uint8_t>, 2> bytes_;
};

std::unique_ptr<tcp::StreamHandler> SessionFamilies::open(Protocol protocol,
                                                          const net::Endpoint& client,
                                                          const net::Endpoint& server,
                                                          bool from_start, std::int64_t ts_us,
                                                          bool tls) {
  std::unique_ptr<tcp::StreamHandler> handler;
  switch (protocol) {
    case Protocol::kZooKeeper:
      handler = clients_.open(client, server, from_start, ts_us);
      break;
    case Protocol::kEtcd:
      handler = etcd_.open(client, server, from_start, ts_us);
      break;
    case Protocol::kElection:
    case Protocol::kZab:
    case Protocol::kTls:  // not a family of its own: detection opens the TLS layer
      handler = servers_.open_as(protocol, client, server, from_start, ts_us);
      break;
  }
  // Every family's handler is a Conversation (session/conversation.hpp).
  static_cast<Conversation&>(*handler).connection().tls = tls;
  return handler;
}

std::size_t Detection::EndpointHash::operator()(const net::Endpoint& endpoint) const {
  std::uint64_t words[2];
  std::memcpy(words, endpoint.address.bytes, sizeof words);
  std::uint64_t hash = endpoint.port | std::uint64_t{endpoint.address.family} << 16;
  for (const std::uint64_t word : words) hash = (hash ^ word) * 0x9e3779b97f4a7c15ull;
  return static_cast<std::size_t>(hash ^ hash >> 29);
}

Detection::Detection(FamilyOpener& opener, const PortMap& ports, Sinks& sinks, TlsSessions& tls,
                     const DetectionOptions& options)
    : opener_(opener), ports_(ports), sinks_(sinks), tls_(tls), options_(options) {}

Detection::~Detection() = default;

bool Detection::is_server(const net::Endpoint& endpoint) const {
  return server_ports_.test(endpoint.port) && servers_.contains(endpoint);
}

std::optional<Protocol> Detection::known(const net::Endpoint& server) const {
  const auto found = servers_.find(server);
  return found == servers_.end() ? std::nullopt : std::optional<Protocol>(found->second);
}

std::unique_ptr<tcp::StreamHandler> Detection::open(const net::Endpoint& client,
                                                    const net::Endpoint& server, bool from_start,
                                                    std::int64_t ts_us) {
  if (const std::optional<Protocol> named = protocol_of(ports_.role(server.port))) {
    ++counters_.by_port;
    const bool learned = ports_.learned(server.port);
    found(server, *named, learned ? "config" : "named_port", !learned, ts_us);
    return open_by_port(*named, client, server, from_start, ts_us);
  }
  if (const std::optional<Protocol> protocol = known(server)) {
    ++counters_.by_port;
    return open_by_port(*protocol, client, server, from_start, ts_us);
  }
  return std::make_unique<Undecided>(*this, client, server, from_start, ts_us, Undecided::Plan{});
}

// A connection seen from its start may still be TLS: its first bytes say.
std::unique_ptr<tcp::StreamHandler> Detection::open_by_port(Protocol protocol,
                                                            const net::Endpoint& client,
                                                            const net::Endpoint& server,
                                                            bool from_start, std::int64_t ts_us) {
  if (!from_start) return opener_.open(protocol, client, server, false, ts_us, false);
  return std::make_unique<Undecided>(*this, client, server, true, ts_us,
                                     Undecided::Plan{protocol, false});
}

std::unique_ptr<tcp::StreamHandler> Detection::open_inside_tls(const net::Endpoint& client,
                                                               const net::Endpoint& server,
                                                               std::optional<Protocol> named,
                                                               std::int64_t ts_us) {
  if (named) return opener_.open(*named, client, server, true, ts_us, true);
  return std::make_unique<Undecided>(*this, client, server, true, ts_us,
                                     Undecided::Plan{std::nullopt, true});
}

Direction Detection::direction_of(const net::TcpSegment& segment) const {
  const auto to = [](bool to_server) {
    return to_server ? Direction::kToServer : Direction::kToClient;
  };
  if ((segment.flags & net::kTcpSyn) != 0) return to((segment.flags & net::kTcpAck) == 0);
  if (ports_.role(segment.destination.port) != PortRole::kNone) return Direction::kToServer;
  if (ports_.role(segment.source.port) != PortRole::kNone) return Direction::kToClient;
  if (is_server(segment.destination)) return Direction::kToServer;
  if (is_server(segment.source)) return Direction::kToClient;
  if (hint_of(segment.destination.port)) return Direction::kToServer;
  if (hint_of(segment.source.port)) return Direction::kToClient;
  return to(segment.destination.port <= segment.source.port);  // servers listen low, clients high
}

void Detection::found(const net::Endpoint& server, Protocol protocol, std::string_view evidence,
                      bool named, std::int64_t ts_us) {
  if (servers_.size() >= options_.max_servers || !servers_.emplace(server, protocol).second) return;
  server_ports_.set(server.port);
  sinks_.server_discovered({ts_us, server, protocol, evidence, named});
}

}  // namespace zkdump::session
