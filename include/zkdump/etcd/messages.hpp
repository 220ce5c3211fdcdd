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

struct Method {
  std::string_view path;  // /etcdserverpb.KV/Put
  std::string_view name;  // Put: lines are PutRequest, PutReply
  const MessageSpec* request;
  const MessageSpec* response;
};

inline constexpr int kMaxDepth = 8;  // nested messages shown; deeper ones are named, not opened

// What statistics count in a reply, read without describing it.
struct WatchFacts {
  std::uint32_t puts = 0;
  std::uint32_t deletes = 0;
  bool created = false;
  bool canceled = false;
};
WatchFacts watch_facts(ByteSpan watch_response);
bool txn_succeeded(ByteSpan txn_response);

// The method a gRPC :path names, or null.
const Method* find_method(std::string_view path);
// Writes a message's fields by its table; never deeper than kMaxDepth, never recursively.
void describe(const MessageSpec& spec, ByteSpan message, FieldSink& fields);

}  // namespace zkdump::etcd
