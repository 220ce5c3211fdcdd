#include "conversation.hpp"

#include "zkdump/session/elapsed.hpp"

namespace zkdump::session {
namespace {

constexpr std::size_t kMaxRememberedPath = 512;

zk::Direction direction_of(tcp::Side side) {
  return side == tcp::Side::kClientToServer ? zk::Direction::kToServer : zk::Direction::kToClient;
}

// A reply to a reserved xid names its op even when its request was not captured.
const zk::OpInfo* op_for_reserved_xid(std::int32_t xid) {
  switch (xid) {
    case zk::kPingXid:
      return zk::find_op(zk::kOpPing);
    case zk::kAuthXid:
      return zk::find_op(zk::kOpAuth);
    case zk::kSetWatchesXid:
      return zk::find_op(zk::kOpSetWatches);
    default:
      return nullptr;
  }
}

}  // namespace

Conversation::Conversation(Tracker& tracker, const net::Endpoint& client,
                           const net::Endpoint& server, bool from_start)
    : tracker_(tracker), framer_(tracker.options_.framer, tracker.budget_, from_start) {
  peer_.client = output::format_endpoint(client);
  peer_.server = output::format_endpoint(server);
  if (tracker_.observer_ != nullptr)
    observer_connection_ = tracker_.observer_->on_connection(peer_.client);
}

void Conversation::on_data(tcp::Side side, tcp::ByteSpan bytes, std::int64_t ts_us) {
  framer_.consume(direction_of(side), bytes, ts_us, *this);
}

void Conversation::on_gap(tcp::Side side, std::uint64_t missing_bytes, std::int64_t ts_us) {
  framer_.gap(direction_of(side), missing_bytes, ts_us, *this);
}

void Conversation::on_close(tcp::CloseReason reason, std::int64_t ts_us) {
  framer_.finish(ts_us, *this);
  if (reason == tcp::CloseReason::kEvicted || reason == tcp::CloseReason::kIdle) {
    emit(tracker_.printer_.connection_evicted(
        peer_, reason == tcp::CloseReason::kEvicted ? "capacity" : "idle", ts_us));
  }
  while (!pending_.empty()) {
    Pending request = std::move(pending_.front());
    pending_.pop_front();
    report_unanswered(std::move(request), tcp::close_reason_name(reason), ts_us);
  }
  flush_ready();
}

void Conversation::recycle(std::string&& text) {
  text.clear();
  spare_strings_.push_back(std::move(text));
}

std::string Conversation::spare_string() {
  if (spare_strings_.empty()) return {};
  std::string text = std::move(spare_strings_.back());
  spare_strings_.pop_back();
  return text;
}

void Conversation::hold(std::string_view line, bool awaiting_reply) {
  HeldLine held;
  held.text = spare_string();
  held.text.assign(line);
  held.awaiting_reply = awaiting_reply;
  held_.push_back(std::move(held));
}

void Conversation::emit(std::string_view line) {
  if (held_.empty()) {
    tracker_.print(line);
  } else {
    hold(line, false);
  }
}

void Conversation::flush_ready() {
  while (!held_.empty() && !held_.front().awaiting_reply) {
    tracker_.print(held_.front().text);
    recycle(std::move(held_.front().text));
    held_.pop_front();
    ++first_held_id_;
  }
}

void Conversation::make_room_for_request(std::int64_t ts_us) {
  if (pending_.size() < tracker_.options_.max_pending_per_connection) return;
  Pending oldest = std::move(pending_.front());
  pending_.pop_front();
  report_unanswered(std::move(oldest), "pending-limit", ts_us);
}

void Conversation::remember(std::int32_t xid, const zk::OpInfo* op, std::int64_t ts_us,
                            const zk::WireBytes& path, std::string_view line, bool visible,
                            void* observer_handle) {
  Pending request;
  request.observer_handle = observer_handle;
  request.xid = xid;
  request.op = op;
  request.ts_us = ts_us;
  request.path = spare_string();
  request.path.assign(path.view().substr(0, kMaxRememberedPath));
  if (visible) {
    if (tracker_.options_.paired) {
      request.holds_line = true;
      request.line_id = first_held_id_ + held_.size();
      hold(line, true);
    } else {
      tracker_.print(line);
    }
  }
  pending_.push_back(std::move(request));
}

MessageFacts Conversation::facts_of(const zk::Frame& frame, std::string_view type_name,
                                    std::string_view path) const {
  return {peer_.client,
          type_name,
          path,
          frame.ts_us,
          static_cast<std::int64_t>(frame.length) + 4,
          observer_connection_};
}

const zk::OpInfo* Conversation::awaited_op(std::int32_t xid) const {
  for (const Pending& request : pending_) {
    if (request.xid == xid && request.op != nullptr) return request.op;
  }
  return nullptr;
}

bool Conversation::take_pending(std::int32_t xid, Pending& found) {
  // Replies come back in request order, so the match is almost always the oldest entry.
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->xid == xid) {
      found = std::move(*it);
      pending_.erase(it);
      return true;
    }
  }
  return false;
}

void Conversation::complete(Pending&& request, std::string_view reply_line, bool visible) {
  recycle(std::move(request.path));
  if (!request.holds_line) {
    if (visible) emit(reply_line);
    return;
  }
  HeldLine& held = held_[request.line_id - first_held_id_];
  if (visible) held.text.append(reply_line);
  held.awaiting_reply = false;
  flush_ready();
}

void Conversation::report_unanswered(Pending&& request, std::string_view reason,
                                     std::int64_t ts_us) {
  if (tracker_.observer_ != nullptr) {
    tracker_.observer_->on_unanswered(request.op != nullptr ? request.op->json_name : "connect");
  }
  const bool is_ping = request.op != nullptr && request.op->code == zk::kOpPing;
  if (!is_ping || tracker_.options_.include_pings) {
    ++tracker_.counters_.unanswered;
    const std::string_view line = tracker_.printer_.unanswered(
        peer_, request.op, request.xid, request.path, request.ts_us, reason, ts_us);
    complete(std::move(request), line, true);
  } else {
    complete(std::move(request), {}, false);
  }
}

void Conversation::on_frame(const zk::Frame& frame) {
  switch (frame.kind) {
    case zk::FrameKind::kConnectRequest: {
      ++tracker_.counters_.connects;
      make_room_for_request(frame.ts_us);
      zk::ConnectFacts facts;
      bool decoded = false;
      const std::string_view line = tracker_.printer_.connect_request(peer_, frame, facts, decoded);
      if (!decoded) {
        ++tracker_.counters_.undecodable_frames;
        emit(line);
        return;
      }
      if (facts.session_id != 0) peer_.session = fmt::format("0x{:x}", facts.session_id);
      reconnecting_ = facts.session_id != 0;
      void* handle = nullptr;
      if (MessageObserver* observer = tracker_.observer_) {
        handle = observer->on_request(
            "connect", facts_of(frame, reconnecting_ ? "ReConnectRequest" : "ConnectRequest", {}));
      }
      remember(0, nullptr, frame.ts_us, {}, line, true, handle);
      return;
    }
    case zk::FrameKind::kConnectResponse: {
      Pending request;
      const bool paired =
          !pending_.empty() && pending_.front().op == nullptr && take_pending(0, request);
      zk::ConnectFacts facts;
      bool decoded = false;
      const std::int64_t latency = paired ? elapsed_us(request.ts_us, frame.ts_us) : -1;
      const std::string_view line =
          tracker_.printer_.connect_response(peer_, frame, latency, facts, decoded);
      if (decoded) {
        ++tracker_.counters_.replies;
        peer_.session =
            facts.session_id != 0 ? fmt::format("0x{:x}", facts.session_id) : std::string();
        if (MessageObserver* observer = tracker_.observer_) {
          observer->on_reply(
              "connect", 0, latency,
              facts_of(frame, reconnecting_ ? "ReConnectRequest" : "ConnectRequest", {}),
              paired ? request.observer_handle : nullptr);
          observer->on_session(facts.timeout <= 0 ? SessionChange::kExpired
                               : reconnecting_    ? SessionChange::kReconnected
                                                  : SessionChange::kEstablished);
        }
      } else {
        ++tracker_.counters_.undecodable_frames;
      }
      if (paired) {
        complete(std::move(request), line, true);
      } else {
        emit(line);
      }
      return;
    }
    case zk::FrameKind::kRequest:
      on_request(frame);
      return;
    case zk::FrameKind::kReply:
      on_reply(frame);
      return;
  }
}

void Conversation::on_request(const zk::Frame& frame) {
  zk::Reader header(frame.body);
  const std::int32_t xid = header.int32();
  const std::int32_t type = header.int32();
  const zk::OpInfo* op = zk::find_op(type);
  if (op == nullptr) {
    ++tracker_.counters_.undecodable_frames;
    emit(tracker_.printer_.unknown_request(peer_, xid, type, frame));
    return;
  }
  ++tracker_.counters_.requests;
  make_room_for_request(frame.ts_us);  // before formatting: reporting reuses the printer's line
  zk::RequestFacts facts;
  bool decoded = false;
  const std::string_view line = tracker_.printer_.request(peer_, *op, xid, frame, facts, decoded);
  if (!decoded) ++tracker_.counters_.undecodable_frames;
  const bool visible = op->code != zk::kOpPing || tracker_.options_.include_pings;
  void* handle = nullptr;
  if (MessageObserver* observer = tracker_.observer_) {
    const std::string_view type_name =
        facts.name_override.empty() ? op->request_name : facts.name_override;
    handle = observer->on_request(op->json_name, facts_of(frame, type_name, facts.path.view()));
    if (op->code == zk::kOpAuth) observer->on_auth(facts.auth_scheme.view());
    if (op->code == zk::kOpSasl) observer->on_auth("sasl");
  }
  remember(xid, op, frame.ts_us, facts.path, line, visible, handle);
}

void Conversation::on_reply(const zk::Frame& frame) {
  zk::Reader header_reader(frame.body);
  output::ReplyHeader header;
  header.xid = header_reader.int32();
  header.zxid = header_reader.int64();
  header.err = header_reader.int32();
  bool decoded = false;
  if (header.xid == zk::kNotificationXid) {
    ++tracker_.counters_.events;
    if (MessageObserver* observer = tracker_.observer_) {
      zk::Reader reader(frame.body.subspan(zk::kReplyHeaderSize));
      const zk::WatcherEvent event = zk::decode_watcher_event(reader);
      if (reader.complete()) {
        const std::string_view name = zk::event_type_name(event.type);
        observer->on_event(event.type,
                           facts_of(frame, name.empty() ? "Unknown" : name, event.path.view()));
      }
    }
    const std::string_view line = tracker_.printer_.event(peer_, header, frame, decoded);
    if (!decoded) ++tracker_.counters_.undecodable_frames;
    emit(line);
    return;
  }
  Pending request;
  const bool paired = take_pending(header.xid, request);
  const zk::OpInfo* op = paired ? request.op : op_for_reserved_xid(header.xid);
  const std::int64_t latency = paired ? elapsed_us(request.ts_us, frame.ts_us) : -1;
  if (op == nullptr) ++tracker_.counters_.unknown_replies;
  ++tracker_.counters_.replies;
  if (MessageObserver* observer = tracker_.observer_) {
    observer->on_reply(
        op != nullptr ? op->json_name : std::string_view(), header.err, latency,
        facts_of(frame, op != nullptr ? op->request_name : std::string_view("UnknownReply"),
                 paired ? std::string_view(request.path) : std::string_view()),
        paired ? request.observer_handle : nullptr);
    if (paired && op != nullptr && op->code == zk::kOpCloseSession)
      observer->on_session(SessionChange::kClosed);
  }
  const std::string_view line = tracker_.printer_.reply(peer_, op, header, frame, latency, decoded);
  if (!decoded) ++tracker_.counters_.undecodable_frames;
  const bool visible = header.xid != zk::kPingXid || tracker_.options_.include_pings;
  if (paired) {
    complete(std::move(request), line, visible);
  } else if (visible) {
    emit(line);
  }
}

void Conversation::on_stream_event(zk::Direction direction, zk::StreamEvent event,
                                   std::uint64_t stream_offset, std::int64_t count,
                                   std::int64_t ts_us) {
  ++tracker_.counters_.stream_events[static_cast<int>(event)];
  emit(tracker_.printer_.stream_event(peer_, direction, event, stream_offset, count, ts_us));
}

void Conversation::on_four_letter_word(std::string_view word, std::int64_t ts_us) {
  four_letter_word_.assign(word);
  ++tracker_.counters_.requests;
  emit(tracker_.printer_.four_letter_word(peer_, word, ts_us));
}

void Conversation::on_four_letter_reply(std::uint64_t bytes, std::int64_t ts_us) {
  ++tracker_.counters_.replies;
  emit(tracker_.printer_.four_letter_reply(peer_, four_letter_word_, bytes, ts_us));
}

}  // namespace zkdump::session
