#include "zkdump/tls/cipher_suites.hpp"

#include <array>

namespace zkdump::tls {
namespace {

constexpr Aead kNo = Aead::kNone;
constexpr Aead kGcm128 = Aead::kAes128Gcm;
constexpr Aead kGcm256 = Aead::kAes256Gcm;
constexpr Aead kChaCha = Aead::kChaCha20Poly1305;
constexpr Hash k256 = Hash::kSha256;
constexpr Hash k384 = Hash::kSha384;

// The master secret of a TLS 1.2 key log line derives the keys whatever the key exchange was, so
// RSA key exchange decrypts like ECDHE; what does not decrypt is a record protection other than
// AEAD.
constexpr std::array kSuites = std::to_array<CipherSuite>({
    {0x1301, "TLS_AES_128_GCM_SHA256", kGcm128, k256, true},
    {0x1302, "TLS_AES_256_GCM_SHA384", kGcm256, k384, true},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", kChaCha, k256, true},
    {0x1304, "TLS_AES_128_CCM_SHA256", kNo, k256, true},
    {0x1305, "TLS_AES_128_CCM_8_SHA256", kNo, k256, true},
    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", kGcm128, k256, false},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", kGcm256, k384, false},
    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", kGcm128, k256, false},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", kGcm256, k384, false},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", kChaCha, k256, false},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", kChaCha, k256, false},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", kChaCha, k256, false},
    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kGcm128, k256, false},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", kGcm256, k384, false},
    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", kGcm128, k256, false},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", kGcm256, k384, false},
    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", kNo, k256, false},
    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", kNo, k256, false},
    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", kNo, k256, false},
    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", kNo, k256, false},
    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", kNo, k256, false},
    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", kNo, k384, false},
    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", kNo, k256, false},
    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", kNo, k384, false},
    {0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", kNo, k256, false},
    {0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", kNo, k256, false},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", kNo, k256, false},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", kNo, k256, false},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", kNo, k256, false},
    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", kNo, k256, false},
    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", kNo, k256, false},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", kNo, k256, false},
    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", kNo, k256, false},
    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", kNo, k256, false},
    {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", kNo, k256, false},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA", kNo, k256, false},
});

}  // namespace

const CipherSuite* find_cipher_suite(std::uint16_t id) {
  for (const CipherSuite& suite : kSuites) {
    if (suite.id == id) return &suite;
  }
  return nullptr;
}

std::size_t key_size(Aead aead) {
  return aead == Aead::kAes128Gcm ? 16 : 32;
}

std::size_t hash_size(Hash hash) {
  return hash == Hash::kSha384 ? 48 : 32;
}

std::string_view digest_name(Hash hash) {
  return hash == Hash::kSha384 ? "SHA384" : "SHA256";
}

}  // namespace zkdump::tls
