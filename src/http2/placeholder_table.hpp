// HPACK for a connection whose dynamic table was lost (caught mid-way, or a gap): entries
// inserted before are unknown placeholders, entries inserted since are kept with their RFC 7541
// sizes and evicted in order, so the encoder's later indices still name them. Each field is
// rewritten as a block that needs no dynamic table (a static index or a literal without indexing)
// and decoded by a scratch nghttp2 inflater: strings, Huffman and the static table stay nghttp2's.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/http2/hpack.hpp"

namespace zkdump::http2 {

class PlaceholderTable {
 public:
  explicit PlaceholderTable(std::size_t settings_max_size);
  ~PlaceholderTable();
  PlaceholderTable(const PlaceholderTable&) = delete;
  PlaceholderTable& operator=(const PlaceholderTable&) = delete;
  PlaceholderTable(PlaceholderTable&&) = delete;
  PlaceholderTable& operator=(PlaceholderTable&&) = delete;

  bool decode(ByteSpan block, FieldVisitor& visitor);
  void set_settings_max_size(std::size_t size);

 private:
  struct Entry {
    std::string name;
    std::string value;
    bool name_known = true;
  };
  class Cursor;

  bool indexed(Cursor& in, FieldVisitor& visitor);
  bool literal(Cursor& in, int prefix_bits, bool indexing, FieldVisitor& visitor);
  bool size_update(Cursor& in);
  bool start_literal_name(Cursor& in, int prefix_bits, bool& name_known);
  template <typename Use>
  bool decode_field(Use&& use);
  void emit(FieldVisitor& visitor, std::string_view name, std::string_view value);
  const Entry* dynamic_entry(std::uint64_t index) const;
  void insert(std::string_view name, std::string_view value, bool name_known);
  void evict_to(std::size_t size);
  void append_integer(std::uint64_t value, int prefix_bits, std::uint8_t first_bits);
  void restart_scratch();

  std::deque<Entry> entries_;  // newest first
  std::size_t size_ = 0;       // of the known entries; an unknown name counts as empty
  std::size_t max_size_;       // the encoder's current table size
  std::size_t settings_max_size_;
  std::size_t emitted_ = 0;  // in this block
  nghttp2_hd_inflater* scratch_ = nullptr;
  std::vector<std::uint8_t> field_block_;  // one field, rewritten
};

}  // namespace zkdump::http2
