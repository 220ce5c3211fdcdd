#include "zkdump/zk/messages.hpp"

#include "records.hpp"

namespace zkdump::zk {
namespace {

// Where a record that failed stopped making sense, counted from the frame's first byte.
Decoded outcome(const Reader& reader, std::size_t record_start) {
  if (reader.complete()) return {true, -1};
  const std::int64_t failed_at =
      reader.ok() ? static_cast<std::int64_t>(reader.offset()) : reader.failure_offset();
  return {false, static_cast<std::int64_t>(kLengthSize + record_start) + failed_at};
}

ByteSpan after(ByteSpan body, std::size_t header) {
  return body.size() >= header ? body.subspan(header) : ByteSpan();
}

}  // namespace

ConnectRequest decode_connect_request(ByteSpan body) {
  Reader reader(body);
  ConnectRequest request;
  request.protocol_version = reader.int32();
  request.last_zxid = reader.int64();
  request.timeout = reader.int32();
  request.session_id = reader.int64();
  reader.bytes();  // the session password is a secret and is never shown
  if (!reader.at_end()) request.read_only = reader.boolean();
  request.decoded = outcome(reader, 0);
  return request;
}

ConnectResponse decode_connect_response(ByteSpan body) {
  Reader reader(body);
  ConnectResponse response;
  response.protocol_version = reader.int32();
  response.timeout = reader.int32();
  response.session_id = reader.int64();
  reader.bytes();
  if (!reader.at_end()) response.read_only = reader.boolean();
  response.decoded = outcome(reader, 0);
  return response;
}

Request decode_request(ByteSpan body, std::int32_t frame_size) {
  Request request;
  request.frame_size = frame_size;
  Reader header(body);
  request.xid = header.int32();
  request.opcode = header.int32();
  request.op = find_op(request.opcode);
  request.body = after(body, kRequestHeaderSize);
  if (!header.ok() || request.op == nullptr) {
    request.decoded = {false, static_cast<std::int64_t>(kLengthSize)};
    return request;
  }
  Reader reader(request.body);
  NullFields discard;
  const RecordContext context{request.xid, frame_size, false};
  request.op->parse_request(reader, context, discard, request.facts);
  request.decoded = outcome(reader, kRequestHeaderSize);
  return request;
}

ReplyHeader decode_reply_header(ByteSpan body) {
  Reader reader(body);
  ReplyHeader header;
  header.xid = reader.int32();
  header.zxid = reader.int64();
  header.err = reader.int32();
  return header;
}

Reply decode_reply(ByteSpan body, std::int32_t frame_size, const OpInfo* op) {
  Reply reply;
  reply.header = decode_reply_header(body);
  reply.op = op;
  reply.frame_size = frame_size;
  reply.body = after(body, kReplyHeaderSize);
  reply.decoded = {true, -1};
  // Failures usually carry no body; SASL ones do, and it is not the success record.
  if (op == nullptr || reply.header.err != 0 || reply.body.empty()) return reply;
  Reader reader(reply.body);
  NullFields discard;
  op->parse_reply(reader, discard, reply.facts);
  reply.decoded = outcome(reader, kReplyHeaderSize);
  return reply;
}

WatcherEvent decode_event(ByteSpan body, std::int32_t frame_size) {
  WatcherEvent event;
  event.zxid = decode_reply_header(body).zxid;
  event.frame_size = frame_size;
  Reader reader(after(body, kReplyHeaderSize));
  event.type = reader.int32();
  event.state = reader.int32();
  event.path = reader.bytes();
  event.decoded = outcome(reader, kReplyHeaderSize);
  return event;
}

LineName line_name(const ConnectRequest& request) {
  return {request.session_id != 0 ? "Re" : "", "ConnectRequest"};
}

LineName line_name(const ConnectResponse& response) {
  return {"", response.expired() ? "SessionExpiration" : "ConnectReply"};
}

LineName line_name(const Request& request) {
  if (request.op == nullptr) return {"", "UnknownRequest"};
  if (request.facts.sub_operations == 0 && request.facts.ephemeral()) {  // not a multi's
    return {"", "CreateEphemeralRequest"};
  }
  return {"", request.op->request_name};
}

LineName line_name(const Reply& reply) {
  if (reply.op == nullptr) return {"", "UnknownReply"};
  return {reply.error() != 0 ? "Failed" : "", reply.op->reply_name};
}

LineName line_name(const WatcherEvent& event) {
  return {"Event", or_unknown(event_type_name(event.type))};
}

void describe(const ConnectRequest& request, FieldSink& fields) {
  fields.number("ver", request.protocol_version);
  fields.number("zxid", request.last_zxid);
  fields.number("timeout", request.timeout);
  fields.hex_id("session", static_cast<std::uint64_t>(request.session_id));
  fields.boolean("readonly", request.read_only);
  fields.boolean("reconnect", request.session_id != 0, FieldRole::kInName);
}

void describe(const ConnectResponse& response, std::int64_t latency_us, FieldSink& fields) {
  fields.number("ver", response.protocol_version);
  fields.number("timeout", response.timeout);
  fields.hex_id("session", static_cast<std::uint64_t>(response.session_id));
  fields.boolean("readonly", response.read_only);
  fields.boolean("expired", response.expired(), FieldRole::kDetail);
  fields.number({"error", "err"}, response.error(), FieldRole::kDetail);
  fields.name("err_name", error_name(response.error()), FieldRole::kDetail);
  if (latency_us >= 0) fields.number("latency_us", latency_us, FieldRole::kDetail);
}

void describe(const Request& request, FieldSink& fields) {
  if (request.op == nullptr) {
    fields.number("xid", request.xid);
    fields.number("opcode", request.opcode);
    fields.number("size", request.frame_size);
    return;
  }
  Reader reader(request.body);
  RequestFacts facts;
  const RecordContext context{request.xid, request.frame_size, false};
  request.op->describe_request(reader, context, fields, facts);
}

void describe(const Reply& reply, std::int64_t latency_us, FieldSink& fields) {
  fields.number("xid", reply.header.xid);
  fields.number("zxid", reply.header.zxid);
  // A failed multi carries err 0 in its header: its error is the failed operation's.
  fields.number({"error", "err"}, reply.error());
  fields.name("err_name", or_unknown(error_name(reply.error())), FieldRole::kDetail);
  if (latency_us >= 0) fields.number("latency_us", latency_us, FieldRole::kDetail);
  if (reply.op == nullptr) {
    fields.number("size", reply.frame_size);
  } else if (reply.header.err == 0 && !reply.body.empty()) {
    Reader reader(reply.body);
    ReplyFacts facts;
    reply.op->describe_reply(reader, fields, facts);
  } else if (!reply.body.empty()) {
    // Its size is shown, its bytes are not: a SASL failure's body.
    fields.number("body_size", static_cast<std::int64_t>(reply.body.size()), FieldRole::kDetail);
  }
}

void describe(const WatcherEvent& event, FieldSink& fields) {
  const std::string_view type_name = event_type_name(event.type);
  fields.name("event", or_unknown(type_name), FieldRole::kInName);
  fields.number("type", event.type, type_name.empty() ? FieldRole::kMain : FieldRole::kInName);
  fields.number({"state", "state_code"}, event.state);
  fields.bytes("path", event.path);
  fields.name({"state_name", "state"}, or_unknown(keeper_state_name(event.state)),
              FieldRole::kDetail);
  fields.number("zxid", event.zxid, FieldRole::kDetail);
}

}  // namespace zkdump::zk
