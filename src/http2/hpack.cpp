#include "zkdump/http2/hpack.hpp"

#include <algorithm>
#include <new>
#include <utility>

#include <nghttp2/nghttp2.h>

#include "placeholder_table.hpp"

namespace zkdump::http2 {
namespace {

std::string_view view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

HeaderDecoder::HeaderDecoder(bool from_start) {
  if (!from_start) {
    lose_table();
    return;
  }
  if (nghttp2_hd_inflate_new(&inflater_) != 0) throw std::bad_alloc();
}

HeaderDecoder::HeaderDecoder(HeaderDecoder&& other) noexcept
    : inflater_(std::exchange(other.inflater_, nullptr)),
      placeholders_(std::move(other.placeholders_)),
      settings_table_size_(other.settings_table_size_) {}

HeaderDecoder::~HeaderDecoder() {
  if (inflater_ != nullptr) nghttp2_hd_inflate_del(inflater_);
}

void HeaderDecoder::lose_table() {
  if (inflater_ != nullptr) nghttp2_hd_inflate_del(inflater_);
  inflater_ = nullptr;
  placeholders_ = std::make_unique<PlaceholderTable>(settings_table_size_);
}

// A block the inflater cannot decode (an index it never saw) is decoded again with placeholders;
// fields it handed over before failing are handed over again.
bool HeaderDecoder::decode(ByteSpan block, FieldVisitor& visitor) {
  if (placeholders_ == nullptr) {
    if (inflate(block, visitor)) return true;
    lose_table();
  }
  return placeholders_->decode(block, visitor);
}

bool HeaderDecoder::inflate(ByteSpan block, FieldVisitor& visitor) {
  // nghttp2 takes a non-const pointer but does not write through it.
  auto* in =
      const_cast<std::uint8_t*>(block.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  std::size_t left = block.size();
  std::size_t fields = 0;
  for (;;) {  // each turn emits a field, ends the block or stops
    nghttp2_nv field{};
    int flags = 0;
    const auto used = nghttp2_hd_inflate_hd2(inflater_, &field, &flags, in, left, 1);
    if (used < 0) return false;
    in += used;
    left -= static_cast<std::size_t>(used);
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0 && fields++ < kMaxHeaderFields) {
      visitor.field(view(field.name, field.namelen), view(field.value, field.valuelen));
    }
    if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(inflater_);
      return true;
    }
    if (used == 0 && (flags & NGHTTP2_HD_INFLATE_EMIT) == 0) return false;  // no progress
  }
}

void HeaderDecoder::change_table_size(std::size_t size) {
  settings_table_size_ = std::min(size, kMaxHeaderTableSize);
  if (placeholders_ != nullptr) return placeholders_->set_settings_max_size(settings_table_size_);
  if (nghttp2_hd_inflate_change_table_size(inflater_, settings_table_size_) != 0) lose_table();
}

}  // namespace zkdump::http2
