// How a protocol module describes a message: named, typed fields in the order a reader expects
// them, each with the role it plays. Sinks that print (text or JSON) implement it; nothing else
// does, and a message is described only when a line will be printed.
#pragma once

#include <cstdint>
#include <string_view>

#include "zkdump/base/bytes.hpp"

namespace zkdump {

// A field's name: the label text lines print, and the key of JSON objects. They differ only where
// zktraffic's text label and the JSON schema's key do (error= and "err").
struct FieldKey {
  std::string_view text;
  std::string_view json;
  constexpr FieldKey(const char* both)
      : text(both), json(both) {}  // NOLINT(google-explicit-constructor): keys read as strings
  constexpr FieldKey(std::string_view text_label, std::string_view json_key)
      : text(text_label), json(json_key) {}
};

// What a top-level field is for; nested fields follow their container.
enum class FieldRole : std::uint8_t {
  kMain,    // always shown
  kDetail,  // text shows it with -v only, after the endpoints; JSON always
  kInName,  // JSON only: a text line says it in its name (EventNodeCreated, ReConnectRequest)
};

// Containers (lists, records, objects) open inside one another at most this deep: describers
// of nested wire data stop short of it.
inline constexpr int kMaxFieldNesting = 8;

class FieldSink {
 public:
  virtual ~FieldSink() = default;
  // Whether fields of this role are shown at all: a describer may pass over a record it would
  // only write into the void (the Stat of every reply, without -v).
  virtual bool shows(FieldRole role) const = 0;

  virtual void number(FieldKey key, std::int64_t value, FieldRole role = FieldRole::kMain) = 0;
  // A number readers know in hex (a zxid, a version): hex in text, a number in JSON.
  virtual void hex_number(FieldKey key, std::uint64_t value, FieldRole role = FieldRole::kMain) = 0;
  // An identifier shown in hex (a session id): hex in text, a "0x..." string in JSON.
  virtual void hex_id(FieldKey key, std::uint64_t value, FieldRole role = FieldRole::kMain) = 0;
  virtual void boolean(FieldKey key, bool value, FieldRole role = FieldRole::kMain) = 0;
  // Bytes from the wire, always escaped; a null prints as None / null.
  virtual void bytes(FieldKey key, const WireBytes& value, FieldRole role = FieldRole::kMain) = 0;
  // A trusted constant, such as an enum's name.
  virtual void name(FieldKey key, std::string_view value, FieldRole role = FieldRole::kMain) = 0;
  // A bit set: text shows the letters of its bits (letters[i] for bit i, zkCli's rwcda), or the
  // number when a bit has no letter; JSON the number.
  virtual void flags(FieldKey key, std::int64_t value, std::string_view letters,
                     FieldRole role = FieldRole::kMain) = 0;
  // A short escaped preview of a data buffer.
  virtual void preview(FieldKey key, const WireBytes& value,
                       FieldRole role = FieldRole::kDetail) = 0;
  // A credential or token: redacted unless the user asked to see it; then shown whole, or as a
  // preview when it is binary.
  enum class Shown : std::uint8_t { kWhole, kPreview };
  virtual void secret(FieldKey key, const WireBytes& value, Shown shown = Shown::kWhole) = 0;

  virtual void begin_list(FieldKey key, FieldRole role = FieldRole::kMain) = 0;
  virtual void list_string(const WireBytes& value) = 0;
  virtual void end_list() = 0;
  // One element of a list of records: text `Name(fields)`, JSON `{"op":"json_name",fields}` (no
  // "op" member when json_name is empty). A record's detail fields print inline: it has no trailer.
  virtual void begin_record(std::string_view text_name, std::string_view json_name) = 0;
  virtual void end_record() = 0;
  // A nested record as a field: text `key=Name(fields)`, JSON `"key":{fields}`.
  virtual void begin_object(FieldKey key, std::string_view text_name,
                            FieldRole role = FieldRole::kMain) = 0;
  virtual void end_object() = 0;
};

}  // namespace zkdump
