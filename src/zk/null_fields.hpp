// Fields thrown away. A record walker instantiated with it only reads: it validates the record
// and collects its facts, and the compiler removes every field call.
#pragma once

#include <type_traits>

#include "zkdump/zk/protocol.hpp"

namespace zkdump::zk {

class NullFields {
 public:
  using Shown = FieldSink::Shown;
  static bool shows(FieldRole) { return false; }
  void number(FieldKey, std::int64_t, FieldRole = FieldRole::kMain) {}
  void hex_number(FieldKey, std::uint64_t, FieldRole = FieldRole::kMain) {}
  void hex_id(FieldKey, std::uint64_t, FieldRole = FieldRole::kMain) {}
  void boolean(FieldKey, bool, FieldRole = FieldRole::kMain) {}
  void bytes(FieldKey, const WireBytes&, FieldRole = FieldRole::kMain) {}
  void name(FieldKey, std::string_view, FieldRole = FieldRole::kMain) {}
  void flags(FieldKey, std::int64_t, std::string_view, FieldRole = FieldRole::kMain) {}
  void preview(FieldKey, const WireBytes&, FieldRole = FieldRole::kDetail) {}
  void secret(FieldKey, const WireBytes&, Shown = Shown::kWhole) {}
  void begin_list(FieldKey, FieldRole = FieldRole::kMain) {}
  void list_string(const WireBytes&) {}
  void end_list() {}
  void begin_record(std::string_view, std::string_view) {}
  void end_record() {}
  void begin_object(FieldKey, std::string_view, FieldRole = FieldRole::kMain) {}
  void end_object() {}
};

// The walkers of an op's table row that match Fields.
template <class Fields>
RequestWalker<Fields> request_walker(const OpInfo& op) {
  if constexpr (std::is_same_v<Fields, NullFields>) {
    return op.parse_request;
  } else {
    return op.describe_request;
  }
}

template <class Fields>
ReplyWalker<Fields> multi_result_walker(const OpInfo& op) {
  if constexpr (std::is_same_v<Fields, NullFields>) {
    return op.parse_multi_result;
  } else {
    return op.describe_multi_result;
  }
}

}  // namespace zkdump::zk
