#include "zkdump/capture/embedded_secrets.hpp"

#include <algorithm>
#include <cstring>

namespace zkdump::capture {
namespace {

constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;  // the same in either byte order
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::uint32_t kDecryptionSecrets = 0x0000000A;
constexpr std::uint32_t kTlsKeyLog = 0x544C534B;  // "TLSK"
constexpr std::size_t kBlockTrailer = 4;          // the block's length, again

std::uint32_t load32(const std::uint8_t* at, bool big_endian) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= static_cast<std::uint32_t>(at[big_endian ? 3 - i : i]) << (8 * i);
  }
  return value;
}

}  // namespace

void EmbeddedSecrets::feed(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty() && state_ != State::kIgnored) {
    if (state_ == State::kHeader) {
      const std::size_t take = std::min(header_need_ - header_have_, bytes.size());
      std::memcpy(header_ + header_have_, bytes.data(), take);
      header_have_ += take;
      bytes = bytes.subspan(take);
      if (header_have_ == header_need_) header_done();
      continue;
    }
    const std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, bytes.size()));
    if (keep_body_) body_.append(reinterpret_cast<const char*>(bytes.data()), take);
    body_left_ -= take;
    bytes = bytes.subspan(take);
    if (body_left_ == 0) block_done();
  }
}

// The block's type and length known: a section header first tells the byte order, which its
// length field is written in.
void EmbeddedSecrets::header_done() {
  const std::uint32_t type = load32(header_, big_endian_);
  if (first_block_ && type != kSectionHeader) {
    state_ = State::kIgnored;  // a classic pcap file, or not a capture at all
    return;
  }
  first_block_ = false;
  if (type == kSectionHeader && header_need_ == 8) {
    header_need_ = 12;
    return;
  }
  if (type == kSectionHeader) {
    if (load32(header_ + 8, false) == kByteOrderMagic) {
      big_endian_ = false;
    } else if (load32(header_ + 8, true) == kByteOrderMagic) {
      big_endian_ = true;
    } else {
      state_ = State::kIgnored;  // libpcap refuses the file too
      return;
    }
  }
  const std::uint32_t length = load32(header_ + 4, big_endian_);
  if (length < header_have_ + kBlockTrailer || length % 4 != 0) {
    state_ = State::kIgnored;  // where the next block starts is unknown from here on
    return;
  }
  keep_body_ = false;
  if (type == kDecryptionSecrets) {
    ++blocks_;
    keep_body_ = length <= kMaxBlockBytes;
    if (!keep_body_) ++skipped_;
  }
  body_left_ = length - header_have_;
  body_.clear();
  state_ = State::kBody;
}

// A secrets block's body: type, length, the secrets, padding, options, the trailing length.
void EmbeddedSecrets::block_done() {
  state_ = State::kHeader;
  header_have_ = 0;
  header_need_ = 8;
  if (!keep_body_) return;
  const auto* body = reinterpret_cast<const std::uint8_t*>(body_.data());
  if (body_.size() < 8 + kBlockTrailer || load32(body, big_endian_) != kTlsKeyLog) {
    ++skipped_;
    return;
  }
  const std::uint32_t length = load32(body + 4, big_endian_);
  if (length > body_.size() - 8 - kBlockTrailer || key_log_total_ + length > kMaxKeyLogBytes) {
    ++skipped_;
    return;
  }
  key_log_.append(body_, 8, length);
  key_log_total_ += length;
  if (!key_log_.empty() && key_log_.back() != '\n') key_log_ += '\n';
}

std::string EmbeddedSecrets::take() {
  std::string text;
  text.swap(key_log_);
  return text;
}

}  // namespace zkdump::capture
