#include "zkdump/session/etcd.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <string>
#include <vector>

#include "zkdump/http2/frames.hpp"
#include "zkdump/http2/grpc.hpp"
#include "zkdump/http2/hpack.hpp"
#include "zkdump/session/conversation.hpp"
#include "zkdump/session/elapsed.hpp"
#include "zkdump/tls/client_hello.hpp"

namespace zkdump::session {
namespace {

constexpr std::size_t kGrpcPrefixSize = 5;  // compressed flag, 4-byte length
constexpr std::size_t kMaxKeptHeaderValue = 1024;

// What a header block says that matters here; long values are cut.
struct Headers final : http2::FieldVisitor {
  std::string path;
  std::string grpc_message;
  std::int32_t grpc_status = -1;
  std::size_t unknown = 0;  // fields that name entries of a table lost before the capture

  void unknown_field() override { ++unknown; }
  void field(std::string_view name, std::string_view value) override {
    value = value.substr(0, kMaxKeptHeaderValue);
    if (name == ":path") {
      path.assign(value);
    } else if (name == "grpc-message") {
      grpc_message.assign(value);
    } else if (name == "grpc-status") {
      grpc_status = 0;
      for (const char c : value.substr(0, 9)) {
        if (c < '0' || c > '9') return void(grpc_status = -1);
        grpc_status = grpc_status * 10 + (c - '0');
      }
    }
  }
};

// One gRPC call: one HTTP/2 stream.
struct Call {
  std::uint32_t stream = 0;
  std::string path;
  const etcd::Method* method = nullptr;
  bool method_guessed = false;
  std::int64_t first_request_us = -1;
  std::uint64_t replies = 0;  // a stream's later replies (watch events) answer no one request
  std::array<std::vector<std::uint8_t>, 2> partial;  // a message cut across DATA frames
  std::array<std::size_t, 2> skip_left{};            // an oversized message's bytes to pass over
};

}  // namespace

class EtcdConversation final : public Conversation {
 public:
  EtcdConversation(EtcdShared& shared, Connection connection, bool from_start)
      : Conversation(shared.budget, from_start),
        shared_(shared),
        connection_(std::move(connection)),
        frames_{{Direction::kToServer, from_start, opening_},
                {Direction::kToClient, from_start, opening_}},
        hpack_{http2::HeaderDecoder(from_start), http2::HeaderDecoder(from_start)} {
    shared_.sinks.open(connection_);
  }
  Connection& connection() override { return connection_; }

 private:
  framing::Protocol& protocol(Direction direction) override { return frames_[index_of(direction)]; }
  void on_message(Direction direction, ByteSpan bytes, std::uint8_t tag, std::uint64_t,
                  std::int64_t ts_us) override {
    switch (static_cast<http2::FrameTag>(tag)) {
      case http2::FrameTag::kFrame:
        return on_frame(direction, bytes, ts_us);
      case http2::FrameTag::kTls:
      case http2::FrameTag::kHttp1:
        return on_unframed(direction, bytes, static_cast<http2::FrameTag>(tag), ts_us);
      case http2::FrameTag::kClientPreface:
        return;
    }
  }
  void on_problem(Direction direction, framing::Problem problem, std::uint64_t offset,
                  std::int64_t count, std::int64_t ts_us) override {
    shared_.sinks.problem({&connection_, direction, problem, offset, count, ts_us});
  }
  void ended(tcp::CloseReason reason, std::int64_t ts_us) override {
    shared_.sinks.closing(connection_, reason, ts_us);
    shared_.sinks.close(connection_);
  }

  // A header block being gathered from HEADERS and CONTINUATION frames.
  struct PendingBlock {
    std::vector<std::uint8_t> bytes;
    std::uint64_t size = 0;  // with what the cap kept out
    std::uint32_t stream = 0;
    bool end_stream = false;
    bool open = false;
    bool too_large = false;
  };

  void on_frame(Direction d, ByteSpan frame, std::int64_t ts_us);
  void on_unframed(Direction d, ByteSpan bytes, http2::FrameTag tag, std::int64_t ts_us);
  void on_settings(Direction d, const http2::FrameHeader& header, ByteSpan payload);
  void on_header_fragment(Direction d, const http2::FrameHeader& header, ByteSpan fragment,
                          bool first, std::int64_t ts_us);
  void on_header_block(Direction d, PendingBlock& block, std::int64_t ts_us);
  void on_data_frame(Direction d, const http2::FrameHeader& header, ByteSpan data,
                     std::int64_t ts_us);
  void cut_messages(Direction d, Call& call, ByteSpan data, std::int64_t ts_us);
  void emit_message(Direction d, Call& call, ByteSpan message, std::int64_t ts_us);
  void emit_events(const Call& call, ByteSpan response, std::int64_t ts_us);
  void guess_method(Call& call, ByteSpan body, bool request);
  void on_reset(Direction d, const http2::FrameHeader& header, ByteSpan payload,
                std::int64_t ts_us);
  void on_goaway(Direction d, ByteSpan payload, std::int64_t ts_us);
  EtcdMessage message_at(Direction d, std::uint32_t stream, EtcdMessage::Body body,
                         std::int64_t ts_us, const Call* call);
  Call& call_for(std::uint32_t stream);
  Call* find_call(std::uint32_t stream);
  void forget(std::uint32_t stream);

  EtcdShared& shared_;
  Connection connection_;
  http2::Opening opening_ = http2::Opening::kUnknown;
  http2::Frames frames_[2];
  http2::HeaderDecoder hpack_[2];
  PendingBlock blocks_[2];
  bool hello_seen_ = false;
  std::deque<Call> calls_;
};

void EtcdConversation::on_frame(Direction d, ByteSpan frame, std::int64_t ts_us) {
  const http2::FrameHeader header = http2::parse_frame_header(frame);
  const ByteSpan payload = frame.subspan(http2::kFrameHeaderSize);
  bool ok = true;
  switch (static_cast<http2::FrameType>(header.type)) {
    case http2::FrameType::kSettings:
      return on_settings(d, header, payload);
    case http2::FrameType::kHeaders:
    case http2::FrameType::kPushPromise:  // its block changes the HPACK table too
      return on_header_fragment(d, header, http2::frame_content(header, payload, ok), true, ts_us);
    case http2::FrameType::kContinuation:
      return on_header_fragment(d, header, payload, false, ts_us);
    case http2::FrameType::kData:
      return on_data_frame(d, header, http2::frame_content(header, payload, ok), ts_us);
    case http2::FrameType::kRstStream:
      return on_reset(d, header, payload, ts_us);
    case http2::FrameType::kGoaway:
      return on_goaway(d, payload, ts_us);
    default:
      return;  // PING, WINDOW_UPDATE, PRIORITY and unknown types carry nothing to show
  }
}

// TLS shows its ClientHello, once; HTTP/1.x (etcd's JSON gateway) the first line of each request
// and response that starts a chunk of the stream, as curl and the gateway write them.
void EtcdConversation::on_unframed(Direction d, ByteSpan bytes, http2::FrameTag tag,
                                   std::int64_t ts_us) {
  if (tag == http2::FrameTag::kTls) {
    if (d != Direction::kToServer || hello_seen_) return;
    hello_seen_ = true;
    const tls::ClientHello hello = tls::decode_client_hello(bytes);
    if (!hello.is_client_hello) return;
    return shared_.sinks.etcd(message_at(d, 0, std::cref(hello), ts_us, nullptr));
  }
  const bool request = d == Direction::kToServer && http2::starts_http1_request(bytes);
  const bool response = d == Direction::kToClient && http2::starts_http1_response(bytes);
  if (!request && !response) return;
  const std::string_view line = http2::first_line(bytes, kMaxKeptHeaderValue);
  const EtcdMessage::Body body =
      request ? EtcdMessage::Body(Http1Request{line}) : EtcdMessage::Body(Http1Response{line});
  shared_.sinks.etcd(message_at(d, 0, body, ts_us, nullptr));
}

// A side's SETTINGS govern what the other side sends it.
void EtcdConversation::on_settings(Direction d, const http2::FrameHeader& header,
                                   ByteSpan payload) {
  if ((header.flags & http2::kAck) != 0) return;
  for (std::size_t at = 0; at + 6 <= payload.size(); at += 6) {
    const auto id = static_cast<std::uint16_t>(payload[at] << 8 | payload[at + 1]);
    const auto value = static_cast<std::uint32_t>(load_be32(payload.data() + at + 2));
    if (id == http2::kSettingsHeaderTableSize)
      hpack_[index_of(opposite(d))].change_table_size(value);
    if (id == http2::kSettingsMaxFrameSize) {
      frames_[index_of(opposite(d))].set_max_frame_size(
          std::clamp(value, http2::kDefaultMaxFrameSize, http2::kLargestMaxFrameSize));
    }
  }
}

void EtcdConversation::on_header_fragment(Direction d, const http2::FrameHeader& header,
                                          ByteSpan fragment, bool first, std::int64_t ts_us) {
  PendingBlock& block = blocks_[index_of(d)];
  if (first) {
    block.bytes.clear();
    block.size = 0;
    block.stream = header.stream;
    block.end_stream = (header.flags & http2::kEndStream) != 0;
    block.open = true;
    block.too_large = false;
    if (header.type == static_cast<std::uint8_t>(http2::FrameType::kPushPromise)) {
      fragment = fragment.subspan(std::min<std::size_t>(4, fragment.size()));  // promised id
    }
  } else if (!block.open || block.stream != header.stream) {
    return;  // a CONTINUATION without its HEADERS: lost with a gap
  }
  block.size += fragment.size();
  if (block.bytes.size() + fragment.size() > shared_.options.max_header_block) {
    block.too_large = true;
  } else {
    block.bytes.insert(block.bytes.end(), fragment.begin(), fragment.end());
  }
  if ((header.flags & http2::kEndHeaders) != 0) on_header_block(d, block, ts_us);
}

void EtcdConversation::on_header_block(Direction d, PendingBlock& block, std::int64_t ts_us) {
  block.open = false;
  Headers headers;
  if (block.too_large) hpack_[index_of(d)].lose_table();
  const bool decoded = !block.too_large && hpack_[index_of(d)].decode(block.bytes, headers);
  Call& call = call_for(block.stream);
  if (headers.unknown > 0) ++shared_.counters.partial_header_blocks;
  if (!decoded) {
    ++shared_.counters.undecodable_headers;
    shared_.sinks.etcd(
        message_at(d, block.stream, UndecodableHeaders{block.size, block.too_large}, ts_us, &call));
  }
  if (d == Direction::kToServer && !headers.path.empty()) {
    call.path = std::move(headers.path);
    call.method = etcd::find_method(call.path);
    call.method_guessed = false;
  }
  // Trailers whose grpc-status is a lost table entry still end the call: its status is UNSEEN.
  const bool unseen_status = block.end_stream && headers.grpc_status < 0 && headers.unknown > 0;
  if (unseen_status) headers.grpc_status = http2::kGrpcStatusUnseen;
  if (d == Direction::kToClient && (headers.grpc_status >= 0 || unseen_status)) {
    ++shared_.counters.statuses;
    shared_.sinks.etcd(message_at(
        d, block.stream, GrpcStatus{headers.grpc_status, headers.grpc_message}, ts_us, &call));
  }
  if (d == Direction::kToClient && block.end_stream) forget(block.stream);
}

void EtcdConversation::on_data_frame(Direction d, const http2::FrameHeader& header, ByteSpan data,
                                     std::int64_t ts_us) {
  Call& call = call_for(header.stream);
  cut_messages(d, call, data, ts_us);
}

// gRPC messages run across DATA frames, and a frame may hold several.
void EtcdConversation::cut_messages(Direction d, Call& call, ByteSpan data, std::int64_t ts_us) {
  std::vector<std::uint8_t>& partial = call.partial[index_of(d)];
  while (!data.empty()) {
    if (call.skip_left[index_of(d)] > 0) {  // the rest of a message too large to hold
      const std::size_t passed = std::min(call.skip_left[index_of(d)], data.size());
      call.skip_left[index_of(d)] -= passed;
      data = data.subspan(passed);
      continue;
    }
    const bool prefix_known = partial.size() >= kGrpcPrefixSize;
    const std::uint32_t length =
        prefix_known ? static_cast<std::uint32_t>(load_be32(partial.data() + 1)) : 0;
    if (prefix_known && length > shared_.options.max_message) {
      ++shared_.counters.oversized_messages;
      shared_.sinks.problem({&connection_, d, framing::Problem::kOversized, 0,
                             static_cast<std::int64_t>(length), ts_us});
      call.skip_left[index_of(d)] = length;
      partial.clear();
      continue;
    }
    const std::size_t want = prefix_known ? kGrpcPrefixSize + length : kGrpcPrefixSize;
    const std::size_t take = std::min(want - partial.size(), data.size());
    partial.insert(partial.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (prefix_known && partial.size() == want) {
      emit_message(d, call, partial, ts_us);
      partial.clear();
    }
  }
  // A message of length 0 is whole with its prefix.
  if (partial.size() == kGrpcPrefixSize && load_be32(partial.data() + 1) == 0) {
    emit_message(d, call, partial, ts_us);
    partial.clear();
  }
}

void EtcdConversation::emit_message(Direction d, Call& call, ByteSpan message, std::int64_t ts_us) {
  const bool request = d == Direction::kToServer;
  if (call.path.empty() && message[0] == 0)
    guess_method(call, message.subspan(kGrpcPrefixSize), request);
  const bool begins = request && call.first_request_us < 0;
  if (begins) call.first_request_us = ts_us;
  ++(request ? shared_.counters.requests : shared_.counters.replies);
  const bool compressed = message[0] != 0;
  const ByteSpan body = message.subspan(kGrpcPrefixSize);
  const EtcdMessage::Body kind = request ? EtcdMessage::Body(GrpcRequest{body, compressed})
                                         : EtcdMessage::Body(GrpcReply{body, compressed});
  EtcdMessage delivered = message_at(d, call.stream, kind, ts_us, &call);
  delivered.begins_call = begins;
  shared_.sinks.etcd(delivered);
  if (!request) ++call.replies;
  if (!request && etcd::is_watch(call.method) && !compressed) emit_events(call, body, ts_us);
}

// A call whose :path was not seen (its headers came before the capture, or named a lost table
// entry) is given the method its messages fit best, and a new guess when one does not fit.
void EtcdConversation::guess_method(Call& call, ByteSpan body, bool request) {
  if (call.method != nullptr && etcd::fits(call.method, body, request)) return;
  const etcd::Method* guess = etcd::guess_method(body, request);
  if (guess == nullptr) return;
  call.method = guess;
  call.method_guessed = true;
  ++shared_.counters.guessed_methods;
}

void EtcdConversation::emit_events(const Call& call, ByteSpan response, std::int64_t ts_us) {
  const etcd::WatchFacts facts = etcd::watch_facts(response);
  etcd::WatchEvents events(response);
  etcd::WatchEvent event;
  while (events.next(event)) {
    shared_.sinks.etcd(message_at(Direction::kToClient, call.stream,
                                  EtcdWatchEvent{event.bytes, facts.watch_id, event.is_delete},
                                  ts_us, &call));
  }
}

void EtcdConversation::on_reset(Direction d, const http2::FrameHeader& header, ByteSpan payload,
                                std::int64_t ts_us) {
  StreamReset reset;
  if (payload.size() >= 4) reset.error_code = static_cast<std::uint32_t>(load_be32(payload.data()));
  shared_.sinks.etcd(message_at(d, header.stream, reset, ts_us, find_call(header.stream)));
  forget(header.stream);
}

void EtcdConversation::on_goaway(Direction d, ByteSpan payload, std::int64_t ts_us) {
  if (payload.size() < 8) return;
  const auto last_stream = static_cast<std::uint32_t>(load_be32(payload.data())) & 0x7fffffffu;
  const Goaway goaway{static_cast<std::uint32_t>(load_be32(payload.data() + 4))};
  shared_.sinks.etcd(message_at(d, last_stream, goaway, ts_us, nullptr));
}

EtcdMessage EtcdConversation::message_at(Direction d, std::uint32_t stream, EtcdMessage::Body body,
                                         std::int64_t ts_us, const Call* call) {
  EtcdMessage message;
  message.body = body;
  message.connection = &connection_;
  message.direction = d;
  message.ts_us = ts_us;
  message.stream = stream;
  if (call != nullptr) {
    message.method = call->method;
    message.method_guessed = call->method_guessed;
    message.path = call->path;
    message.call_begun = call->first_request_us >= 0;
    // The call's first answer (its first reply, or a status without one) is timed from its
    // first request: a stream's later replies and the end of a stream answer no one request.
    const bool answers = call->replies == 0 && (std::holds_alternative<GrpcStatus>(body) ||
                                                std::holds_alternative<GrpcReply>(body));
    const bool timed = answers && call->first_request_us >= 0;
    if (timed) message.latency_us = elapsed_us(call->first_request_us, ts_us);
  }
  return message;
}

Call* EtcdConversation::find_call(std::uint32_t stream) {
  const auto found = std::find_if(calls_.begin(), calls_.end(),
                                  [stream](const Call& call) { return call.stream == stream; });
  return found == calls_.end() ? nullptr : &*found;
}

// The call on this stream, begun if it was not known (its headers came before the capture).
Call& EtcdConversation::call_for(std::uint32_t stream) {
  if (Call* call = find_call(stream)) return *call;
  if (calls_.size() >= shared_.options.max_calls_per_connection) calls_.pop_front();
  calls_.emplace_back();
  calls_.back().stream = stream;
  return calls_.back();
}

void EtcdConversation::forget(std::uint32_t stream) {
  const auto found = std::find_if(calls_.begin(), calls_.end(),
                                  [stream](const Call& call) { return call.stream == stream; });
  if (found != calls_.end()) calls_.erase(found);
}

std::unique_ptr<tcp::StreamHandler> EtcdSessions::open(const net::Endpoint& client,
                                                       const net::Endpoint& server, bool from_start,
                                                       std::int64_t) {
  return std::make_unique<EtcdConversation>(
      shared_, make_connection(Protocol::kEtcd, client, server), from_start);
}

}  // namespace zkdump::session
