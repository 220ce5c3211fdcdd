#include "zkdump/tls/record_cipher.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstring>
#include <string>

namespace zkdump::tls {
namespace {

constexpr std::size_t kExplicitNonce = 8;  // TLS 1.2 GCM
constexpr std::size_t kGcmSalt = 4;

// EVP_KDF objects are fetched once: a fetch walks the provider's tables.
EVP_KDF* hkdf() {
  // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): libcrypto takes it so
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}
EVP_KDF* tls1_prf() {
  // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): libcrypto takes it so
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr);
  return kdf;
}

// Derives out.size() bytes with `params` (digest and inputs already set).
bool derive(EVP_KDF* kdf, OSSL_PARAM* params, std::span<std::uint8_t> out) {
  if (kdf == nullptr) return false;
  EVP_KDF_CTX* context = EVP_KDF_CTX_new(kdf);
  if (context == nullptr) return false;
  const bool ok = EVP_KDF_derive(context, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(context);
  return ok;
}

void* writable(ByteSpan bytes) {
  return const_cast<std::uint8_t*>(bytes.data());  // OSSL_PARAM's type only: never written
}

// HKDF-Expand-Label(secret, label, "", out.size()) of RFC 8446 7.1.
bool expand_label(Hash hash, ByteSpan secret, std::string_view label, std::span<std::uint8_t> out) {
  std::array<std::uint8_t, 64> info{};
  const std::string full = "tls13 " + std::string(label);
  info[0] = static_cast<std::uint8_t>(out.size() >> 8);
  info[1] = static_cast<std::uint8_t>(out.size());
  info[2] = static_cast<std::uint8_t>(full.size());
  std::memcpy(&info[3], full.data(), full.size());
  const std::size_t info_size = 3 + full.size() + 1;  // and an empty context
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  std::string digest(digest_name(hash));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, writable(secret), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info_size),
      OSSL_PARAM_construct_end()};
  return derive(hkdf(), params, out);
}

std::size_t fixed_iv_size(const CipherSuite& suite) {
  return suite.aead == Aead::kChaCha20Poly1305 ? kIvSize : kGcmSalt;
}

// Spelled out byte by byte, which compilers merge into one swap and store.
void store_be64(std::uint8_t* out, std::uint64_t value) {
  out[0] = static_cast<std::uint8_t>(value >> 56);
  out[1] = static_cast<std::uint8_t>(value >> 48);
  out[2] = static_cast<std::uint8_t>(value >> 40);
  out[3] = static_cast<std::uint8_t>(value >> 32);
  out[4] = static_cast<std::uint8_t>(value >> 24);
  out[5] = static_cast<std::uint8_t>(value >> 16);
  out[6] = static_cast<std::uint8_t>(value >> 8);
  out[7] = static_cast<std::uint8_t>(value);
}

}  // namespace

bool tls13_traffic_keys(const CipherSuite& suite, ByteSpan secret, TrafficKeys& keys) {
  return expand_label(suite.hash, secret, "key", std::span(keys.key).first(key_size(suite.aead))) &&
         expand_label(suite.hash, secret, "iv", keys.iv);
}

bool tls13_next_secret(const CipherSuite& suite, Secret& secret) {
  Secret next;
  next.size = static_cast<std::uint8_t>(hash_size(suite.hash));
  if (secret.size != next.size) return false;
  if (!expand_label(suite.hash, secret.view(), "traffic upd",
                    std::span(next.bytes).first(next.size))) {
    return false;
  }
  secret = next;
  return true;
}

bool tls12_traffic_keys(const CipherSuite& suite, ByteSpan master, const ClientRandom& client,
                        const ClientRandom& server, TrafficKeys& client_keys,
                        TrafficKeys& server_keys) {
  const std::size_t key = key_size(suite.aead);
  const std::size_t iv = fixed_iv_size(suite);
  std::array<std::uint8_t, 2 * (kMaxKeySize + kIvSize)> block{};
  std::string digest(digest_name(suite.hash));
  char label[] = "key expansion";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, writable(master), master.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, label, sizeof label - 1),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, writable(server), server.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, writable(client), client.size()),
      OSSL_PARAM_construct_end()};
  if (!derive(tls1_prf(), params, std::span(block).first(2 * (key + iv)))) return false;
  // AEAD suites have no MAC keys: client key, server key, client IV, server IV.
  std::memcpy(client_keys.key.data(), &block[0], key);
  std::memcpy(server_keys.key.data(), &block[key], key);
  std::memcpy(client_keys.iv.data(), &block[2 * key], iv);
  std::memcpy(server_keys.iv.data(), &block[2 * key + iv], iv);
  return true;
}

bool RecordCipher::init(const CipherSuite& suite, const TrafficKeys& keys) {
  ready_ = false;
  if (!aead_.set_key(suite.aead, std::span(keys.key).first(key_size(suite.aead)))) return false;
  keys_ = keys;
  sequence_ = 0;
  tls13_ = suite.tls13;
  explicit_nonce_ = !suite.tls13 && suite.aead != Aead::kChaCha20Poly1305;
  ready_ = true;
  return true;
}

void RecordCipher::nonce_from_sequence(std::array<std::uint8_t, kIvSize>& nonce) const {
  // RFC 8446 5.3: the IV's last 8 bytes xor the sequence number, big-endian.
  const auto tail = static_cast<std::uint64_t>(load_be64(keys_.iv.data() + kIvSize - 8));
  std::memcpy(nonce.data(), keys_.iv.data(), kIvSize - 8);
  store_be64(nonce.data() + kIvSize - 8, tail ^ sequence_);
}

bool RecordCipher::open(ByteSpan record, Plaintext& plain) {
  if (!ready_ || record.size() < kRecordHeader || record.size() > kRecordHeader + kMaxRecordBody) {
    return false;
  }
  ByteSpan body = record.subspan(kRecordHeader);
  std::array<std::uint8_t, kIvSize> nonce{};
  if (explicit_nonce_) {
    if (body.size() < kExplicitNonce + kAeadTagSize) return false;
    std::memcpy(nonce.data(), keys_.iv.data(), kGcmSalt);
    std::memcpy(nonce.data() + kGcmSalt, body.data(), kExplicitNonce);
    body = body.subspan(kExplicitNonce);
  } else {
    if (body.size() < kAeadTagSize) return false;
    nonce_from_sequence(nonce);
  }
  const ByteSpan ciphertext = body.first(body.size() - kAeadTagSize);
  const ByteSpan tag = body.last(kAeadTagSize);
  std::array<std::uint8_t, 13> aad{};
  ByteSpan aad_view = record.first(kRecordHeader);  // TLS 1.3: the header as sent
  if (!tls13_) {  // TLS 1.2: sequence, type, version and the plaintext's length
    store_be64(aad.data(), sequence_);
    aad[8] = record[0];
    aad[9] = record[1];
    aad[10] = record[2];
    aad[11] = static_cast<std::uint8_t>(ciphertext.size() >> 8);
    aad[12] = static_cast<std::uint8_t>(ciphertext.size());
    aad_view = aad;
  }
  const bool opened =
      aead_.open(nonce, aad_view, ciphertext, tag, std::span(plain.bytes_.get(), kMaxRecordBody));
  plain.size_ = opened ? ciphertext.size() : 0;
  if (!opened) return false;
  ++sequence_;
  return true;
}

}  // namespace zkdump::tls
