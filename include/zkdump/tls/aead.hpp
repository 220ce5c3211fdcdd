// Opens AEAD-protected records through the libcrypto provider that implements the cipher,
// calling its functions directly. OpenSSL 3.0's EVP layer costs about 300 instructions more per
// record (parameter lookups by name, an IV-length query per nonce): a sixth of what opening a
// small record costs, and zkdump opens every record of a busy server.
#pragma once

#include <cstdint>
#include <span>

#include "zkdump/base/bytes.hpp"
#include "zkdump/tls/cipher_suites.hpp"

namespace zkdump::tls {

struct ProviderCipher;  // one AEAD's functions in its provider

class AeadContext {
 public:
  AeadContext() = default;
  ~AeadContext();
  AeadContext(const AeadContext&) = delete;
  AeadContext& operator=(const AeadContext&) = delete;

  // False when libcrypto offers no such cipher or refuses the key.
  bool set_key(Aead aead, ByteSpan key);
  // Decrypts `ciphertext` into `out`, true only when `tag` authenticates it with `aad`.
  bool open(ByteSpan nonce, ByteSpan aad, ByteSpan ciphertext, ByteSpan tag,
            std::span<std::uint8_t> out);

 private:
  void release();

  const ProviderCipher* cipher_ = nullptr;
  void* context_ = nullptr;  // the provider's own
};

}  // namespace zkdump::tls
