#include "zkdump/session/client.hpp"

#include <fmt/format.h>

#include "zkdump/base/copy_bytes.hpp"
#include "zkdump/base/ring.hpp"
#include "zkdump/session/conversation.hpp"
#include "zkdump/session/elapsed.hpp"
#include "zkdump/tls/client_hello.hpp"
#include "zkdump/zk/client_frames.hpp"
#include "zkdump/zk/messages.hpp"

namespace zkdump::session {
namespace {

constexpr std::size_t kMaxRememberedPath = 512;
constexpr std::size_t kMaxFourLetterText = 64u << 10;  // what a four-letter word's answer keeps

std::string session_text(std::int64_t session_id) {
  return session_id != 0 ? fmt::format("0x{:x}", session_id) : std::string();
}

}  // namespace

// One connection: its framing, its requests awaiting replies, and its messages to the sinks.
class ClientConversation final : public Conversation, public zk::AwaitedRequests {
 public:
  ClientConversation(ClientShared& shared, Connection connection, bool from_start);
  ~ClientConversation() override;
  ClientConversation(const ClientConversation&) = delete;
  ClientConversation& operator=(const ClientConversation&) = delete;

  const zk::OpInfo* awaited_op(std::int32_t xid) const override;
  void on_end_sent(Direction side, std::int64_t ts_us) override {
    shared_.sinks.end_sent(connection_, side, ts_us);
  }

  void report_pending(std::int64_t now_us, std::int64_t after_us);
  // The request that has waited longest, or null.
  const Outstanding* oldest_pending() const { return pending_.empty() ? nullptr : &pending_[0]; }
  const Connection& connection() const { return connection_; }
  Connection& connection() override { return connection_; }

 private:
  framing::Protocol& protocol(Direction direction) override { return frames_[index_of(direction)]; }
  void on_message(Direction direction, ByteSpan bytes, std::uint8_t tag, std::uint64_t offset,
                  std::int64_t ts_us) override;
  void on_problem(Direction direction, framing::Problem problem, std::uint64_t offset,
                  std::int64_t count, std::int64_t ts_us) override;
  void ended(tcp::CloseReason reason, std::int64_t ts_us) override;
  // Where a frame sits: what every message made of it starts from.
  struct FrameAt {
    Direction direction;
    std::uint64_t offset;
    std::int64_t ts_us;
    std::int32_t size;  // the length prefix
  };
  // Each makes its message next to the decoded value the message points to.
  void on_connect_request(const FrameAt& at, ByteSpan body);
  void on_connect_response(const FrameAt& at, ByteSpan body);
  void on_request(const FrameAt& at, ByteSpan body);
  void on_reply(const FrameAt& at, ByteSpan body);
  void on_event(const FrameAt& at, ByteSpan body);
  void on_four_letter_word(const FrameAt& at, ByteSpan bytes);
  void on_tls_record(const FrameAt& at, ByteSpan record);
  void on_four_letter_answer(ByteSpan bytes);
  void report_four_letter_reply(std::int64_t ts_us);
  ZkMessage message_at(const FrameAt& at, ZkMessage::Body body);
  // What the field filters say of a request (or of a message that stands alone) ...
  Selection select(std::string_view op, std::string_view path) const;
  // ... of a reply, given its request's selection (or its op, when no request was seen) ...
  Selection select_reply(const Outstanding* request, std::string_view op, std::int32_t error,
                         std::int64_t latency_us) const;
  // ... and of a request still waiting, or never answered.
  bool selected_waiting(const Outstanding& request, std::int64_t waited_us) const;

  // Keeps the requests awaiting replies under their cap, reporting the oldest as unanswered.
  void make_room(std::int64_t ts_us);
  Outstanding& remember(std::int32_t xid, const zk::OpInfo* op, std::int64_t ts_us,
                        std::string_view path);
  // Where the request with this xid waits, or pending_.size() when none does.
  std::size_t find(std::int32_t xid) const;
  void report_unanswered(Outstanding& request, std::string_view reason, std::int64_t ts_us);

  ClientShared& shared_;
  std::list<ClientConversation*>::iterator registration_;
  Connection connection_;
  zk::Opening opening_ = zk::Opening::kUnknown;
  zk::ClientFrames frames_[2];
  Ring<Outstanding> pending_;  // its slots' paths keep their storage: remembering allocates nothing
  std::uint64_t next_seq_ = 0;
  // A four-letter word's exchange, on the rare connection that carries one.
  struct FourLetterExchange {
    std::string word;
    std::string answer;  // its first kMaxFourLetterText bytes
    std::uint64_t answer_bytes = 0;
    Selection selection = Selection::kYes;
  };
  std::unique_ptr<FourLetterExchange> four_letter_;
};

ClientConversation::ClientConversation(ClientShared& shared, Connection connection, bool from_start)
    : Conversation(shared.budget, from_start),
      shared_(shared),
      connection_(std::move(connection)),
      frames_{{Direction::kToServer, opening_, *this, shared.options.max_frame, from_start},
              {Direction::kToClient, opening_, *this, shared.options.max_frame, from_start}} {
  registration_ = shared_.conversations.insert(shared_.conversations.end(), this);
  shared_.sinks.open(connection_);
}

ClientConversation::~ClientConversation() {
  shared_.conversations.erase(registration_);
}

void ClientConversation::report_pending(std::int64_t now_us, std::int64_t after_us) {
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    Outstanding& request = pending_[i];
    if (elapsed_us(request.ts_us, now_us) < after_us) return;  // the rest came later still
    if (request.reported_pending) continue;
    request.reported_pending = true;
    shared_.sinks.pending({&connection_, &request, now_us,
                           selected_waiting(request, elapsed_us(request.ts_us, now_us))});
  }
}

void ClientConversation::ended(tcp::CloseReason reason, std::int64_t ts_us) {
  if (opening_ == zk::Opening::kFourLetterWord) report_four_letter_reply(ts_us);
  shared_.sinks.closing(connection_, reason, ts_us);
  while (!pending_.empty()) {
    report_unanswered(pending_.front(),
                      pending_.front().oversized ? "oversized" : tcp::close_reason_name(reason),
                      ts_us);
    pending_.pop_front();
  }
  shared_.sinks.close(connection_);
}

const zk::OpInfo* ClientConversation::awaited_op(std::int32_t xid) const {
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i].xid == xid && pending_[i].op != nullptr) return pending_[i].op;
  }
  return nullptr;
}

ZkMessage ClientConversation::message_at(const FrameAt& at, ZkMessage::Body body) {
  ZkMessage message;
  message.body = body;
  message.connection = &connection_;
  message.direction = at.direction;
  message.offset = at.offset;
  message.ts_us = at.ts_us;
  message.frame_size = at.size;
  return message;
}

Selection ClientConversation::select(std::string_view op, std::string_view path) const {
  return shared_.filter == nullptr ? Selection::kYes
                                   : shared_.filter->at_request(connection_, op, path);
}

Selection ClientConversation::select_reply(const Outstanding* request, std::string_view op,
                                           std::int32_t error, std::int64_t latency_us) const {
  if (shared_.filter == nullptr) return Selection::kYes;
  const Selection selection = request != nullptr ? request->selection : select(op, {});
  if (selection != Selection::kAtReply) return selection;
  return shared_.filter->at_reply(connection_, error, latency_us) ? Selection::kYes
                                                                  : Selection::kNo;
}

bool ClientConversation::selected_waiting(const Outstanding& request,
                                          std::int64_t waited_us) const {
  return request.selection == Selection::kYes ||
         (request.selection == Selection::kAtReply && shared_.filter->waited(waited_us));
}

void ClientConversation::on_message(Direction direction, ByteSpan bytes, std::uint8_t tag,
                                    std::uint64_t offset, std::int64_t ts_us) {
  const FrameAt at{direction, offset, ts_us,
                   bytes.size() >= zk::kLengthSize ? load_be32(bytes.data()) : 0};
  const ByteSpan body = bytes.subspan(std::min(bytes.size(), zk::kLengthSize));
  switch (static_cast<zk::FrameTag>(tag)) {
    case zk::FrameTag::kConnectRequest:
      return on_connect_request(at, body);
    case zk::FrameTag::kConnectResponse:
      return on_connect_response(at, body);
    case zk::FrameTag::kRequest:
      return on_request(at, body);
    case zk::FrameTag::kReply:
      return on_reply(at, body);
    case zk::FrameTag::kFourLetterWord:
      return on_four_letter_word(at, bytes);
    case zk::FrameTag::kRawText:
      if (direction == Direction::kToClient) on_four_letter_answer(bytes);
      return;
    case zk::FrameTag::kTlsRecord:
      return on_tls_record(at, bytes);
    case zk::FrameTag::kOpaque:
      return;
  }
}

void ClientConversation::on_problem(Direction direction, framing::Problem problem,
                                    std::uint64_t offset, std::int64_t count, std::int64_t ts_us) {
  StreamProblem report{&connection_, direction, problem, offset, count, ts_us};
  if (problem != framing::Problem::kOversized || direction != Direction::kToServer) {
    return shared_.sinks.problem(report);
  }
  // A request the server refuses, closing the connection: counted as one, its line is the
  // problem's, and it is reported unanswered as oversized when the connection ends.
  const ByteSpan head = frames_[index_of(direction)].oversized_head();
  const auto length = static_cast<std::int32_t>(std::min<std::int64_t>(count, INT32_MAX));
  const zk::Request request =
      zk::decode_request(head.subspan(std::min(head.size(), zk::kLengthSize)), length);
  if (request.op == nullptr) return shared_.sinks.problem(report);
  report.request = &request;
  shared_.sinks.problem(report);
  ++shared_.counters.requests;
  make_room(ts_us);
  ZkMessage message = message_at({direction, offset, ts_us, length}, std::cref(request));
  message.selection = select(request.op->json_name, request.facts.path.view());
  message.outstanding = &remember(request.xid, request.op, ts_us, request.facts.path.view());
  message.outstanding->selection = message.selection;
  message.outstanding->oversized = true;
  shared_.sinks.zk(message);
}

void ClientConversation::on_connect_request(const FrameAt& at, ByteSpan body) {
  ++shared_.counters.requests;
  make_room(at.ts_us);
  const zk::ConnectRequest request = zk::decode_connect_request(body);
  ZkMessage message = message_at(at, std::cref(request));
  if (!request.decoded.complete) {
    ++shared_.counters.undecodable_frames;
    shared_.sinks.zk(message);
    return;
  }
  if (request.session_id != 0) connection_.session = session_text(request.session_id);
  message.selection = select("connect", {});
  message.outstanding = &remember(0, nullptr, message.ts_us, {});
  message.outstanding->selection = message.selection;
  shared_.sinks.zk(message);
}

void ClientConversation::on_connect_response(const FrameAt& at, ByteSpan body) {
  const bool paired = !pending_.empty() && pending_.front().op == nullptr;
  const bool reconnect = !connection_.session.empty();
  const zk::ConnectResponse response = zk::decode_connect_response(body);
  ZkMessage message = message_at(at, std::cref(response));
  message.outstanding = paired ? &pending_.front() : nullptr;
  message.latency_us = paired ? elapsed_us(pending_.front().ts_us, message.ts_us) : -1;
  ++shared_.counters.replies;
  if (response.decoded.complete) {
    // An expired session's reply carries id 0: the connection still belongs to the old one.
    if (!response.expired()) connection_.session = session_text(response.session_id);
    message.session_change = response.expired() ? SessionChange::kExpired
                             : reconnect        ? SessionChange::kReconnected
                                                : SessionChange::kEstablished;
  } else {
    ++shared_.counters.undecodable_frames;
  }
  message.selection =
      select_reply(message.outstanding, "connect", response.error(), message.latency_us);
  shared_.sinks.zk(message);
  if (paired) pending_.pop_front();
}

void ClientConversation::on_request(const FrameAt& at, ByteSpan body) {
  const zk::Request request = zk::decode_request(body, at.size);
  ZkMessage message = message_at(at, std::cref(request));
  if (request.op == nullptr) {  // an opcode the protocol does not have: nothing to pair with
    ++shared_.counters.undecodable_frames;
    shared_.sinks.zk(message);
    return;
  }
  ++shared_.counters.requests;
  if (!request.decoded.complete) ++shared_.counters.undecodable_frames;
  make_room(message.ts_us);
  message.selection = select(request.op->json_name, request.facts.path.view());
  message.outstanding =
      &remember(request.xid, request.op, message.ts_us, request.facts.path.view());
  message.outstanding->selection = message.selection;
  shared_.sinks.zk(message);
}

void ClientConversation::on_event(const FrameAt& at, ByteSpan body) {
  ++shared_.counters.events;
  const zk::WatcherEvent event = zk::decode_event(body, at.size);
  if (!event.decoded.complete) ++shared_.counters.undecodable_frames;
  ZkMessage message = message_at(at, std::cref(event));
  // An event is neither an error nor slow: a filter on those leaves it out.
  const Selection selection = select("notification", event.path.view());
  message.selection = selection == Selection::kAtReply ? Selection::kNo : selection;
  shared_.sinks.zk(message);
}

void ClientConversation::on_reply(const FrameAt& at, ByteSpan body) {
  const zk::ReplyHeader header = zk::decode_reply_header(body);
  if (header.xid == zk::kNotificationXid) return on_event(at, body);
  const std::size_t waiting = find(header.xid);
  Outstanding* request = waiting < pending_.size() ? &pending_[waiting] : nullptr;
  const zk::OpInfo* op = request != nullptr ? request->op : zk::op_for_reserved_xid(header.xid);
  if (op == nullptr) ++shared_.counters.unknown_replies;
  ++shared_.counters.replies;
  const zk::Reply reply = zk::decode_reply(body, at.size, op);
  if (!reply.decoded.complete) ++shared_.counters.undecodable_frames;
  ZkMessage message = message_at(at, std::cref(reply));
  message.outstanding = request;
  message.latency_us = request != nullptr ? elapsed_us(request->ts_us, message.ts_us) : -1;
  if (request != nullptr && op != nullptr && op->code == zk::kOpCloseSession) {
    message.session_change = SessionChange::kClosed;
  }
  // --errors keeps failures: an exists answered NoNode is an answer (zk::is_failure).
  const std::int32_t failure =
      op != nullptr && !zk::is_failure(op->code, reply.error()) ? 0 : reply.error();
  message.selection =
      select_reply(request, op != nullptr ? op->json_name : "unknown", failure, message.latency_us);
  shared_.sinks.zk(message);
  if (request != nullptr) pending_.erase(waiting);
}

void ClientConversation::on_four_letter_word(const FrameAt& at, ByteSpan bytes) {
  if (four_letter_ == nullptr) four_letter_ = std::make_unique<FourLetterExchange>();
  four_letter_->word = zk::four_letter_word(bytes.data());
  ++shared_.counters.requests;
  ZkMessage message = message_at(at, FourLetterWord{four_letter_->word});
  // Not a ZooKeeper op: neither an error nor a latency can select it.
  four_letter_->selection = select({}, {}) == Selection::kYes ? Selection::kYes : Selection::kNo;
  message.selection = four_letter_->selection;
  shared_.sinks.zk(message);
}

void ClientConversation::on_tls_record(const FrameAt& at, ByteSpan record) {
  const tls::ClientHello hello = tls::decode_client_hello(record);
  const ZkMessage message =
      hello.is_client_hello ? message_at(at, std::cref(hello)) : message_at(at, OtherTlsRecord{});
  shared_.sinks.zk(message);
}

void ClientConversation::on_four_letter_answer(ByteSpan bytes) {
  if (four_letter_ == nullptr) four_letter_ = std::make_unique<FourLetterExchange>();
  four_letter_->answer_bytes += bytes.size();
  const std::size_t room =
      kMaxFourLetterText - std::min(kMaxFourLetterText, four_letter_->answer.size());
  four_letter_->answer.append(reinterpret_cast<const char*>(bytes.data()),
                              std::min(room, bytes.size()));
}

// The server's raw answer to a four-letter word, once the connection ended.
void ClientConversation::report_four_letter_reply(std::int64_t ts_us) {
  ++shared_.counters.replies;
  FourLetterReply reply;
  if (four_letter_ != nullptr) {
    reply = {four_letter_->word, four_letter_->answer, four_letter_->answer_bytes};
  }
  ZkMessage message = message_at({Direction::kToClient, 0, ts_us, 0}, reply);
  if (four_letter_ != nullptr) message.selection = four_letter_->selection;
  shared_.sinks.zk(message);
}

void ClientConversation::make_room(std::int64_t ts_us) {
  if (pending_.size() < shared_.options.max_pending_per_connection) return;
  report_unanswered(pending_.front(), "pending-limit", ts_us);
  pending_.pop_front();
}

Outstanding& ClientConversation::remember(std::int32_t xid, const zk::OpInfo* op,
                                          std::int64_t ts_us, std::string_view path) {
  Outstanding& request = pending_.push_back();
  request.xid = xid;
  request.op = op;
  request.ts_us = ts_us;
  request.seq = next_seq_++;
  request.reported_pending = false;
  request.oversized = false;
  const std::string_view kept = path.substr(0, kMaxRememberedPath);
  request.path.resize(kept.size());  // within the slot's storage, once it has grown
  copy_bytes(request.path.data(), kept);
  request.slots = {};
  return request;
}

std::size_t ClientConversation::find(std::int32_t xid) const {
  // Replies come back in request order, so the match is almost always the oldest entry.
  std::size_t at = 0;
  while (at < pending_.size() && pending_[at].xid != xid) ++at;
  return at;
}

void ClientConversation::report_unanswered(Outstanding& request, std::string_view reason,
                                           std::int64_t ts_us) {
  ++shared_.counters.unanswered;  // pings too: they are counted among the requests
  shared_.sinks.unanswered({&connection_, &request, reason, ts_us,
                            selected_waiting(request, elapsed_us(request.ts_us, ts_us))});
}

std::unique_ptr<tcp::StreamHandler> ClientSessions::open(const net::Endpoint& client,
                                                         const net::Endpoint& server,
                                                         bool from_start, std::int64_t) {
  return std::make_unique<ClientConversation>(
      shared_, make_connection(Protocol::kZooKeeper, client, server), from_start);
}

void ClientSessions::report_pending(std::int64_t now_us, std::int64_t after_us) {
  for (ClientConversation* conversation : shared_.conversations) {
    conversation->report_pending(now_us, after_us);
  }
}

OldestPending ClientSessions::oldest_pending() const {
  OldestPending oldest;
  for (const ClientConversation* conversation : shared_.conversations) {
    const Outstanding* request = conversation->oldest_pending();
    if (request != nullptr &&
        (oldest.request == nullptr || request->ts_us < oldest.request->ts_us)) {
      oldest = {&conversation->connection(), request};
    }
  }
  return oldest;
}

}  // namespace zkdump::session
