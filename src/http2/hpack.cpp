#include "zkdump/http2/hpack.hpp"

#include <new>

#include <nghttp2/nghttp2.h>

namespace zkdump::http2 {
namespace {

std::string_view view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

HeaderDecoder::HeaderDecoder() {
  restart();
}

HeaderDecoder::~HeaderDecoder() {
  if (inflater_ != nullptr) nghttp2_hd_inflate_del(inflater_);
}

void HeaderDecoder::restart() {
  if (inflater_ != nullptr) nghttp2_hd_inflate_del(inflater_);
  inflater_ = nullptr;
  if (nghttp2_hd_inflate_new(&inflater_) != 0) throw std::bad_alloc();
}

bool HeaderDecoder::decode(ByteSpan block, FieldVisitor& visitor) {
  // nghttp2 takes a non-const pointer but does not write through it.
  auto* in =
      const_cast<std::uint8_t*>(block.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  std::size_t left = block.size();
  std::size_t fields = 0;
  for (;;) {  // each turn emits a field, ends the block or stops
    nghttp2_nv field{};
    int flags = 0;
    const auto used = nghttp2_hd_inflate_hd2(inflater_, &field, &flags, in, left, 1);
    if (used < 0) {
      restart();
      return false;
    }
    in += used;
    left -= static_cast<std::size_t>(used);
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0 && fields++ < kMaxHeaderFields) {
      visitor.field(view(field.name, field.namelen), view(field.value, field.valuelen));
    }
    if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(inflater_);
      return true;
    }
    if (used == 0 && (flags & NGHTTP2_HD_INFLATE_EMIT) == 0) break;  // no progress: give up
  }
  restart();
  return false;
}

void HeaderDecoder::change_table_size(std::size_t size) {
  if (nghttp2_hd_inflate_change_table_size(inflater_, size) != 0) restart();
}

}  // namespace zkdump::http2
