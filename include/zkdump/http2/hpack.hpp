// One direction's HPACK context (RFC 7541), through nghttp2's inflater: its dynamic table lives
// as long as the connection, so every header block of the direction goes through it, in order.
#pragma once

#include <cstddef>
#include <string_view>

#include "zkdump/base/bytes.hpp"

struct nghttp2_hd_inflater;

namespace zkdump::http2 {

inline constexpr std::size_t kMaxHeaderFields = 256;  // per block; more are counted, not shown

class FieldVisitor {
 public:
  virtual ~FieldVisitor() = default;
  // Valid during the call only.
  virtual void field(std::string_view name, std::string_view value) = 0;
};

class HeaderDecoder {
 public:
  HeaderDecoder();
  ~HeaderDecoder();
  HeaderDecoder(const HeaderDecoder&) = delete;
  HeaderDecoder& operator=(const HeaderDecoder&) = delete;

  // Decodes one whole header block. False when it cannot be: a block that refers to entries
  // this context never saw (a capture begun mid-connection) or a malformed one. The context is
  // then started afresh, so later blocks that only use literals still decode.
  bool decode(ByteSpan block, FieldVisitor& visitor);
  // SETTINGS_HEADER_TABLE_SIZE from the side that receives these blocks.
  void change_table_size(std::size_t size);

 private:
  void restart();
  nghttp2_hd_inflater* inflater_ = nullptr;
};

}  // namespace zkdump::http2
