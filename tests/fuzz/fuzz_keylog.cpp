// The key log parser: any text, in pieces the input cuts, never more sessions than its cap and
// never a secret longer than a secret can be.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "zkdump/tls/key_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  zkdump::tls::KeyLog keys(16);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t piece = data[0] == 0 ? text.size() + 1 : data[0];
  for (std::size_t at = 0; at < text.size(); at += piece) keys.parse(text.substr(at, piece));
  if (keys.sessions() > 16) std::abort();
  zkdump::tls::ClientRandom random{};
  if (text.size() >= random.size()) {
    for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<std::uint8_t>(text[i]);
  }
  if (const zkdump::tls::SessionSecrets* secrets = keys.find(random)) {
    for (const zkdump::tls::Secret& secret : secrets->secrets) {
      if (secret.size > zkdump::tls::kMaxSecretSize) std::abort();
    }
  }
  return 0;
}
