// The TLS cipher suites zkdump names, and how the ones it decrypts protect records: one table,
// IANA's names. Only AEAD suites decrypt; CBC and CCM suites are named, not decrypted.
#pragma once

#include <cstdint>
#include <string_view>

namespace zkdump::tls {

enum class Aead : std::uint8_t { kNone, kAes128Gcm, kAes256Gcm, kChaCha20Poly1305 };
enum class Hash : std::uint8_t { kSha256, kSha384 };

struct CipherSuite {
  std::uint16_t id;
  std::string_view name;
  Aead aead;  // kNone: named only
  Hash hash;
  bool tls13;

  bool decryptable() const { return aead != Aead::kNone; }
};

// The suite with this id, or null when zkdump does not know it.
const CipherSuite* find_cipher_suite(std::uint16_t id);

inline constexpr std::size_t kAeadTagSize = 16;
std::size_t key_size(Aead aead);
std::size_t hash_size(Hash hash);
std::string_view digest_name(Hash hash);  // as OpenSSL fetches it

}  // namespace zkdump::tls
