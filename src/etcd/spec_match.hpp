// Which field of a message table a wire field is: shared by the describer and the method guess.
#pragma once

#include <cstddef>

#include "zkdump/etcd/messages.hpp"
#include "zkdump/etcd/protobuf.hpp"

namespace zkdump::etcd {

inline constexpr std::size_t kMaxSpecFields = 64;

inline bool is_varint_kind(FieldKind kind) {
  return kind == FieldKind::kInt || kind == FieldKind::kId || kind == FieldKind::kBool ||
         kind == FieldKind::kEnum;
}

inline bool wire_fits(const FieldSpec& spec, pb::WireType type) {
  if (is_varint_kind(spec.kind)) {
    return type == pb::WireType::kVarint || (spec.repeated && type == pb::WireType::kLength);
  }
  return type == pb::WireType::kLength;
}

// The index of the spec for a field number whose wire type fits, or -1.
inline int spec_index(const MessageSpec& spec, const pb::Field& field) {
  for (std::size_t i = 0; i < spec.fields.size() && i < kMaxSpecFields; ++i) {
    if (spec.fields[i].number == field.number && wire_fits(spec.fields[i], field.type)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace zkdump::etcd
