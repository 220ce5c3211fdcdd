#include "zkdump/tls/aead.hpp"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <array>
#include <string>
#include <string_view>

namespace zkdump::tls {

struct ProviderCipher {
  EVP_CIPHER* fetched = nullptr;  // kept for good: it holds the provider, and so the functions
  void* provider_context = nullptr;
  OSSL_FUNC_cipher_newctx_fn* new_context = nullptr;
  OSSL_FUNC_cipher_freectx_fn* free_context = nullptr;
  OSSL_FUNC_cipher_decrypt_init_fn* decrypt_init = nullptr;
  OSSL_FUNC_cipher_update_fn* update = nullptr;
  OSSL_FUNC_cipher_final_fn* final = nullptr;

  bool usable() const {
    return new_context != nullptr && free_context != nullptr && decrypt_init != nullptr &&
           update != nullptr && final != nullptr;
  }
};

namespace {

struct NamedAead {
  Aead aead;
  const char* name;  // as libcrypto fetches it
};
constexpr std::array<NamedAead, 3> kAeads = {{{Aead::kAes128Gcm, "AES-128-GCM"},
                                              {Aead::kAes256Gcm, "AES-256-GCM"},
                                              {Aead::kChaCha20Poly1305, "ChaCha20-Poly1305"}}};

// `names` lists one algorithm's names, "AES-128-GCM:id-aes128-GCM:2.16.840.1.101.3.4.1.6".
bool names_cipher(std::string_view names, const EVP_CIPHER* cipher) {
  const std::string first(names.substr(0, names.find(':')));
  return EVP_CIPHER_is_a(cipher, first.c_str()) == 1;
}

void take_functions(const OSSL_DISPATCH* function, ProviderCipher& cipher) {
  for (; function->function_id != 0; ++function) {
    switch (function->function_id) {
      case OSSL_FUNC_CIPHER_NEWCTX:
        cipher.new_context = OSSL_FUNC_cipher_newctx(function);
        break;
      case OSSL_FUNC_CIPHER_FREECTX:
        cipher.free_context = OSSL_FUNC_cipher_freectx(function);
        break;
      case OSSL_FUNC_CIPHER_DECRYPT_INIT:
        cipher.decrypt_init = OSSL_FUNC_cipher_decrypt_init(function);
        break;
      case OSSL_FUNC_CIPHER_UPDATE:
        cipher.update = OSSL_FUNC_cipher_update(function);
        break;
      case OSSL_FUNC_CIPHER_FINAL:
        cipher.final = OSSL_FUNC_cipher_final(function);
        break;
      default:
        break;
    }
  }
}

// The implementation EVP would use: the default library context and its properties.
ProviderCipher look_up(const char* name) {
  ProviderCipher found;
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr) return found;
  found.fetched = cipher;
  const OSSL_PROVIDER* provider = EVP_CIPHER_get0_provider(cipher);
  int no_store = 0;
  const OSSL_ALGORITHM* algorithms =
      OSSL_PROVIDER_query_operation(provider, OSSL_OP_CIPHER, &no_store);
  for (const OSSL_ALGORITHM* algorithm = algorithms;
       algorithm != nullptr && algorithm->algorithm_names != nullptr; ++algorithm) {
    if (names_cipher(algorithm->algorithm_names, cipher)) {
      take_functions(algorithm->implementation, found);
      break;
    }
  }
  OSSL_PROVIDER_unquery_operation(provider, OSSL_OP_CIPHER, algorithms);
  found.provider_context = OSSL_PROVIDER_get0_provider_ctx(provider);
  return found;
}

const ProviderCipher* provider_cipher(Aead aead) {
  static const std::array<ProviderCipher, kAeads.size()> ciphers = {
      look_up(kAeads[0].name), look_up(kAeads[1].name), look_up(kAeads[2].name)};
  for (std::size_t i = 0; i < kAeads.size(); ++i) {
    if (kAeads[i].aead == aead) return &ciphers[i];
  }
  return nullptr;
}

}  // namespace

AeadContext::~AeadContext() {
  release();
}

void AeadContext::release() {
  if (context_ != nullptr) cipher_->free_context(context_);
  context_ = nullptr;
  cipher_ = nullptr;
}

bool AeadContext::set_key(Aead aead, ByteSpan key) {
  const ProviderCipher* cipher = provider_cipher(aead);
  if (cipher == nullptr || !cipher->usable()) return false;
  if (cipher != cipher_) {
    release();
    context_ = cipher->new_context(cipher->provider_context);
    if (context_ == nullptr) return false;
    cipher_ = cipher;
  }
  return cipher_->decrypt_init(context_, key.data(), key.size(), nullptr, 0, nullptr) == 1;
}

bool AeadContext::open(ByteSpan nonce, ByteSpan aad, ByteSpan ciphertext, ByteSpan tag,
                       std::span<std::uint8_t> out) {
  if (context_ == nullptr || out.size() < ciphertext.size()) return false;
  // OSSL_PARAM's type only: the provider copies the tag and never writes it.
  void* tag_bytes = const_cast<std::uint8_t*>(tag.data());
  const OSSL_PARAM expected_tag[] = {
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag_bytes, tag.size()), OSSL_PARAM_END};
  std::size_t written = 0;
  std::size_t last = 0;
  return cipher_->decrypt_init(context_, nullptr, 0, nonce.data(), nonce.size(), expected_tag) ==
             1 &&
         cipher_->update(context_, nullptr, &written, aad.size(), aad.data(), aad.size()) == 1 &&
         cipher_->update(context_, out.data(), &written, out.size(), ciphertext.data(),
                         ciphertext.size()) == 1 &&
         written == ciphertext.size() &&
         cipher_->final(context_, out.data() + written, &last, out.size() - written) == 1;
}

}  // namespace zkdump::tls
