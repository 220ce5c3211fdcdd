// One direction's record protection and the key schedules that feed it, all through OpenSSL's
// libcrypto: AEAD through its provider (aead.hpp), HKDF-Expand-Label (TLS 1.3) and the TLS 1.2 PRF
// by EVP_KDF.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "zkdump/base/bytes.hpp"
#include "zkdump/tls/aead.hpp"
#include "zkdump/tls/cipher_suites.hpp"
#include "zkdump/tls/key_log.hpp"

namespace zkdump::tls {

inline constexpr std::size_t kRecordHeader = 5;
// A record's body: 2^14 bytes of plaintext plus what protection adds (RFC 5246 6.2.3).
inline constexpr std::size_t kMaxRecordBody = (1u << 14) + 2048;
inline constexpr std::size_t kMaxKeySize = 32;
inline constexpr std::size_t kIvSize = 12;

struct TrafficKeys {
  std::array<std::uint8_t, kMaxKeySize> key{};
  std::array<std::uint8_t, kIvSize> iv{};  // TLS 1.2 GCM: only the first 4 bytes (the salt)
};

// TLS 1.3: the key and IV of a traffic secret (RFC 8446 7.3).
bool tls13_traffic_keys(const CipherSuite& suite, ByteSpan secret, TrafficKeys& keys);
// TLS 1.3: the next generation of a traffic secret, after a KeyUpdate (RFC 8446 7.2).
bool tls13_next_secret(const CipherSuite& suite, Secret& secret);
// TLS 1.2: both directions' keys from the master secret (RFC 5246 6.3, RFC 5288, RFC 7905).
bool tls12_traffic_keys(const CipherSuite& suite, ByteSpan master, const ClientRandom& client,
                        const ClientRandom& server, TrafficKeys& client_keys,
                        TrafficKeys& server_keys);

// Where a record's plaintext goes: sized once for the largest record, so that decrypting
// allocates and clears nothing.
class Plaintext {
 public:
  Plaintext() : bytes_(std::make_unique_for_overwrite<std::uint8_t[]>(kMaxRecordBody)) {}
  ByteSpan view() const { return {bytes_.get(), size_}; }

 private:
  friend class RecordCipher;
  std::unique_ptr<std::uint8_t[]> bytes_;
  std::size_t size_ = 0;
};

class RecordCipher {
 public:
  // Takes the keys; the sequence number starts at 0.
  bool init(const CipherSuite& suite, const TrafficKeys& keys);
  bool ready() const { return ready_; }
  // Decrypts one whole record (its header included) into `plain`, and moves the sequence on.
  // False when the record does not authenticate (wrong keys, a wrong sequence number, damage):
  // the sequence number stays.
  bool open(ByteSpan record, Plaintext& plain);
  std::uint64_t sequence() const { return sequence_; }
  // After records were lost: the sequence number the next record is tried under.
  void set_sequence(std::uint64_t sequence) { sequence_ = sequence; }

 private:
  void nonce_from_sequence(std::array<std::uint8_t, kIvSize>& nonce) const;

  AeadContext aead_;
  TrafficKeys keys_;
  std::uint64_t sequence_ = 0;
  bool tls13_ = false;
  bool explicit_nonce_ = false;  // TLS 1.2 GCM: 8 nonce bytes lead each record
  bool ready_ = false;
};

}  // namespace zkdump::tls
