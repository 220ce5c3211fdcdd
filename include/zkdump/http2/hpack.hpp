// One direction's HPACK context (RFC 7541). A connection seen from its start goes through
// nghttp2's inflater: its dynamic table lives as long as the connection, so every header block of
// the direction goes through it, in order. A connection caught mid-way (or whose table was lost
// with a gap) goes through a table of placeholders: entries inserted before the capture are
// unknown, but the ones inserted since are kept, so later indices still line up (as Wireshark
// does). Strings and the static table are still nghttp2's.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "zkdump/base/bytes.hpp"

struct nghttp2_hd_inflater;

namespace zkdump::http2 {

inline constexpr std::size_t kMaxHeaderFields = 256;  // per block; more are counted, not shown
// The largest dynamic table followed (peers may allow up to 4 GiB): bounds memory per direction.
inline constexpr std::size_t kMaxHeaderTableSize = 64u << 10;

class FieldVisitor {
 public:
  virtual ~FieldVisitor() = default;
  // Valid during the call only.
  virtual void field(std::string_view name, std::string_view value) = 0;
  // A field whose name or value is an entry inserted before the capture began.
  virtual void unknown_field() {}
};

class PlaceholderTable;

class HeaderDecoder {
 public:
  // from_start: the connection's first header block will be the first one decoded.
  explicit HeaderDecoder(bool from_start = true);
  ~HeaderDecoder();
  HeaderDecoder(const HeaderDecoder&) = delete;
  HeaderDecoder& operator=(const HeaderDecoder&) = delete;
  HeaderDecoder(HeaderDecoder&&) noexcept;
  HeaderDecoder& operator=(HeaderDecoder&&) = delete;

  // Decodes one whole header block. False when it is malformed. A block that refers to entries
  // the inflater never saw moves the context to placeholders, which decode the rest of it.
  bool decode(ByteSpan block, FieldVisitor& visitor);
  // SETTINGS_HEADER_TABLE_SIZE from the side that receives these blocks.
  void change_table_size(std::size_t size);
  // A block that was not decoded (over the size cap) may have changed the table: what later
  // blocks index in it is unknown from now on, never a wrong entry.
  void lose_table();

 private:
  bool inflate(ByteSpan block, FieldVisitor& visitor);
  nghttp2_hd_inflater* inflater_ = nullptr;  // while the table is whole
  std::unique_ptr<PlaceholderTable> placeholders_;
  std::size_t settings_table_size_ = 4096;
};

}  // namespace zkdump::http2
