#include "records.hpp"

#include <array>

namespace zkdump::zk::records {
namespace {

constexpr std::size_t kMinStringSize = 4;  // an empty ustring is its length alone
constexpr std::size_t kMinAclSize = 4 + 4 + 4;
constexpr std::size_t kMinClientInfoSize = 4 + 4;
constexpr std::int32_t kMaxListedChildren = 64;  // -v lists this many names, then counts the rest

// Fields zktraffic never printed for ops it did print: text shows them with -v (after
// client=), JSON always. Inside a multi they stay inline, since a record cannot have a trailer.
class Details {
 public:
  explicit Details(FieldWriter& writer, bool inline_fields = false)
      : inline_(inline_fields), writer_(writer) {
    if (!inline_) writer_.begin_extras();
  }
  ~Details() {
    if (!inline_) writer_.end_extras();
  }
  Details(const Details&) = delete;
  Details& operator=(const Details&) = delete;

 private:
  bool inline_;
  FieldWriter& writer_;
};

WireBytes read_path(Reader& reader, RequestFacts& facts) {
  WireBytes path = reader.bytes();
  if (facts.path.data == nullptr && !facts.path.is_null) facts.path = path;
  return path;
}

// zktraffic's common request layout: xid, path, watch, size.
void common_request_fields(const RequestContext& context, FieldWriter& writer,
                           const WireBytes& path, bool watch) {
  if (context.in_multi) {
    writer.bytes("path", path);
    return;
  }
  writer.number("xid", context.xid);
  writer.bytes("path", path);
  writer.boolean("watch", watch);
  writer.number("size", context.frame_size);
}

void permissions(FieldWriter& writer, std::int32_t perms) {
  if (writer.style() != FieldStyle::kText) {
    writer.number("perms", perms);
    return;
  }
  // zkCli's letters, in ZooDefs.Perms bit order.
  static constexpr std::array<std::pair<std::int32_t, char>, 5> kLetters{
      {{1, 'r'}, {2, 'w'}, {4, 'c'}, {8, 'd'}, {16, 'a'}}};
  char letters[8] = {};
  std::size_t count = 0;
  for (const auto& [bit, letter] : kLetters) {
    if ((perms & bit) != 0) letters[count++] = letter;
  }
  if (count == 0 || (perms & ~31) != 0) {
    writer.number("perms", perms);
  } else {
    writer.name("perms", std::string_view(letters, count));
  }
}

}  // namespace

void acl_list(Reader& reader, FieldWriter& writer) {
  const std::int32_t count = reader.vector_count(kMinAclSize);
  writer.begin_list("acl");
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    const std::int32_t perms = reader.int32();
    const WireBytes scheme = reader.bytes();
    const WireBytes id = reader.bytes();
    writer.begin_record("ACL", "");
    permissions(writer, perms);
    writer.bytes("scheme", scheme);
    writer.bytes("id", id);
    writer.end_record();
  }
  writer.end_list();
}

namespace {

// Passes over a vector<ACL> and returns a reader positioned at it, for printing it later.
Reader skip_acl_list(Reader& reader) {
  const Reader start = reader;
  const std::int32_t count = reader.vector_count(kMinAclSize);
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    reader.int32();
    reader.bytes();
    reader.bytes();
  }
  return start;
}

// A multi's sub-operation prints as its request name without "Request": Create(...).
std::string_view sub_operation_name(const OpInfo& op) {
  constexpr std::string_view kSuffix = "Request";
  return op.request_name.substr(0, op.request_name.size() - kSuffix.size());
}

}  // namespace

void string_list(Reader& reader, FieldWriter& writer, std::string_view key,
                 std::int32_t max_listed) {
  const std::int32_t count = reader.vector_count(kMinStringSize);
  writer.begin_list(key);
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    const WireBytes item = reader.bytes();
    if (i < max_listed) writer.list_string(item);
  }
  writer.end_list();
}

namespace {

void stat(Reader& reader, FieldWriter& writer) {
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
  writer.begin_object("stat", "Stat");
  writer.number("czxid", czxid);
  writer.number("mzxid", mzxid);
  writer.number("ctime", ctime);
  writer.number("mtime", mtime);
  writer.number("version", version);
  writer.number("cversion", cversion);
  writer.number("aversion", aversion);
  writer.hex("ephemeralOwner", static_cast<std::uint64_t>(ephemeral_owner));
  writer.number("dataLength", data_length);
  writer.number("numChildren", num_children);
  writer.number("pzxid", pzxid);
  writer.end_object();
}

// CreateMode flags (CreateMode.java): 1 and 3 ephemeral, 2, 3 and 6 sequential.
bool is_ephemeral(std::int32_t flags) {
  return flags == 1 || flags == 3;
}
bool is_sequential(std::int32_t flags) {
  return flags == 2 || flags == 3 || flags == 6;
}

std::string_view create_mode_name(std::int32_t flags) {
  switch (flags) {
    case 0:
      return "PERSISTENT";
    case 1:
      return "EPHEMERAL";
    case 2:
      return "PERSISTENT_SEQUENTIAL";
    case 3:
      return "EPHEMERAL_SEQUENTIAL";
    case 4:
      return "CONTAINER";
    case 5:
      return "PERSISTENT_WITH_TTL";
    case 6:
      return "PERSISTENT_SEQUENTIAL_WITH_TTL";
    default:
      return "";
  }
}

void create_common(Reader& reader, const RequestContext& context, FieldWriter& writer,
                   RequestFacts& facts, bool with_ttl) {
  const WireBytes path = read_path(reader, facts);
  const WireBytes data = reader.bytes();
  // The ACL list precedes the flags on the wire but prints after them; remember where it is.
  Reader acl_reader = skip_acl_list(reader);
  const std::int32_t flags = reader.int32();
  const std::int64_t ttl = with_ttl ? reader.int64() : 0;
  if (!reader.ok()) return;
  if (is_ephemeral(flags) && !context.in_multi) facts.name_override = "CreateEphemeralRequest";

  if (!context.in_multi) {
    writer.number("size", context.frame_size);
    writer.number("xid", context.xid);
  }
  writer.bytes("path", path);
  writer.boolean("ephemeral", is_ephemeral(flags));
  writer.boolean("sequence", is_sequential(flags));
  if (with_ttl) writer.number("ttl", ttl);
  Details details(writer, context.in_multi);
  const std::string_view mode = create_mode_name(flags);
  if (mode.empty()) {
    writer.number("flags", flags);
  } else {
    writer.name("mode", mode);
  }
  writer.number("data_size", static_cast<std::int64_t>(data.size));
  if (!context.in_multi) writer.preview("data", data);
  acl_list(acl_reader, writer);
}

std::string_view watcher_type_name(std::int32_t type) {
  switch (type) {
    case 1:
      return "Children";
    case 2:
      return "Data";
    case 3:
      return "Any";
    case 4:
      return "Persistent";
    case 5:
      return "PersistentRecursive";
    default:
      return "";
  }
}

void named_or_number(FieldWriter& writer, std::string_view key, std::string_view name,
                     std::int32_t value) {
  if (name.empty()) {
    writer.number(key, value);
  } else {
    writer.name(key, name);
  }
}

void set_watches_common(Reader& reader, const RequestContext& context, FieldWriter& writer,
                        bool version2) {
  const std::int64_t relative_zxid = reader.int64();
  writer.number("relzxid", relative_zxid);
  string_list(reader, writer, "data");
  string_list(reader, writer, "exist");
  string_list(reader, writer, "child");
  if (version2) {
    string_list(reader, writer, "persistent");
    string_list(reader, writer, "persistent_recursive");
  }
  Details details(writer, context.in_multi);
  writer.number("xid", context.xid);
  writer.number("size", context.frame_size);
}

}  // namespace

void path_only(Reader& reader, const RequestContext& context, FieldWriter& writer,
               RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  if (reader.ok()) common_request_fields(context, writer, path, false);
}

void path_watch(Reader& reader, const RequestContext& context, FieldWriter& writer,
                RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const bool watch = reader.boolean();
  if (!reader.ok()) return;
  common_request_fields(context, writer, path, watch);
  if (context.in_multi) writer.boolean("watch", watch);
}

void create(Reader& reader, const RequestContext& context, FieldWriter& writer,
            RequestFacts& facts) {
  create_common(reader, context, writer, facts, false);
}

void create_ttl(Reader& reader, const RequestContext& context, FieldWriter& writer,
                RequestFacts& facts) {
  create_common(reader, context, writer, facts, true);
}

void delete_node(Reader& reader, const RequestContext& context, FieldWriter& writer,
                 RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const std::int32_t version = reader.int32();
  if (!reader.ok()) return;
  common_request_fields(context, writer, path, false);
  Details details(writer, context.in_multi);
  writer.number("version", version);
}

void set_data(Reader& reader, const RequestContext& context, FieldWriter& writer,
              RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const WireBytes data = reader.bytes();
  const std::int32_t version = reader.int32();
  if (!reader.ok()) return;
  common_request_fields(context, writer, path, false);
  Details details(writer, context.in_multi);
  writer.number("version", version);
  writer.number("data_size", static_cast<std::int64_t>(data.size));
  if (!context.in_multi) writer.preview("data", data);
}

// zktraffic never printed setACL or check, so their own fields sit before client=.
void set_acl(Reader& reader, const RequestContext& context, FieldWriter& writer,
             RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  Reader acl_reader = skip_acl_list(reader);
  const std::int32_t version = reader.int32();
  if (!reader.ok()) return;
  common_request_fields(context, writer, path, false);
  writer.number("version", version);
  acl_list(acl_reader, writer);
}

void check_version(Reader& reader, const RequestContext& context, FieldWriter& writer,
                   RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const std::int32_t version = reader.int32();
  if (!reader.ok()) return;
  common_request_fields(context, writer, path, false);
  writer.number("version", version);
}

// MultiOperationRecord: MultiHeader + op record, repeated, ended by a header with done set.
// Sub-operations are decoded in a loop, never by recursion: a nested multi is rejected.
void multi(Reader& reader, const RequestContext& context, FieldWriter& writer,
           RequestFacts& facts) {
  writer.number("xid", context.xid);
  writer.number("size", context.frame_size);
  writer.begin_list("ops");
  RequestContext sub_context = context;
  sub_context.in_multi = true;
  while (reader.ok()) {
    const std::int32_t type = reader.int32();
    const bool done = reader.boolean();
    reader.int32();  // err, always -1 in requests
    if (!reader.ok() || done) break;
    const OpInfo* op = find_op(type);
    if (op == nullptr || !op->in_multi) {
      reader.fail();
      break;
    }
    writer.begin_record(sub_operation_name(*op), op->json_name);
    op->decode_request(reader, sub_context, writer, facts);
    writer.end_record();
  }
  writer.end_list();
}

void reconfig(Reader& reader, const RequestContext& context, FieldWriter& writer, RequestFacts&) {
  const WireBytes joining = reader.bytes();
  const WireBytes leaving = reader.bytes();
  const WireBytes new_members = reader.bytes();
  const std::int64_t config_id = reader.int64();
  if (!reader.ok()) return;
  writer.number("xid", context.xid);
  writer.bytes("joining", joining);
  writer.bytes("leaving", leaving);
  writer.bytes("new_members", new_members);
  writer.number("config_id", config_id);
  writer.number("size", context.frame_size);
}

void watches_by_type(Reader& reader, const RequestContext& context, FieldWriter& writer,
                     RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const std::int32_t type = reader.int32();
  if (!reader.ok()) return;
  common_request_fields(context, writer, path, false);
  named_or_number(writer, "watcher_type", watcher_type_name(type), type);
}

void auth(Reader& reader, const RequestContext& context, FieldWriter& writer, RequestFacts& facts) {
  const std::int32_t type = reader.int32();
  const WireBytes scheme = reader.bytes();
  const WireBytes credential = reader.bytes();
  if (!reader.ok()) return;
  facts.auth_scheme = scheme;
  writer.number("type", type);
  writer.bytes("scheme", scheme);
  if (context.show_credentials) {
    writer.bytes("credential", credential);
  } else {
    writer.redacted("credential");
  }
}

void set_watches(Reader& reader, const RequestContext& context, FieldWriter& writer,
                 RequestFacts&) {
  set_watches_common(reader, context, writer, false);
}

void set_watches2(Reader& reader, const RequestContext& context, FieldWriter& writer,
                  RequestFacts&) {
  set_watches_common(reader, context, writer, true);
}

void sasl(Reader& reader, const RequestContext& context, FieldWriter& writer, RequestFacts&) {
  const WireBytes token = reader.bytes();
  if (!reader.ok()) return;
  writer.number("xid", context.xid);
  writer.number("size", context.frame_size);
  writer.number("token_size", static_cast<std::int64_t>(token.size));
  if (context.show_credentials) {
    writer.preview("token", token);
  } else {
    writer.redacted("token");
  }
}

void add_watch(Reader& reader, const RequestContext& context, FieldWriter& writer,
               RequestFacts& facts) {
  const WireBytes path = read_path(reader, facts);
  const std::int32_t mode = reader.int32();
  if (!reader.ok()) return;
  common_request_fields(context, writer, path, false);
  const std::string_view name = mode == 0 ? "Persistent" : mode == 1 ? "PersistentRecursive" : "";
  named_or_number(writer, "mode", name, mode);
}

void header_only(Reader&, const RequestContext& context, FieldWriter& writer, RequestFacts&) {
  writer.number("xid", context.xid);
  writer.number("size", context.frame_size);
}

// Ping and closeSession: zktraffic prints no fields of their own.
void no_fields(Reader&, const RequestContext& context, FieldWriter& writer, RequestFacts&) {
  Details details(writer, context.in_multi);
  writer.number("xid", context.xid);
}

void empty_reply(Reader&, FieldWriter&) {}

void path_reply(Reader& reader, FieldWriter& writer) {
  const WireBytes path = reader.bytes();
  if (reader.ok()) writer.bytes("path", path);
}

void path_stat_reply(Reader& reader, FieldWriter& writer) {
  path_reply(reader, writer);
  Details details(writer);
  stat(reader, writer);
}

void path_detail_reply(Reader& reader, FieldWriter& writer) {
  Details details(writer);
  path_reply(reader, writer);
}

void stat_reply(Reader& reader, FieldWriter& writer) {
  Details details(writer);
  stat(reader, writer);
}

void data_stat_reply(Reader& reader, FieldWriter& writer) {
  const WireBytes data = reader.bytes();
  Details details(writer);
  if (!reader.ok()) return;
  writer.number("data_size", data.is_null ? -1 : static_cast<std::int64_t>(data.size));
  writer.preview("data", data);
  stat(reader, writer);
}

void acl_stat_reply(Reader& reader, FieldWriter& writer) {
  acl_list(reader, writer);
  Details details(writer);
  stat(reader, writer);
}

namespace {
void children_common(Reader& reader, FieldWriter& writer, bool with_stat) {
  Reader count_reader = reader;
  const std::int32_t count = count_reader.vector_count(kMinStringSize);
  if (!count_reader.ok()) {
    reader.fail();
    return;
  }
  writer.number("count", count);
  Details details(writer);
  string_list(reader, writer, "children", kMaxListedChildren);
  if (with_stat) stat(reader, writer);
}
}  // namespace

void children_reply(Reader& reader, FieldWriter& writer) {
  children_common(reader, writer, false);
}

void children_stat_reply(Reader& reader, FieldWriter& writer) {
  children_common(reader, writer, true);
}

// MultiResponse: MultiHeader + result record per op, ended by a header with done set.
void multi_reply(Reader& reader, FieldWriter& writer) {
  writer.begin_list("results");
  while (reader.ok()) {
    const std::int32_t type = reader.int32();
    const bool done = reader.boolean();
    const std::int32_t err = reader.int32();
    if (!reader.ok() || done) break;
    if (type == -1) {
      const std::int32_t result_err = reader.int32();
      writer.begin_record("Error", "error");
      writer.number("err", result_err);
      writer.end_record();
      continue;
    }
    const OpInfo* op = find_op(type);
    if (op == nullptr || !op->in_multi) {
      reader.fail();
      break;
    }
    writer.begin_record(sub_operation_name(*op), op->json_name);
    if (err != 0) writer.number("err", err);
    switch (type) {
      case 1:
        path_reply(reader, writer);
        break;
      case 15:
      case 19:
      case 21:
        path_reply(reader, writer);
        stat(reader, writer);
        break;
      case 5:
        stat(reader, writer);
        break;
      case 4: {
        const WireBytes data = reader.bytes();
        writer.number("data_size", data.is_null ? -1 : static_cast<std::int64_t>(data.size));
        stat(reader, writer);
        break;
      }
      case 8: {
        Reader count_reader = reader;
        writer.number("count", count_reader.vector_count(kMinStringSize));
        string_list(reader, writer, "children", kMaxListedChildren);
        break;
      }
      default:
        break;  // delete and check carry no body
    }
    writer.end_record();
  }
  writer.end_list();
}

void sasl_reply(Reader& reader, FieldWriter& writer) {
  const WireBytes token = reader.bytes();
  if (!reader.ok()) return;
  writer.number("token_size", static_cast<std::int64_t>(token.size));
  writer.redacted("token");
}

void child_count_reply(Reader& reader, FieldWriter& writer) {
  const std::int32_t total = reader.int32();
  if (reader.ok()) writer.number("total", total);
}

void error_code_reply(Reader& reader, FieldWriter& writer) {
  const std::int32_t err = reader.int32();
  if (reader.ok()) writer.number("result", err);
}

void who_am_i_reply(Reader& reader, FieldWriter& writer) {
  const std::int32_t count = reader.vector_count(kMinClientInfoSize);
  writer.begin_list("ids");
  for (std::int32_t i = 0; i < count && reader.ok(); ++i) {
    const WireBytes scheme = reader.bytes();
    const WireBytes user = reader.bytes();
    writer.begin_record("Id", "");
    writer.bytes("scheme", scheme);
    writer.bytes("user", user);
    writer.end_record();
  }
  writer.end_list();
}

}  // namespace zkdump::zk::records
