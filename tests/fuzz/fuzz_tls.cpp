// The TLS record layer of one connection: records cut out of both directions' bytes, the
// handshake followed, records decrypted with the bundled captures' key logs (so that seeds cut
// from pcaps/*_tls.pcap decrypt and mutations reach every later step) and the plaintext checked
// to stay within what was fed in. Both directions interleaved as play_records says; bit 3 of the
// control byte waits for keys as a live capture does, then gets them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "zkdump/tls/decryptor.hpp"

namespace {

class Checking final : public zkdump::tls::DecryptorListener, public zkdump::tcp::StreamHandler {
 public:
  Checking(const zkdump::tls::KeyLog& keys, zkdump::tls::HoldBudget& budget, bool live)
      : decryptor_(keys, *this, budget, {live, 64u << 10}) {}
  zkdump::tls::Decryptor& decryptor() { return decryptor_; }

  void on_data(zkdump::Direction side, zkdump::ByteSpan bytes, std::int64_t ts) override {
    fed_ += bytes.size();
    decryptor_.data(side, bytes, ts);
  }
  void on_gap(zkdump::Direction side, std::uint64_t missing, std::int64_t ts) override {
    decryptor_.gap(side, missing, ts);
  }
  void on_close(zkdump::tcp::CloseReason, std::int64_t ts) override { decryptor_.finish(ts); }

 private:
  void on_client_hello(const zkdump::tls::ClientHello&, std::int64_t) override {}
  void on_session(const zkdump::tls::ServerHello& hello, zkdump::tls::Failure,
                  std::int64_t) override {
    if (hello.alpn_size > hello.alpn.size()) std::abort();
  }
  void on_plaintext(zkdump::Direction, zkdump::ByteSpan bytes, std::int64_t) override {
    plaintext_ += bytes.size();
    if (plaintext_ > fed_) std::abort();  // decryption never makes bytes
  }
  void on_plaintext_gap(zkdump::Direction, std::uint64_t, std::int64_t) override {}
  void on_stopped(zkdump::Direction, zkdump::tls::Failure, std::uint64_t, std::int64_t) override {}

  zkdump::tls::Decryptor decryptor_;
  std::uint64_t fed_ = 0;
  std::uint64_t plaintext_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool live = (data[0] & 8) != 0;
  zkdump::tls::HoldBudget budget;
  {
    Checking connection(zkdump::fuzz::bundled_key_log(), budget, live);
    zkdump::fuzz::play_records(connection, data, size);
    connection.decryptor().retry_keys();
  }
  if (budget.used != 0) std::abort();  // every held byte given back
  return 0;
}
