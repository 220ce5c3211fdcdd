// The two ways a described message is written: zktraffic's text fields (`name=value, ...`, the
// -v fields in a trailer after the endpoints) and JSON members. Values from the wire are always
// escaped; values that hold a delimiter of the line are quoted.
#pragma once

#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "zkdump/base/fields.hpp"
#include "zkdump/base/json_writer.hpp"

namespace zkdump::output {

struct FieldOptions {
  bool verbose = false;           // text: the detail fields, in the trailer
  bool show_credentials = false;  // secrets shown instead of <redacted>
  // Data and values are the application's, as private as credentials: previews only when asked
  // (--show-data, -v), in text and JSON alike.
  bool show_data = false;
};

// Nesting: records inside lists inside records, at most this deep (multi > op > acl list).
inline constexpr int kMaxFieldDepth = kMaxFieldNesting;

class TextFields final : public FieldSink {
 public:
  // Main fields go to `line`; detail fields to `trailer`, which goes after the endpoints.
  TextFields(fmt::memory_buffer& line, fmt::memory_buffer& trailer, const FieldOptions& options)
      : line_(line), trailer_(trailer), options_(options) {}
  bool wrote_main() const { return main_started_; }

  bool shows(FieldRole role) const override {
    return role == FieldRole::kMain || (role == FieldRole::kDetail && options_.verbose);
  }
  void number(FieldKey key, std::int64_t value, FieldRole role) override;
  void hex_number(FieldKey key, std::uint64_t value, FieldRole role) override;
  void hex_id(FieldKey key, std::uint64_t value, FieldRole role) override;
  void boolean(FieldKey key, bool value, FieldRole role) override;
  void bytes(FieldKey key, const WireBytes& value, FieldRole role) override;
  void name(FieldKey key, std::string_view value, FieldRole role) override;
  void flags(FieldKey key, std::int64_t value, std::string_view letters, FieldRole role) override;
  void preview(FieldKey key, const WireBytes& value, FieldRole role) override;
  void secret(FieldKey key, const WireBytes& value, Shown shown) override;
  void begin_list(FieldKey key, FieldRole role) override;
  void list_string(const WireBytes& value) override;
  void end_list() override;
  void begin_record(std::string_view text_name, std::string_view json_name) override;
  void end_record() override;
  void begin_object(FieldKey key, std::string_view text_name, FieldRole role) override;
  void end_object() override;

 private:
  // Where a field goes, or null when it is not shown; writes its separator and `key=`.
  fmt::memory_buffer* start(FieldKey key, FieldRole role);
  fmt::memory_buffer* start_element();
  void open(fmt::memory_buffer* target, char bracket);
  void close(char bracket);
  void hex(FieldKey key, std::uint64_t value, FieldRole role);
  void write_preview(FieldKey key, const WireBytes& value, FieldRole role);

  fmt::memory_buffer& line_;
  fmt::memory_buffer& trailer_;
  const FieldOptions& options_;
  bool main_started_ = false;
  int depth_ = 0;
  fmt::memory_buffer* targets_[kMaxFieldDepth] = {};  // null: the container is not shown
  bool need_separator_[kMaxFieldDepth] = {};
};

class JsonFields final : public FieldSink {
 public:
  // Fields go on as members of the object `json` is in.
  JsonFields(JsonWriter& json, const FieldOptions& options) : json_(json), options_(options) {}

  bool shows(FieldRole) const override { return true; }
  void number(FieldKey key, std::int64_t value, FieldRole role) override;
  void hex_number(FieldKey key, std::uint64_t value, FieldRole role) override;
  void hex_id(FieldKey key, std::uint64_t value, FieldRole role) override;
  void boolean(FieldKey key, bool value, FieldRole role) override;
  void bytes(FieldKey key, const WireBytes& value, FieldRole role) override;
  void name(FieldKey key, std::string_view value, FieldRole role) override;
  void flags(FieldKey key, std::int64_t value, std::string_view letters, FieldRole role) override;
  void preview(FieldKey key, const WireBytes& value, FieldRole role) override;
  void secret(FieldKey key, const WireBytes& value, Shown shown) override;
  void begin_list(FieldKey key, FieldRole role) override;
  void list_string(const WireBytes& value) override;
  void end_list() override;
  void begin_record(std::string_view text_name, std::string_view json_name) override;
  void end_record() override;
  void begin_object(FieldKey key, std::string_view text_name, FieldRole role) override;
  void end_object() override;

 private:
  void string(const WireBytes& value);
  void write_preview(FieldKey field_key, const WireBytes& value);

  JsonWriter& json_;
  const FieldOptions& options_;
};

}  // namespace zkdump::output
