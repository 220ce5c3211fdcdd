#include "placeholder_table.hpp"

#include <algorithm>
#include <new>

#include <nghttp2/nghttp2.h>

namespace zkdump::http2 {
namespace {

constexpr std::uint64_t kStaticEntries = 61;  // RFC 7541 appendix A
constexpr std::size_t kEntryOverhead = 32;    // RFC 7541 4.1
constexpr std::size_t kInitialTableSize = 4096;
constexpr std::uint8_t kIndexed = 0x80;
constexpr std::uint8_t kLiteralIndexing = 0x40;
constexpr std::uint8_t kSizeUpdateMask = 0xe0;
constexpr std::uint8_t kSizeUpdate = 0x20;
constexpr int kMaxIntegerTailBytes = 4;  // values up to 2^28 and the prefix: more is hostile

std::string_view view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

// Reads a header block's integers (RFC 7541 5.1) and strings (5.2), bounded by the block.
class PlaceholderTable::Cursor {
 public:
  explicit Cursor(ByteSpan block) : rest_(block) {}
  bool empty() const { return rest_.empty(); }
  std::uint8_t peek() const { return rest_[0]; }

  bool integer(int prefix_bits, std::uint64_t& value) {
    if (rest_.empty()) return false;
    const auto mask = static_cast<std::uint8_t>((1u << prefix_bits) - 1);
    value = rest_[0] & mask;
    rest_ = rest_.subspan(1);
    if (value < mask) return true;
    for (int byte = 0; byte < kMaxIntegerTailBytes && !rest_.empty(); ++byte) {
      const std::uint8_t next = rest_[0];
      rest_ = rest_.subspan(1);
      value += std::uint64_t{next & 0x7fu} << (7 * byte);
      if ((next & 0x80) == 0) return true;
    }
    return false;
  }

  // A string as it is on the wire: its length prefix (and Huffman flag) and its bytes.
  bool string(ByteSpan& raw) {
    const ByteSpan start = rest_;
    std::uint64_t length = 0;
    if (!integer(7, length) || length > rest_.size()) return false;
    const std::size_t prefix = start.size() - rest_.size();
    raw = start.subspan(0, prefix + length);
    rest_ = rest_.subspan(length);
    return true;
  }

 private:
  ByteSpan rest_;
};

PlaceholderTable::PlaceholderTable(std::size_t settings_max_size)
    : max_size_(std::min(kInitialTableSize, settings_max_size)),
      settings_max_size_(settings_max_size) {
  restart_scratch();
}

PlaceholderTable::~PlaceholderTable() {
  if (scratch_ != nullptr) nghttp2_hd_inflate_del(scratch_);
}

void PlaceholderTable::restart_scratch() {
  if (scratch_ != nullptr) nghttp2_hd_inflate_del(scratch_);
  scratch_ = nullptr;
  if (nghttp2_hd_inflate_new(&scratch_) != 0) throw std::bad_alloc();
}

bool PlaceholderTable::decode(ByteSpan block, FieldVisitor& visitor) {
  Cursor in(block);
  emitted_ = 0;
  while (!in.empty()) {
    const std::uint8_t first = in.peek();
    bool ok = false;
    if ((first & kIndexed) != 0) {
      ok = indexed(in, visitor);
    } else if ((first & kLiteralIndexing) != 0) {
      ok = literal(in, 6, true, visitor);
    } else if ((first & kSizeUpdateMask) == kSizeUpdate) {
      ok = size_update(in);
    } else {
      ok = literal(in, 4, false, visitor);  // without indexing, or never indexed
    }
    if (!ok) return false;
  }
  return true;
}

bool PlaceholderTable::indexed(Cursor& in, FieldVisitor& visitor) {
  std::uint64_t index = 0;
  if (!in.integer(7, index) || index == 0) return false;
  if (index <= kStaticEntries) {
    field_block_.clear();
    append_integer(index, 7, kIndexed);
    return decode_field(
        [&](std::string_view name, std::string_view value) { emit(visitor, name, value); });
  }
  const Entry* entry = dynamic_entry(index);
  if (entry == nullptr || !entry->name_known) {
    visitor.unknown_field();
    return true;
  }
  emit(visitor, entry->name, entry->value);
  return true;
}

bool PlaceholderTable::literal(Cursor& in, int prefix_bits, bool indexing, FieldVisitor& visitor) {
  bool name_known = true;
  if (!start_literal_name(in, prefix_bits, name_known)) return false;
  ByteSpan value;
  if (!in.string(value)) return false;
  field_block_.insert(field_block_.end(), value.begin(), value.end());
  return decode_field([&](std::string_view name, std::string_view text) {
    if (indexing) insert(name, text, name_known);
    if (name_known) {
      emit(visitor, name, text);
    } else {
      visitor.unknown_field();
    }
  });
}

// Starts field_block_ as a literal without indexing whose name needs no dynamic table.
bool PlaceholderTable::start_literal_name(Cursor& in, int prefix_bits, bool& name_known) {
  std::uint64_t name_index = 0;
  if (!in.integer(prefix_bits, name_index)) return false;
  field_block_.clear();
  if (name_index > 0 && name_index <= kStaticEntries) {
    append_integer(name_index, 4, 0);
    return true;
  }
  field_block_.push_back(0);
  if (name_index == 0) {
    ByteSpan name;
    if (!in.string(name)) return false;
    field_block_.insert(field_block_.end(), name.begin(), name.end());
    return true;
  }
  const Entry* entry = dynamic_entry(name_index);
  name_known = entry != nullptr && entry->name_known;
  const std::string_view name = name_known ? std::string_view(entry->name) : std::string_view();
  append_integer(name.size(), 7, 0);  // a plain string, not Huffman
  field_block_.insert(field_block_.end(), name.begin(), name.end());
  return true;
}

bool PlaceholderTable::size_update(Cursor& in) {
  std::uint64_t size = 0;
  if (!in.integer(5, size)) return false;
  max_size_ = std::min<std::uint64_t>(size, settings_max_size_);
  evict_to(max_size_);
  return true;
}

// Decodes field_block_ (one field) and hands it to use while nghttp2's buffers hold it.
template <typename Use>
bool PlaceholderTable::decode_field(Use&& use) {
  std::uint8_t* in = field_block_.data();
  std::size_t left = field_block_.size();
  bool emitted = false;
  for (;;) {
    nghttp2_nv field{};
    int flags = 0;
    const auto used = nghttp2_hd_inflate_hd2(scratch_, &field, &flags, in, left, 1);
    if (used < 0) break;
    in += used;
    left -= static_cast<std::size_t>(used);
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0) {
      use(view(field.name, field.namelen), view(field.value, field.valuelen));
      emitted = true;
    }
    if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(scratch_);
      return emitted;
    }
    if (used == 0 && (flags & NGHTTP2_HD_INFLATE_EMIT) == 0) break;
  }
  restart_scratch();
  return false;
}

void PlaceholderTable::emit(FieldVisitor& visitor, std::string_view name, std::string_view value) {
  if (emitted_++ < kMaxHeaderFields) visitor.field(name, value);
}

const PlaceholderTable::Entry* PlaceholderTable::dynamic_entry(std::uint64_t index) const {
  const std::uint64_t position = index - kStaticEntries - 1;
  return position < entries_.size() ? &entries_[position] : nullptr;
}

void PlaceholderTable::insert(std::string_view name, std::string_view value, bool name_known) {
  const std::size_t size = name.size() + value.size() + kEntryOverhead;
  if (size > max_size_) {  // RFC 7541 4.4: the table empties, the entry is not added
    evict_to(0);
    return;
  }
  evict_to(max_size_ - size);
  entries_.push_front(
      Entry{std::string(name_known ? name : std::string_view()), std::string(value), name_known});
  size_ += size;
}

void PlaceholderTable::evict_to(std::size_t size) {
  while (size_ > size && !entries_.empty()) {
    const Entry& oldest = entries_.back();
    size_ -= oldest.name.size() + oldest.value.size() + kEntryOverhead;
    entries_.pop_back();
  }
}

void PlaceholderTable::set_settings_max_size(std::size_t size) {
  settings_max_size_ = size;
  if (max_size_ > size) {
    max_size_ = size;
    evict_to(size);
  }
}

void PlaceholderTable::append_integer(std::uint64_t value, int prefix_bits,
                                      std::uint8_t first_bits) {
  const std::uint64_t mask = (1u << prefix_bits) - 1;
  if (value < mask) {
    field_block_.push_back(static_cast<std::uint8_t>(first_bits | value));
    return;
  }
  field_block_.push_back(static_cast<std::uint8_t>(first_bits | mask));
  for (value -= mask; value >= 0x80; value >>= 7) {
    field_block_.push_back(static_cast<std::uint8_t>(0x80 | (value & 0x7f)));
  }
  field_block_.push_back(static_cast<std::uint8_t>(value));
}

}  // namespace zkdump::http2
