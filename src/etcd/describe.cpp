#include <array>
#include <bitset>

#include <fmt/format.h>

#include "spec_match.hpp"
#include "zkdump/etcd/messages.hpp"
#include "zkdump/etcd/protobuf.hpp"

namespace zkdump::etcd {
namespace {

constexpr std::size_t kMaxUnknownShown = 16;

enum class LevelEnd : std::uint8_t { kNone, kObject, kRecord };

// One message being written: where its own reading stands, and a repeated field whose
// occurrences are being gathered into one list (a key is written once per object).
struct Level {
  const MessageSpec* spec = nullptr;
  ByteSpan bytes;
  pb::Reader reader{{}};
  std::bitset<kMaxSpecFields> written;
  const FieldSpec* list = nullptr;
  pb::Reader list_reader{{}};
  LevelEnd end = LevelEnd::kNone;
  bool inlined = false;  // its fields join its parent's
  bool said_limited = false;
};

std::string_view enum_name(const FieldSpec& spec, std::uint64_t value) {
  return value < spec.enum_names.size() ? spec.enum_names[value] : std::string_view();
}

WireBytes wire(ByteSpan bytes) {
  return {bytes.data(), bytes.size(), false};
}

void write_scalar(const FieldSpec& spec, const pb::Field& field, FieldSink& out) {
  const auto number = static_cast<std::int64_t>(field.value);
  switch (spec.kind) {
    case FieldKind::kText:
      return out.bytes(spec.key, wire(field.bytes), spec.role);
    case FieldKind::kData:
      out.number(spec.key, static_cast<std::int64_t>(field.bytes.size()), spec.role);
      return out.preview(spec.preview_key, wire(field.bytes));
    case FieldKind::kSecret:
      return out.secret(spec.key, wire(field.bytes));
    case FieldKind::kInt:
      return out.number(spec.key, number, spec.role);
    case FieldKind::kId:
      return out.hex_id(spec.key, field.value, spec.role);
    case FieldKind::kBool:
      return out.boolean(spec.key, field.value != 0, spec.role);
    case FieldKind::kEnum: {
      const std::string_view name = enum_name(spec, field.value);
      return name.empty() ? out.number(spec.key, number, spec.role)
                          : out.name(spec.key, name, spec.role);
    }
    default:
      return;
  }
}

// One element of a repeated scalar field; packed varints give several.
void write_list_element(const FieldSpec& spec, const pb::Field& field, FieldSink& out) {
  if (field.type != pb::WireType::kLength || !is_varint_kind(spec.kind)) {
    return out.list_string(wire(field.bytes));
  }
  std::uint64_t value = 0;
  int shift = 0;
  for (const std::uint8_t byte : field.bytes) {
    if (shift < 64) value |= std::uint64_t{byte & 0x7fu} << shift;
    shift += 7;
    if ((byte & 0x80) != 0) continue;
    const std::string_view name = enum_name(spec, value);
    const std::string number = fmt::format("{}", value);
    out.list_string(WireBytes::of(name.empty() ? std::string_view(number) : name));
    value = 0;
    shift = 0;
  }
}

const char* wire_type_name(pb::WireType type) {
  switch (type) {
    case pb::WireType::kVarint:
      return "varint";
    case pb::WireType::kFixed64:
      return "fixed64";
    case pb::WireType::kLength:
      return "bytes";
    case pb::WireType::kFixed32:
      return "fixed32";
  }
  return "?";
}

// Fields the table does not know, by number: 7:varint=5, 9:bytes(12). An inlined message's go
// under a key of their own, its parent's list being another.
void write_unknown(const Level& level, FieldSink& out) {
  const FieldKey key =
      level.inlined ? FieldKey("inlined_unknown_fields") : FieldKey("unknown_fields");
  pb::Reader reader(level.bytes);
  pb::Field field;
  std::size_t shown = 0;
  while (reader.next(field)) {
    if (spec_index(*level.spec, field) >= 0) continue;
    if (shown == 0) out.begin_list(key);
    if (++shown > kMaxUnknownShown) continue;
    const std::string text =
        field.type == pb::WireType::kLength
            ? fmt::format("{}:bytes({})", field.number, field.bytes.size())
            : fmt::format("{}:{}={}", field.number, wire_type_name(field.type), field.value);
    out.list_string(WireBytes::of(text));
  }
  if (shown > 0) out.end_list();
  if (reader.malformed()) out.boolean("malformed", true);
}

// Writes a message and the messages inside it with an explicit stack of levels: wire bytes
// choose the nesting, so it is bounded by kMaxDepth and never recurses.
class Describer {
 public:
  explicit Describer(FieldSink& out) : out_(out) {}

  void run(const MessageSpec& spec, ByteSpan bytes) {
    push(spec, bytes, LevelEnd::kNone, false);
    while (depth_ > 0) step(levels_[depth_ - 1]);
  }

 private:
  void push(const MessageSpec& spec, ByteSpan bytes, LevelEnd end, bool inlined) {
    Level& level = levels_[depth_++];
    level = Level{};
    level.spec = &spec;
    level.bytes = bytes;
    level.reader = pb::Reader(bytes);
    level.end = end;
    level.inlined = inlined;
  }

  void step(Level& level) {
    if (level.list != nullptr) return continue_list(level);
    pb::Field field;
    if (!level.reader.next(field)) return finish(level);
    const int index = spec_index(*level.spec, field);
    if (index < 0 || level.written[index]) return;  // unknown (listed at the end), or again
    level.written.set(index);
    const FieldSpec& spec = level.spec->fields[index];
    if (spec.kind == FieldKind::kCount) return write_count(spec, level.reader);
    if (spec.repeated) {
      if (!room_for(2)) return say_limited(level);
      open_container();
      out_.begin_list(spec.key, spec.role);
      level.list = &spec;
      level.list_reader = level.reader;  // the rest of the message, for more of this field
      if (!write_element(spec, field)) continue_list(level);
      return;
    }
    if (spec.kind == FieldKind::kMessage || spec.kind == FieldKind::kInline) {
      open_message(spec, field,
                   spec.kind == FieldKind::kInline ? LevelEnd::kNone : LevelEnd::kObject);
    } else {
      write_scalar(spec, field, out_);
    }
  }

  // This occurrence and the rest of the message's.
  void write_count(const FieldSpec& spec, pb::Reader rest) {
    std::int64_t count = 1;
    pb::Field field;
    while (rest.next(field)) count += field.number == spec.number ? 1 : 0;
    out_.number(spec.key, count, spec.role);
  }

  // Writes the list's next elements until one opens a message (which then runs first).
  void continue_list(Level& level) {
    pb::Field field;
    while (level.list_reader.next(field)) {
      if (field.number != level.list->number || !wire_fits(*level.list, field.type)) continue;
      if (write_element(*level.list, field)) return;
    }
    out_.end_list();
    --nesting_;
    level.list = nullptr;
  }

  // True when it opened a message.
  bool write_element(const FieldSpec& spec, const pb::Field& field) {
    if (spec.kind != FieldKind::kMessage) {
      write_list_element(spec, field, out_);
      return false;
    }
    return open_message(spec, field, LevelEnd::kRecord);
  }

  bool open_message(const FieldSpec& spec, const pb::Field& field, LevelEnd end) {
    if (depth_ == kMaxDepth || !room_for(2)) {
      say_limited(levels_[depth_ - 1]);
      return false;
    }
    if (end == LevelEnd::kRecord) out_.begin_record(spec.message->name, "");
    if (end == LevelEnd::kObject) out_.begin_object(spec.key, spec.message->name, spec.role);
    if (end != LevelEnd::kNone) open_container();
    push(*spec.message, field.bytes, end, end == LevelEnd::kNone);
    return true;
  }

  // Whether `containers` more fit under the sink's nesting cap.
  bool room_for(int containers) const { return nesting_ + containers < kMaxFieldNesting; }
  void open_container() { ++nesting_; }
  void say_limited(Level& level) {
    if (!level.said_limited) out_.boolean("depth_limited", true);
    level.said_limited = true;
  }

  void finish(Level& level) {
    write_absent_defaults(level);
    if (room_for(1)) {
      write_unknown(level, out_);
    } else {
      say_limited(level);
    }
    close(level.end);
    --depth_;
  }

  void write_absent_defaults(const Level& level) {
    for (std::size_t i = 0; i < level.spec->fields.size() && i < kMaxSpecFields; ++i) {
      const FieldSpec& spec = level.spec->fields[i];
      if (!spec.always || level.written[i]) continue;
      write_scalar(spec, pb::Field{spec.number, pb::WireType::kVarint, 0, {}}, out_);
    }
  }

  void close(LevelEnd end) {
    if (end == LevelEnd::kObject) out_.end_object();
    if (end == LevelEnd::kRecord) out_.end_record();
    if (end != LevelEnd::kNone) --nesting_;
  }

  FieldSink& out_;
  std::array<Level, kMaxDepth> levels_{};
  int depth_ = 0;
  int nesting_ = 0;  // the sink's containers open now
};

}  // namespace

void describe(const MessageSpec& spec, ByteSpan message, FieldSink& fields) {
  Describer(fields).run(spec, message);
}

}  // namespace zkdump::etcd
