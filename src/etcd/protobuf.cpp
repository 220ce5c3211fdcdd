#include "zkdump/etcd/protobuf.hpp"

namespace zkdump::etcd::pb {
namespace {

constexpr int kMaxVarintBytes = 10;
constexpr std::uint64_t kMaxFieldNumber = (1u << 29) - 1;

std::uint64_t load_le(ByteSpan bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) value = value << 8 | bytes[i];
  return value;
}

}  // namespace

bool Reader::varint(std::uint64_t& value) {
  value = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (rest_.empty()) return fail();
    const std::uint8_t byte = rest_[0];
    rest_ = rest_.subspan(1);
    value |= std::uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) return true;
  }
  return fail();  // an eleventh byte: no varint is that long
}

bool Reader::next(Field& field) {
  if (rest_.empty()) return false;
  std::uint64_t key = 0;
  if (!varint(key)) return false;
  const std::uint64_t number = key >> 3;
  if (number == 0 || number > kMaxFieldNumber) return fail();
  field = Field{};
  field.number = static_cast<std::uint32_t>(number);
  field.type = static_cast<WireType>(key & 7);
  std::uint64_t length = 0;
  switch (field.type) {
    case WireType::kVarint:
      return varint(field.value);
    case WireType::kFixed64:
    case WireType::kFixed32:
      length = field.type == WireType::kFixed64 ? 8 : 4;
      if (rest_.size() < length) return fail();
      field.value = load_le(rest_.first(length));
      rest_ = rest_.subspan(length);
      return true;
    case WireType::kLength:
      if (!varint(length) || length > rest_.size()) return fail();
      field.bytes = rest_.first(length);
      rest_ = rest_.subspan(length);
      return true;
  }
  return fail();  // groups and the unused wire types 6 and 7
}

}  // namespace zkdump::etcd::pb
