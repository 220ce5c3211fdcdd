// etcd v3's gRPC methods and protobuf messages: the one place that knows their field numbers
// (etcd api/etcdserverpb/rpc.proto, mvccpb/kv.proto, v3lock, v3election). Messages are decoded
// from these tables, no .proto file needed; fields the tables do not know are shown by number.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "zkdump/base/bytes.hpp"
#include "zkdump/base/fields.hpp"

namespace zkdump::etcd {

enum class FieldKind : std::uint8_t {
  kText,    // bytes shown escaped: keys, names
  kData,    // bytes shown by size, previewed with -v: values
  kSecret,  // a password or token: redacted unless asked
  kInt,     // a signed varint
  kId,      // an identifier shown in hex: lease, member, cluster, watch ids
  kBool,
  kEnum,     // a varint with names
  kMessage,  // a nested message: key=Name(fields)
  kInline,   // a nested message whose fields join its parent's (the ResponseHeader)
  kCount,    // a repeated message shown by how many there are (watch events: a line each)
};

struct MessageSpec;

struct FieldSpec {
  std::uint32_t number = 0;
  FieldKey key{""};
  FieldKind kind = FieldKind::kInt;
  FieldKey preview_key{""};  // kData: its bytes, shown with -v
  bool repeated = false;
  FieldRole role = FieldRole::kMain;
  const MessageSpec* message = nullptr;            // kMessage, kInline
  std::span<const std::string_view> enum_names{};  // kEnum, by value
  bool always = false;  // shown when absent too: proto3 leaves out false and 0 (Txn's succeeded)
};

struct MessageSpec {
  std::string_view name;
  std::span<const FieldSpec> fields;
};

// What a call does to the key its request names first (field 1): for top keys in statistics.
enum class KeyAccess : std::uint8_t { kNone, kRead, kWrite };

struct Method {
  std::string_view path;  // /etcdserverpb.KV/Put
  std::string_view name;  // Put: lines are PutRequest, PutReply
  const MessageSpec* request;
  const MessageSpec* response;
  KeyAccess access = KeyAccess::kNone;
};

inline constexpr int kMaxDepth = 8;  // nested messages shown; deeper ones are named, not opened

// What statistics and event lines need from a WatchResponse, read without describing it.
struct WatchFacts {
  std::int64_t watch_id = 0;
  std::int64_t revision = 0;  // its header's: the store's revision when it was sent
  std::uint32_t puts = 0;
  std::uint32_t deletes = 0;
  bool created = false;
  bool canceled = false;
};
WatchFacts watch_facts(ByteSpan watch_response);

// A WatchResponse's events, one by one: each is a line of its own.
struct WatchEvent {
  ByteSpan bytes;  // an mvccpb.Event, described by watch_event_spec()
  bool is_delete = false;
};
class WatchEvents {
 public:
  explicit WatchEvents(ByteSpan watch_response) : response_(watch_response) {}
  bool next(WatchEvent& event);

 private:
  ByteSpan response_;
  std::size_t offset_ = 0;
};
const MessageSpec& watch_event_spec();
bool is_watch(const Method* method);
bool txn_succeeded(ByteSpan txn_response);
// The store's revision in a response's header (field 1 of every response), 0 without one.
std::int64_t response_revision(ByteSpan response);
// The key a request names first (Range, Put, DeleteRange: field 1).
ByteSpan request_key(ByteSpan request);
// A lease response's TTL (LeaseGrant, LeaseKeepAlive, LeaseTimeToLive: field 3). 0 or less: the
// lease has expired (a keep-alive answers 0, which proto3 leaves out; TimeToLive answers -1).
std::int64_t lease_ttl(ByteSpan lease_response);
// The lease a PutRequest attaches its key to (field 3), 0 none.
std::int64_t put_lease(ByteSpan put_request);
// The id of a lease request or response (LeaseRevoke, LeaseKeepAlive: field 1 of requests, 2 of
// responses), 0 none.
std::int64_t lease_id(ByteSpan message, bool request);
// A watch event's key (its KeyValue's field 1), empty when it has none.
ByteSpan event_key(const WatchEvent& event);

// The method a gRPC :path names, or null.
const Method* find_method(std::string_view path);
// For a call whose :path was not seen: the method whose request (or response) table the
// message fits best, or null (an empty message fits all). Long-lived streams are preferred.
const Method* guess_method(ByteSpan message, bool request);
// Whether the message fits the method's table: no field it does not know.
bool fits(const Method* method, ByteSpan message, bool request);
// Writes a message's fields by its table; never deeper than kMaxDepth, never recursively.
void describe(const MessageSpec& spec, ByteSpan message, FieldSink& fields);

}  // namespace zkdump::etcd
