// The TLS key logs a pcapng file carries in Decryption Secrets Blocks (Wireshark's
// `editcap --inject-secrets`), which libpcap skips: found in the bytes libpcap reads, as they
// stream past, so that a secret block is known before the packets after it are decoded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace zkdump::capture {

class EmbeddedSecrets {
 public:
  static constexpr std::size_t kMaxBlockBytes = std::size_t{16} << 20;
  static constexpr std::size_t kMaxKeyLogBytes = std::size_t{64} << 20;

  // The next bytes of the file, in any cut. Not a pcapng file: nothing is looked at again.
  void feed(std::span<const std::uint8_t> bytes);
  bool pending() const { return !key_log_.empty(); }
  // The key log text found since the last call, whole lines (a block's last line ended).
  std::string take();
  std::size_t blocks() const { return blocks_; }  // Decryption Secrets Blocks seen
  // Secret blocks not read: too large, of a kind other than a TLS key log, or cut short.
  std::size_t skipped() const { return skipped_; }

 private:
  void header_done();
  void block_done();

  enum class State { kHeader, kBody, kIgnored };
  State state_ = State::kHeader;
  std::uint8_t header_[12] = {};  // type, length, and a section header's byte-order magic
  std::size_t header_have_ = 0;
  std::size_t header_need_ = 8;
  bool big_endian_ = false;
  bool first_block_ = true;
  bool keep_body_ = false;
  std::uint64_t body_left_ = 0;
  std::string body_;
  std::string key_log_;
  std::size_t key_log_total_ = 0;
  std::size_t blocks_ = 0;
  std::size_t skipped_ = 0;
};

}  // namespace zkdump::capture
