// The TLS handshake as far as decryption follows it: handshake messages cut out of records (a
// message may span records, a record hold several), the ServerHello's choices and the ALPN
// protocol of TLS 1.3's EncryptedExtensions.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "zkdump/base/bytes.hpp"
#include "zkdump/tls/key_log.hpp"

namespace zkdump::tls {

// The wire's numbers, once for the module.
enum ContentType : std::uint8_t {
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshakeRecord = 22,
  kApplicationData = 23,
};
enum ExtensionType : std::uint16_t {
  kServerNameExtension = 0,
  kAlpnExtension = 16,
  kPreSharedKeyExtension = 41,
  kSupportedVersionsExtension = 43,
};
enum HandshakeType : std::uint8_t {
  kClientHelloMessage = 1,
  kServerHelloMessage = 2,
  kNewSessionTicket = 4,
  kEncryptedExtensions = 8,
  kFinished = 20,
  kKeyUpdate = 24,
};

inline constexpr std::size_t kMaxAlpn = 32;  // a protocol name kept; longer ones are cut

struct ServerHello {
  bool complete = false;
  bool retry = false;         // a HelloRetryRequest: the real ServerHello follows
  std::uint16_t version = 0;  // negotiated: supported_versions, else legacy_version
  std::uint16_t cipher_suite = 0;
  ClientRandom random{};
  std::array<std::uint8_t, 32> session_id{};
  std::size_t session_id_size = 0;
  bool pre_shared_key = false;  // TLS 1.3: a resumed (PSK) session
  std::array<char, kMaxAlpn> alpn{};
  std::size_t alpn_size = 0;
  bool echoed_session_id = false;  // TLS 1.2: the client's session id, so a resumed session
  std::string_view alpn_name() const { return {alpn.data(), alpn_size}; }
  bool resumed() const { return pre_shared_key || echoed_session_id; }
};

// `message`: the handshake message with its 4-byte header.
ServerHello decode_server_hello(ByteSpan message);
// The ALPN protocol an EncryptedExtensions message selects; empty when none.
void read_encrypted_extensions(ByteSpan message, ServerHello& hello);

// Cuts one direction's handshake bytes into messages. Messages the caller asked to see are
// kept whole up to kMaxKept bytes; the rest are only counted through.
class HandshakeReader {
 public:
  static constexpr std::size_t kMaxKept = 32u << 10;

  struct Message {
    std::uint8_t type = 0;
    ByteSpan bytes;  // header included; empty when not kept or over kMaxKept
  };

  // Feeds one record's handshake bytes; `on_message(Message)` is called for every message that
  // ends in them.
  template <typename OnMessage>
  void feed(ByteSpan fragment, OnMessage on_message);
  // Whether a message is cut across records here: a key change cannot happen mid-message.
  bool inside_message() const { return header_size_ > 0 || body_left_ > 0; }
  void reset() { *this = {}; }

 private:
  static bool kept_type(std::uint8_t type) {
    return type == kClientHelloMessage || type == kServerHelloMessage ||
           type == kEncryptedExtensions;
  }

  std::array<std::uint8_t, 4> header_{};
  std::size_t header_size_ = 0;
  std::size_t body_left_ = 0;
  bool keeping_ = false;
  std::vector<std::uint8_t> kept_;
};

template <typename OnMessage>
void HandshakeReader::feed(ByteSpan fragment, OnMessage on_message) {
  while (!fragment.empty()) {
    if (body_left_ == 0) {
      header_[header_size_++] = fragment.front();
      fragment = fragment.subspan(1);
      if (header_size_ < header_.size()) continue;
      header_size_ = 0;
      body_left_ = std::size_t{header_[1]} << 16 | std::size_t{header_[2]} << 8 | header_[3];
      keeping_ = kept_type(header_[0]) && body_left_ + header_.size() <= kMaxKept;
      kept_.clear();
      if (keeping_) kept_.assign(header_.begin(), header_.end());
      if (body_left_ == 0) {
        on_message(Message{header_[0], keeping_ ? ByteSpan(kept_) : ByteSpan{}});
        continue;
      }
    }
    const ByteSpan taken = fragment.first(std::min(body_left_, fragment.size()));
    if (keeping_) kept_.insert(kept_.end(), taken.begin(), taken.end());
    fragment = fragment.subspan(taken.size());
    body_left_ -= taken.size();
    if (body_left_ == 0) on_message(Message{header_[0], keeping_ ? ByteSpan(kept_) : ByteSpan{}});
  }
}

}  // namespace zkdump::tls
