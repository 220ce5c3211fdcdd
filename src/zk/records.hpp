// Record walkers, one per jute record (zookeeper.jute). Each reads its record once, in wire
// order, collects the facts consumers ask for, and names its fields in the order zktraffic's
// users know. Instantiated with NullFields to parse, with FieldSink to describe. Internal to the
// protocol module.
#pragma once

#include <array>

#include "null_fields.hpp"

namespace zkdump::zk::records {

inline constexpr std::size_t kMinStringSize = 4;  // an empty ustring is its length alone
inline constexpr std::size_t kMinAclSize = 4 + 4 + 4;
inline constexpr std::size_t kMinClientInfoSize = 4 + 4;
inline constexpr std::int32_t kMaxListedChildren = 64;  // listed by name; the rest are counted

// Fields zktraffic never printed for ops it did print: text shows them with -v, JSON always.
// Inside a multi they stay inline, since a record has no trailer.
inline FieldRole detail(const RecordContext& context) {
  return context.nested ? FieldRole::kMain : FieldRole::kDetail;
}

inline WireBytes read_path(Reader& reader, RequestFacts& facts) {
  WireBytes path = reader.bytes();
  if (facts.path.data == nullptr && !facts.path.is_null) facts.path = path;
  return path;
}

// ---- Record parts other records share ----

template <class F>
void acl_list(Reader& reader, F& fields, FieldRole role = FieldRole::kMain) {
  const std::int32_t count = reader.vector_count(kMinAclSize);
  fields.begin_list("acl", role);
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    const std::int32_t perms = reader.int32();
    const WireBytes scheme = reader.bytes();
    const WireBytes id = reader.bytes();
    fields.begin_record("ACL", "");
    fields.flags("perms", perms, "rwcda");  // ZooDefs.Perms bit order, as zkCli shows them
    fields.bytes("scheme", scheme);
    fields.bytes("id", id);
    fields.end_record();
  }
  fields.end_list();
}

// Passes over a vector<ACL> and returns a reader positioned at it, to describe it later.
inline Reader skip_acl_list(Reader& reader) {
  const Reader start = reader;
  const std::int32_t count = reader.vector_count(kMinAclSize);
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    reader.int32();
    reader.bytes();
    reader.bytes();
  }
  return start;
}

// Returns the count read (0 for a null vector).
template <class F>
std::int32_t string_list(Reader& reader, F& fields, FieldKey key, FieldRole role = FieldRole::kMain,
                         std::int32_t max_listed = INT32_MAX) {
  const std::int32_t count = reader.vector_count(kMinStringSize);
  fields.begin_list(key, role);
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    const WireBytes item = reader.bytes();
    if (i < max_listed) fields.list_string(item);
  }
  fields.end_list();
  return count;
}

inline constexpr std::size_t kStatSize = 68;

template <class F>
void stat(Reader& reader, F& fields, FieldRole role = FieldRole::kMain) {
  if (!fields.shows(role)) {  // a fixed-size record: passing over it checks all there is
    reader.skip(kStatSize);
    return;
  }
  const std::int64_t czxid = reader.int64();
  const std::int64_t mzxid = reader.int64();
  const std::int64_t ctime = reader.int64();
  const std::int64_t mtime = reader.int64();
  const std::int32_t version = reader.int32();
  const std::int32_t cversion = reader.int32();
  const std::int32_t aversion = reader.int32();
  const std::int64_t ephemeral_owner = reader.int64();
  const std::int32_t data_length = reader.int32();
  const std::int32_t num_children = reader.int32();
  const std::int64_t pzxid = reader.int64();
  if (!reader.ok()) return;
  fields.begin_object("stat", "Stat", role);
  fields.number("czxid", czxid);
  fields.number("mzxid", mzxid);
  fields.number("ctime", ctime);
  fields.number("mtime", mtime);
  fields.number("version", version);
  fields.number("cversion", cversion);
  fields.number("aversion", aversion);
  fields.hex_id("ephemeralOwner", static_cast<std::uint64_t>(ephemeral_owner));
  fields.number("dataLength", data_length);
  fields.number("numChildren", num_children);
  fields.number("pzxid", pzxid);
  fields.end_object();
}

// A code's name, or the code when it has none: JSON keeps one type per key, so the number goes
// under `<key>_code` there.
template <class F>
void named_or_number(F& fields, FieldKey name_key, FieldKey code_key, std::string_view name,
                     std::int32_t value) {
  if (name.empty()) {
    fields.number(code_key, value);
  } else {
    fields.name(name_key, name);
  }
}

// CreateMode flags (CreateMode.java): 1 and 3 ephemeral, 2, 3 and 6 sequential.
inline bool is_sequential(std::int32_t flags) {
  return flags == 2 || flags == 3 || flags == 6;
}
std::string_view create_mode_name(std::int32_t flags);
std::string_view watcher_type_name(std::int32_t type);

// ---- Requests ----

// zktraffic's common request layout: xid, path, watch, size; a sub-operation names its path only.
template <class F>
void common_request_fields(const RecordContext& context, F& fields, const WireBytes& path,
                           bool watch) {
  if (context.nested) {
    fields.bytes("path", path);
    return;
  }
  fields.number("xid", context.xid);
  fields.bytes("path", path);
  fields.boolean("watch", watch);
  fields.number("size", context.frame_size);
}

template <class F>
void path_only(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  if (reader.ok()) common_request_fields(context, fields, path, false);
}

template <class F>
void path_watch(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const bool watch = reader.boolean();
  if (!reader.ok()) return;
  facts.watch = facts.watch || watch;
  common_request_fields(context, fields, path, watch);
  if (context.nested) fields.boolean("watch", watch);
}

template <class F>
void create_common(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts,
                   bool with_ttl) {
  const WireBytes path = read_path(reader, facts);
  const WireBytes data = reader.bytes();
  // The ACL list precedes the flags on the wire but prints after them; remember where it is.
  Reader acl_reader = skip_acl_list(reader);
  const std::int32_t flags = reader.int32();
  const std::int64_t ttl = with_ttl ? reader.int64() : 0;
  if (!reader.ok()) return;
  if (facts.create_flags < 0) {
    facts.create_flags = flags;
    facts.data_size = static_cast<std::int64_t>(data.size);
  }
  if (!context.nested) {
    fields.number("size", context.frame_size);
    fields.number("xid", context.xid);
  }
  fields.bytes("path", path);
  fields.boolean("ephemeral", flags == 1 || flags == 3);
  fields.boolean("sequence", is_sequential(flags));
  if (with_ttl) fields.number("ttl", ttl);
  const FieldRole role = detail(context);
  const std::string_view mode = create_mode_name(flags);
  if (mode.empty()) {
    fields.number("flags", flags, role);
  } else {
    fields.name("mode", mode, role);
  }
  fields.number("data_size", static_cast<std::int64_t>(data.size), role);
  if (!context.nested) fields.preview("data", data, role);
  if (fields.shows(role)) acl_list(acl_reader, fields, role);  // read once already
}

template <class F>
void create(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  create_common(reader, context, fields, facts, false);
}

template <class F>
void create_ttl(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  create_common(reader, context, fields, facts, true);
}

template <class F>
void delete_node(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const std::int32_t version = reader.int32();
  if (!reader.ok()) return;
  common_request_fields(context, fields, path, false);
  fields.number("version", version, detail(context));
}

template <class F>
void set_data(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const WireBytes data = reader.bytes();
  const std::int32_t version = reader.int32();
  if (!reader.ok()) return;
  if (facts.data_size < 0) facts.data_size = static_cast<std::int64_t>(data.size);
  common_request_fields(context, fields, path, false);
  const FieldRole role = detail(context);
  fields.number("version", version, role);
  fields.number("data_size", static_cast<std::int64_t>(data.size), role);
  if (!context.nested) fields.preview("data", data, role);
}

// zktraffic never printed setACL or check, so their own fields sit before client=.
template <class F>
void set_acl(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  Reader acl_reader = skip_acl_list(reader);
  const std::int32_t version = reader.int32();
  if (!reader.ok()) return;
  common_request_fields(context, fields, path, false);
  fields.number("version", version);
  acl_list(acl_reader, fields);
}

template <class F>
void check_version(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const std::int32_t version = reader.int32();
  if (!reader.ok()) return;
  common_request_fields(context, fields, path, false);
  fields.number("version", version);
}

// A multi's sub-operation prints as its request name without "Request": Create(...).
inline std::string_view sub_operation_name(const OpInfo& op) {
  constexpr std::string_view kSuffix = "Request";
  return op.request_name.substr(0, op.request_name.size() - kSuffix.size());
}

// MultiOperationRecord: MultiHeader + op record, repeated, ended by a header with done set.
// Sub-operations are walked in a loop through the opcode table, never by recursion: an op a
// multi cannot hold (a multi among them) fails the record.
template <class F>
void multi(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  fields.number("xid", context.xid);
  fields.number("size", context.frame_size);
  fields.begin_list("ops");
  RecordContext sub_context = context;
  sub_context.nested = true;
  while (reader.ok()) {
    const std::int32_t type = reader.int32();
    const bool done = reader.boolean();
    reader.int32();  // err, always -1 in requests
    if (!reader.ok() || done) break;
    const OpInfo* op = find_op(type);
    if (op == nullptr || !op->in_multi()) {
      reader.fail();
      break;
    }
    ++facts.sub_operations;
    fields.begin_record(sub_operation_name(*op), op->json_name);
    request_walker<F> (*op)(reader, sub_context, fields, facts);
    fields.end_record();
  }
  fields.end_list();
}

template <class F>
void reconfig(Reader& reader, const RecordContext& context, F& fields, RequestFacts&) {
  const WireBytes joining = reader.bytes();
  const WireBytes leaving = reader.bytes();
  const WireBytes new_members = reader.bytes();
  const std::int64_t config_id = reader.int64();
  if (!reader.ok()) return;
  fields.number("xid", context.xid);
  fields.bytes("joining", joining);
  fields.bytes("leaving", leaving);
  fields.bytes("new_members", new_members);
  fields.number("config_id", config_id);
  fields.number("size", context.frame_size);
}

template <class F>
void watches_by_type(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const std::int32_t type = reader.int32();
  if (!reader.ok()) return;
  facts.watch_mode = type;
  common_request_fields(context, fields, path, false);
  named_or_number(fields, "watcher_type", {"watcher_type", "watcher_type_code"},
                  watcher_type_name(type), type);
}

template <class F>
void auth(Reader& reader, const RecordContext&, F& fields, RequestFacts& facts) {
  const std::int32_t type = reader.int32();
  const WireBytes scheme = reader.bytes();
  const WireBytes credential = reader.bytes();
  if (!reader.ok()) return;
  facts.auth_scheme = scheme;
  fields.number("type", type);
  fields.bytes("scheme", scheme);
  fields.secret("credential", credential);
}

template <class F>
void set_watches_common(Reader& reader, const RecordContext& context, F& fields,
                        RequestFacts& facts, bool version2) {
  const std::int64_t relative_zxid = reader.int64();
  fields.number("relzxid", relative_zxid);
  facts.data_watches = string_list(reader, fields, {"data", "data_watches"});
  facts.exist_watches = string_list(reader, fields, {"exist", "exist_watches"});
  facts.child_watches = string_list(reader, fields, {"child", "child_watches"});
  if (version2) {
    facts.persistent_watches = string_list(reader, fields, {"persistent", "persistent_watches"});
    facts.recursive_watches =
        string_list(reader, fields, {"persistent_recursive", "persistent_recursive_watches"});
  }
  const FieldRole role = detail(context);
  fields.number("xid", context.xid, role);
  fields.number("size", context.frame_size, role);
}

template <class F>
void set_watches(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  set_watches_common(reader, context, fields, facts, false);
}

template <class F>
void set_watches2(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  set_watches_common(reader, context, fields, facts, true);
}

template <class F>
void sasl(Reader& reader, const RecordContext& context, F& fields, RequestFacts&) {
  const WireBytes token = reader.bytes();
  if (!reader.ok()) return;
  fields.number("xid", context.xid);
  fields.number("size", context.frame_size);
  fields.number("token_size", static_cast<std::int64_t>(token.size));
  fields.secret("token", token, FieldSink::Shown::kPreview);
}

template <class F>
void add_watch(Reader& reader, const RecordContext& context, F& fields, RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const std::int32_t mode = reader.int32();
  if (!reader.ok()) return;
  facts.watch_mode = mode;
  common_request_fields(context, fields, path, false);
  const std::string_view name = mode == 0 ? "Persistent" : mode == 1 ? "PersistentRecursive" : "";
  named_or_number(fields, "mode", {"mode", "mode_code"}, name, mode);
}

template <class F>
void header_only(Reader&, const RecordContext& context, F& fields, RequestFacts&) {
  fields.number("xid", context.xid);
  fields.number("size", context.frame_size);
}

// Ping and closeSession: zktraffic prints no fields of their own.
template <class F>
void no_fields(Reader&, const RecordContext& context, F& fields, RequestFacts&) {
  fields.number("xid", context.xid, detail(context));
}

// ---- Reply bodies ----

template <class F>
void empty_reply(Reader&, F&, ReplyFacts&) {}

template <class F>
void path_reply(Reader& reader, F& fields, ReplyFacts&) {
  const WireBytes path = reader.bytes();
  if (reader.ok()) fields.bytes("path", path);
}

template <class F>
void path_stat_reply(Reader& reader, F& fields, ReplyFacts& facts) {
  path_reply(reader, fields, facts);
  stat(reader, fields, FieldRole::kDetail);
}

template <class F>
void path_detail_reply(Reader& reader, F& fields, ReplyFacts&) {
  const WireBytes path = reader.bytes();
  if (reader.ok()) fields.bytes("path", path, FieldRole::kDetail);
}

template <class F>
void stat_reply(Reader& reader, F& fields, ReplyFacts&) {
  stat(reader, fields, FieldRole::kDetail);
}

template <class F>
void data_stat_reply(Reader& reader, F& fields, ReplyFacts& facts) {
  const WireBytes data = reader.bytes();
  if (!reader.ok()) return;
  facts.data_size = data.is_null ? -1 : static_cast<std::int64_t>(data.size);
  fields.number("data_size", facts.data_size, FieldRole::kDetail);
  fields.preview("data", data, FieldRole::kDetail);
  stat(reader, fields, FieldRole::kDetail);
}

template <class F>
void acl_stat_reply(Reader& reader, F& fields, ReplyFacts&) {
  acl_list(reader, fields);
  stat(reader, fields, FieldRole::kDetail);
}

template <class F>
void children_common(Reader& reader, F& fields, ReplyFacts& facts, bool with_stat) {
  Reader count_reader = reader;
  const std::int32_t count = count_reader.vector_count(kMinStringSize);
  if (!count_reader.ok()) {
    reader.fail();
    return;
  }
  facts.children = count;
  fields.number("count", count);
  string_list(reader, fields, "children", FieldRole::kDetail, kMaxListedChildren);
  if (with_stat) stat(reader, fields, FieldRole::kDetail);
}

template <class F>
void children_reply(Reader& reader, F& fields, ReplyFacts& facts) {
  children_common(reader, fields, facts, false);
}

template <class F>
void children_stat_reply(Reader& reader, F& fields, ReplyFacts& facts) {
  children_common(reader, fields, facts, true);
}

// MultiResponse: MultiHeader + result record per op, ended by a header with done set. A failed
// multi keeps the header's err at 0: every result becomes an ErrorResponse, the failing one
// with its code, those after it RuntimeInconsistency, those before it 0: rolled back.
template <class F>
void multi_reply(Reader& reader, F& fields, ReplyFacts& facts) {
  fields.begin_list("results");
  while (reader.ok()) {
    const std::int32_t type = reader.int32();
    const bool done = reader.boolean();
    const std::int32_t err = reader.int32();
    if (!reader.ok() || done) break;
    if (type == -1) {
      const std::int32_t result_err = reader.int32();
      if (facts.multi_error == 0 && result_err != 0 && result_err != kErrRuntimeInconsistency) {
        facts.multi_error = result_err;
      }
      if (result_err == 0) {
        fields.begin_record("RolledBack", "rolled_back");
        fields.number("err", result_err);
        fields.end_record();
        continue;
      }
      fields.begin_record("Error", "error");
      fields.number("err", result_err);
      fields.name("err_name", or_unknown(error_name(result_err)));
      fields.end_record();
      continue;
    }
    const OpInfo* op = find_op(type);
    if (op == nullptr || !op->in_multi()) {
      reader.fail();
      break;
    }
    fields.begin_record(sub_operation_name(*op), op->json_name);
    if (err != 0) fields.number("err", err);
    multi_result_walker<F> (*op)(reader, fields, facts);
    fields.end_record();
  }
  fields.end_list();
}

// Results inside a multi's reply: no trailer, so every field is inline.
template <class F>
void path_stat_result(Reader& reader, F& fields, ReplyFacts& facts) {
  path_reply(reader, fields, facts);
  stat(reader, fields);
}

template <class F>
void stat_result(Reader& reader, F& fields, ReplyFacts&) {
  stat(reader, fields);
}

template <class F>
void data_stat_result(Reader& reader, F& fields, ReplyFacts&) {
  const WireBytes data = reader.bytes();
  fields.number("data_size", data.is_null ? -1 : static_cast<std::int64_t>(data.size));
  stat(reader, fields);
}

template <class F>
void children_result(Reader& reader, F& fields, ReplyFacts&) {
  Reader count_reader = reader;
  fields.number("count", count_reader.vector_count(kMinStringSize));
  string_list(reader, fields, "children", FieldRole::kMain, kMaxListedChildren);
}

template <class F>
void sasl_reply(Reader& reader, F& fields, ReplyFacts&) {
  const WireBytes token = reader.bytes();
  if (!reader.ok()) return;
  fields.number("token_size", static_cast<std::int64_t>(token.size));
  fields.name("token", "<redacted>");  // the server's challenge is never shown
}

template <class F>
void child_count_reply(Reader& reader, F& fields, ReplyFacts&) {
  const std::int32_t total = reader.int32();
  if (reader.ok()) fields.number("total", total);
}

template <class F>
void error_code_reply(Reader& reader, F& fields, ReplyFacts&) {
  const std::int32_t err = reader.int32();
  if (reader.ok()) fields.number("result", err);
}

template <class F>
void who_am_i_reply(Reader& reader, F& fields, ReplyFacts&) {
  const std::int32_t count = reader.vector_count(kMinClientInfoSize);
  fields.begin_list("ids");
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    const WireBytes scheme = reader.bytes();
    const WireBytes user = reader.bytes();
    fields.begin_record("Id", "");
    fields.bytes("scheme", scheme);
    fields.bytes("user", user);
    fields.end_record();
  }
  fields.end_list();
}

}  // namespace zkdump::zk::records
