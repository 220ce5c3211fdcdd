#include "zkdump/output/message_printer.hpp"

#include <arpa/inet.h>

namespace zkdump::output {
namespace {

constexpr std::string_view kReplyArrow = "————►";

std::string_view direction_name(zk::Direction direction) {
  return direction == zk::Direction::kToServer ? "to_server" : "to_client";
}

// Which count a stream event carries: a byte count, or a frame length from the wire.
std::string_view count_key(zk::StreamEvent event) {
  switch (event) {
    case zk::StreamEvent::kFrameLostInGap:
    case zk::StreamEvent::kOversizedFrame:
    case zk::StreamEvent::kBadLength:
      return "length";
    case zk::StreamEvent::kUnexpectedHandshake:
      return "first_word";
    case zk::StreamEvent::kTls:
      return "";
    default:
      return "bytes";
  }
}

zk::WireBytes as_wire(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), false};
}

}  // namespace

std::string format_endpoint(const net::Endpoint& endpoint) {
  char address[INET6_ADDRSTRLEN] = {};
  if (endpoint.address.family == 4) {
    inet_ntop(AF_INET, endpoint.address.bytes, address, sizeof address);
    return fmt::format("{}:{}", address, endpoint.port);
  }
  inet_ntop(AF_INET6, endpoint.address.bytes, address, sizeof address);
  return fmt::format("[{}]:{}", address, endpoint.port);
}

// Fields go straight into the line, after its name (text) or its leading members (JSON).
zk::FieldWriter MessagePrinter::writer() {
  fields_start_ = line_.size();
  if (options_.discard) return zk::FieldWriter(zk::FieldStyle::kDiscard, nullptr, nullptr);
  if (options_.json) return zk::FieldWriter(zk::FieldStyle::kJson, &line_, &line_, true);
  return zk::FieldWriter(zk::FieldStyle::kText, &line_, options_.verbose ? &extras_ : nullptr);
}

void MessagePrinter::begin(std::int64_t ts_us, bool reply_arrow, std::string_view kind,
                           std::string_view op) {
  line_.clear();
  extras_.clear();
  if (options_.discard) return;
  if (options_.json) {
    line_.append(std::string_view("{\"ts\":"));
    TimestampFormatter::append_epoch(line_, ts_us);
    line_.append(std::string_view(",\"kind\":\""));
    line_.append(kind);
    line_.append(std::string_view("\",\"op\":\""));
    line_.append(op);
    line_.push_back('"');
    return;
  }
  if (reply_arrow) line_.append(kReplyArrow);
  timestamps_.append(line_, ts_us);
}

void MessagePrinter::text_name(std::string_view prefix, std::string_view name) {
  if (options_.json || options_.discard) return;
  name_start_ = line_.size();
  line_.append(prefix);
  line_.append(name);
  name_end_ = line_.size();
  line_.push_back('(');
}

// A name the record itself decides (CreateEphemeralRequest, ReConnectRequest, SessionExpiration):
// rare, so the fields already written move instead of every line being built twice.
void MessagePrinter::rename(std::string_view prefix, std::string_view name) {
  if (options_.json || options_.discard) return;
  const std::string tail(line_.data() + name_end_, line_.size() - name_end_);
  line_.resize(name_start_);
  line_.append(prefix);
  line_.append(name);
  name_end_ = line_.size();
  line_.append(tail);
}

void MessagePrinter::end(const Peer& peer, bool with_client, bool with_server) {
  if (options_.discard) return;
  if (options_.json) {
    line_.append(std::string_view(",\"client\":\""));
    line_.append(peer.client);
    line_.append(std::string_view("\",\"server\":\""));
    line_.append(peer.server);
    line_.push_back('"');
    if (!peer.session.empty()) {
      line_.append(std::string_view(",\"session\":\""));
      line_.append(peer.session);
      line_.push_back('"');
    }
    line_.append(std::string_view("}\n"));
    return;
  }
  std::string_view separator = line_.size() > fields_start_ ? ", " : "";
  if (with_client) {
    line_.append(separator);
    line_.append(std::string_view("client="));
    line_.append(peer.client);
    separator = ", ";
  }
  if (with_server) {
    line_.append(separator);
    line_.append(std::string_view("server="));
    line_.append(peer.server);
  }
  line_.append(extras_);
  if (options_.verbose && !peer.session.empty()) {
    line_.append(std::string_view(", session="));
    line_.append(peer.session);
  }
  line_.append(std::string_view(")\n"));
}

zk::FieldWriter MessagePrinter::quorum_begin(std::int64_t ts_us, std::string_view proto,
                                             std::string_view name) {
  begin(ts_us, false, "quorum", name);
  text_name("", name);
  if (options_.json && !options_.discard) {
    line_.append(std::string_view(",\"proto\":\""));
    line_.append(proto);
    line_.push_back('"');
  }
  return writer();
}

std::string_view MessagePrinter::quorum_end(std::string_view from, std::string_view to) {
  if (options_.discard) return {};
  if (options_.json) {
    line_.append(std::string_view(",\"from\":\""));
    line_.append(from);
    line_.append(std::string_view("\",\"to\":\""));
    line_.append(to);
    line_.append(std::string_view("\"}\n"));
    return finish_line();
  }
  line_.append(std::string_view(line_.size() > fields_start_ ? ", from=" : "from="));
  line_.append(from);
  line_.append(std::string_view(", to="));
  line_.append(to);
  line_.append(extras_);
  line_.append(std::string_view(")\n"));
  return finish_line();
}

std::string_view MessagePrinter::finish_line() {
  return {line_.data(), line_.size()};
}

std::string_view MessagePrinter::undecodable(const Peer& peer, const zk::Frame& frame,
                                             std::string_view what, std::int32_t xid,
                                             std::string_view op, long failure_offset) {
  const bool reply = frame.direction == zk::Direction::kToClient;
  begin(frame.ts_us, reply, "error", op);
  text_name("Undecodable", what);
  zk::FieldWriter w = writer();
  if (options_.json) w.name("error", fmt::format("Undecodable{}", what));
  w.number("xid", xid);
  w.number("size", frame.length);
  w.number("offset", static_cast<std::int64_t>(frame.stream_offset));
  // Where in the frame the record stopped making sense: 4 bytes of length prefix, then the body.
  w.number("bad_byte", 4 + failure_offset);
  end(peer, !reply, reply);
  return finish_line();
}

std::string_view MessagePrinter::connect_request(const Peer& peer, const zk::Frame& frame,
                                                 zk::ConnectFacts& facts, bool& decoded) {
  begin(frame.ts_us, false, "request", "connect");
  text_name("", "ConnectRequest");
  zk::Reader reader(frame.body);
  zk::FieldWriter w = writer();
  facts = zk::decode_connect_request(reader, w);
  decoded = reader.complete();
  if (!decoded)
    return undecodable(peer, frame, "ConnectRequest", 0, "connect", reader.failure_offset());
  if (facts.session_id != 0) rename("Re", "ConnectRequest");
  if (options_.json) w.boolean("reconnect", facts.session_id != 0);
  end(peer, true, false);
  return finish_line();
}

std::string_view MessagePrinter::connect_response(const Peer& peer, const zk::Frame& frame,
                                                  std::int64_t latency_us, zk::ConnectFacts& facts,
                                                  bool& decoded) {
  begin(frame.ts_us, true, "reply", "connect");
  text_name("", "ConnectReply");
  zk::Reader reader(frame.body);
  zk::FieldWriter w = writer();
  facts = zk::decode_connect_response(reader, w);
  decoded = reader.complete();
  if (!decoded)
    return undecodable(peer, frame, "ConnectReply", 0, "connect", reader.failure_offset());
  const bool expired = facts.timeout <= 0;
  if (expired) rename("", "SessionExpiration");
  w.begin_extras();
  w.boolean("expired", expired);
  if (latency_us >= 0) w.number("latency_us", latency_us);
  w.end_extras();
  end(peer, false, true);
  return finish_line();
}

std::string_view MessagePrinter::request(const Peer& peer, const zk::OpInfo& op, std::int32_t xid,
                                         const zk::Frame& frame, zk::RequestFacts& facts,
                                         bool& decoded) {
  begin(frame.ts_us, false, "request", op.json_name);
  text_name("", op.request_name);
  zk::Reader reader(frame.body.subspan(zk::kRequestHeaderSize));
  zk::FieldWriter w = writer();
  const zk::RequestContext context{xid, frame.length, false, options_.show_credentials};
  op.decode_request(reader, context, w, facts);
  decoded = reader.complete();
  if (!decoded) {
    return undecodable(peer, frame, "Request", xid, op.json_name,
                       static_cast<long>(zk::kRequestHeaderSize) + reader.failure_offset());
  }
  if (!facts.name_override.empty()) rename("", facts.name_override);
  end(peer, true, op.code == zk::kOpCloseSession);
  return finish_line();
}

std::string_view MessagePrinter::reply(const Peer& peer, const zk::OpInfo* op,
                                       const ReplyHeader& header, const zk::Frame& frame,
                                       std::int64_t latency_us, bool& decoded) {
  begin(frame.ts_us, true, op != nullptr ? "reply" : "unknown_reply",
        op != nullptr ? op->json_name : "unknown");
  if (op == nullptr) {
    text_name("", "UnknownReply");
  } else {
    text_name(header.err != 0 ? "Failed" : "", op->reply_name);
  }
  zk::FieldWriter w = writer();
  w.number("xid", header.xid);
  w.number("zxid", header.zxid);
  w.number(options_.json ? "err" : "error", header.err);
  w.begin_extras();
  const std::string_view err_name = zk::error_name(header.err);
  w.name("err_name", err_name.empty() ? "Unknown" : err_name);
  if (latency_us >= 0) w.number("latency_us", latency_us);
  w.end_extras();

  const zk::ByteSpan body = frame.body.subspan(zk::kReplyHeaderSize);
  decoded = true;
  if (op == nullptr) {
    w.number("size", frame.length);
  } else if (header.err == 0 && !body.empty()) {
    zk::Reader reader(body);
    op->decode_reply(reader, w);
    decoded = reader.complete();
    if (!decoded) {
      return undecodable(peer, frame, "Reply", header.xid, op->json_name,
                         static_cast<long>(zk::kReplyHeaderSize) + reader.failure_offset());
    }
  } else if (!body.empty()) {
    // Failures usually carry no body; SASL ones do. Its size is shown, its bytes are not.
    w.begin_extras();
    w.number("body_size", static_cast<std::int64_t>(body.size()));
    w.end_extras();
  }
  end(peer, false, true);
  return finish_line();
}

std::string_view MessagePrinter::event(const Peer& peer, const ReplyHeader& header,
                                       const zk::Frame& frame, bool& decoded) {
  begin(frame.ts_us, false, "event", "notification");
  zk::Reader reader(frame.body.subspan(zk::kReplyHeaderSize));
  const zk::WatcherEvent event = zk::decode_watcher_event(reader);
  decoded = reader.complete();
  if (!decoded) {
    return undecodable(peer, frame, "Event", header.xid, "notification",
                       static_cast<long>(zk::kReplyHeaderSize) + reader.failure_offset());
  }
  const std::string_view type_name = zk::event_type_name(event.type);
  text_name("Event", type_name.empty() ? "Unknown" : type_name);
  zk::FieldWriter w = writer();
  if (options_.json) w.name("event", type_name.empty() ? "Unknown" : type_name);
  if (type_name.empty() || options_.json) w.number("type", event.type);
  w.number("state", event.state);
  w.bytes("path", event.path);
  w.begin_extras();
  const std::string_view state_name = zk::keeper_state_name(event.state);
  w.name("state_name", state_name.empty() ? "Unknown" : state_name);
  w.number("zxid", header.zxid);
  w.end_extras();
  end(peer, true, true);
  return finish_line();
}

std::string_view MessagePrinter::unknown_request(const Peer& peer, std::int32_t xid,
                                                 std::int32_t opcode, const zk::Frame& frame) {
  begin(frame.ts_us, false, "request", "unknown");
  text_name("", "UnknownRequest");
  zk::FieldWriter w = writer();
  w.number("xid", xid);
  w.number("opcode", opcode);
  w.number("size", frame.length);
  w.number("offset", static_cast<std::int64_t>(frame.stream_offset));
  end(peer, true, false);
  return finish_line();
}

std::string_view MessagePrinter::stream_event(const Peer& peer, zk::Direction direction,
                                              zk::StreamEvent event, std::uint64_t offset,
                                              std::int64_t count, std::int64_t ts_us) {
  const std::string_view name = zk::stream_event_name(event);
  begin(ts_us, false, "error", "stream");
  text_name("", name);
  zk::FieldWriter w = writer();
  if (options_.json) w.name("error", name);
  w.name("direction", direction_name(direction));
  w.number("offset", static_cast<std::int64_t>(offset));
  const std::string_view key = count_key(event);
  if (!key.empty()) w.number(key, count);
  end(peer, true, true);
  return finish_line();
}

std::string_view MessagePrinter::four_letter_word(const Peer& peer, std::string_view word,
                                                  std::int64_t ts_us) {
  begin(ts_us, false, "request", "fourLetterWord");
  text_name("", "FourLetterWord");
  zk::FieldWriter w = writer();
  w.name("cmd", word);
  end(peer, true, true);
  return finish_line();
}

std::string_view MessagePrinter::four_letter_reply(const Peer& peer, std::string_view word,
                                                   std::uint64_t bytes, std::int64_t ts_us) {
  begin(ts_us, true, "reply", "fourLetterWord");
  text_name("", "FourLetterReply");
  zk::FieldWriter w = writer();
  w.name("cmd", word);
  w.number("size", static_cast<std::int64_t>(bytes));
  end(peer, false, true);
  return finish_line();
}

std::string_view MessagePrinter::capture_drops(std::string_view interface, std::uint64_t new_drops,
                                               std::uint64_t total, std::int64_t ts_us) {
  begin(ts_us, false, "error", "capture");
  text_name("", "KernelDrops");
  zk::FieldWriter w = writer();
  if (options_.json) w.name("error", "KernelDrops");
  w.number("dropped", static_cast<std::int64_t>(new_drops));
  w.number("total", static_cast<std::int64_t>(total));
  w.bytes("interface", as_wire(interface));
  end_without_peer();
  return finish_line();
}

std::string_view MessagePrinter::truncated_packet(std::uint32_t captured, std::uint32_t wire_length,
                                                  std::int64_t ts_us) {
  begin(ts_us, false, "error", "capture");
  text_name("", "TruncatedPacket");
  zk::FieldWriter w = writer();
  if (options_.json) w.name("error", "TruncatedPacket");
  w.number("captured", captured);
  w.number("wire", wire_length);
  end_without_peer();
  return finish_line();
}

std::string_view MessagePrinter::connection_evicted(const Peer& peer, std::string_view reason,
                                                    std::int64_t ts_us) {
  begin(ts_us, false, "error", "connection");
  text_name("", "ConnectionEvicted");
  zk::FieldWriter w = writer();
  if (options_.json) w.name("error", "ConnectionEvicted");
  w.name("reason", reason);
  end(peer, true, true);
  return finish_line();
}

void MessagePrinter::end_without_peer() {
  if (options_.discard) return;
  line_.append(options_.json ? std::string_view("}\n") : std::string_view(")\n"));
}

std::string_view MessagePrinter::unanswered(const Peer& peer, const zk::OpInfo* op,
                                            std::int32_t xid, std::string_view path,
                                            std::int64_t request_ts_us, std::string_view reason,
                                            std::int64_t ts_us) {
  const std::string_view op_name = op != nullptr ? op->json_name : "connect";
  begin(options_.json ? request_ts_us : ts_us, true, "unanswered", op_name);
  text_name("", "Unanswered");
  zk::FieldWriter w = writer();
  w.number("xid", xid);
  if (!options_.json) w.name("op", op_name);
  if (!path.empty()) w.bytes("path", as_wire(path));
  w.number("waited_us", ts_us - request_ts_us);
  w.name("reason", reason);
  end(peer, true, true);
  return finish_line();
}

}  // namespace zkdump::output
