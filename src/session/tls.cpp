#include "zkdump/session/tls.hpp"

namespace zkdump::session {

class TlsConnection final : public tcp::StreamHandler, private tls::DecryptorListener {
 public:
  TlsConnection(TlsSessions& shared, const net::Endpoint& client, const net::Endpoint& server,
                TlsSessions::InnerOpener open_inner)
      : shared_(shared),
        connection_(make_connection(Protocol::kTls, client, server)),
        open_inner_(std::move(open_inner)),
        decryptor_(shared.keys_, *this, shared.budget_, shared.options_) {
    ++shared_.counters_.connections;
    shared_.connections_.push_front(this);
    registered_ = shared_.connections_.begin();
  }
  ~TlsConnection() override { shared_.connections_.erase(registered_); }
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  void on_data(Direction direction, ByteSpan bytes, std::int64_t ts_us) override {
    if (decryptor_.waiting_for_keys()) decryptor_.retry_keys();
    decryptor_.data(direction, bytes, ts_us);
  }
  void on_gap(Direction direction, std::uint64_t missing, std::int64_t ts_us) override {
    decryptor_.gap(direction, missing, ts_us);
  }
  void on_end_sent(Direction direction, std::int64_t ts_us) override {
    if (inner_) inner_->on_end_sent(direction, ts_us);
  }
  void on_close(tcp::CloseReason reason, std::int64_t ts_us) override {
    if (decryptor_.waiting_for_keys() && shared_.options_.wait_for_keys) {
      shared_.keys_.refresh();  // the last chance for keys written as the connection ended
      decryptor_.retry_keys();
    }
    decryptor_.finish(ts_us);
    if (inner_) inner_->on_close(reason, ts_us);
    report_close(ts_us);
  }

  void retry_keys() {
    if (decryptor_.waiting_for_keys()) decryptor_.retry_keys();
  }

 private:
  TlsEvent event(TlsEvent::Kind kind, std::int64_t ts_us) {
    TlsEvent made;
    made.kind = kind;
    made.connection = &connection_;
    made.ts_us = ts_us;
    return made;
  }

  void on_client_hello(const tls::ClientHello& hello, std::int64_t ts_us) override {
    TlsEvent made = event(TlsEvent::Kind::kClientHello, ts_us);
    made.client_hello = &hello;
    shared_.sinks_.tls(made);
  }

  void on_session(const tls::ServerHello& hello, tls::Failure failure,
                  std::int64_t ts_us) override {
    decrypted_ = failure == tls::Failure::kNone;
    if (decrypted_) {
      ++shared_.counters_.decrypted;
    } else {
      ++shared_.counters_.undecryptable[static_cast<std::size_t>(failure)];
    }
    TlsEvent made = event(TlsEvent::Kind::kSession, ts_us);
    made.server_hello = &hello;
    made.suite = tls::find_cipher_suite(hello.cipher_suite);
    made.failure = failure;
    shared_.sinks_.tls(made);
  }

  void on_plaintext(Direction direction, ByteSpan bytes, std::int64_t ts_us) override {
    if (!inner_) inner_ = open_inner_();
    inner_->on_data(direction, bytes, ts_us);
  }

  void on_plaintext_gap(Direction direction, std::uint64_t missing, std::int64_t ts_us) override {
    if (inner_) inner_->on_gap(direction, missing, ts_us);
  }

  void on_stopped(Direction direction, tls::Failure failure, std::uint64_t offset,
                  std::int64_t ts_us) override {
    ++shared_.counters_.stopped[static_cast<std::size_t>(failure)];
    TlsEvent made = event(TlsEvent::Kind::kStopped, ts_us);
    made.direction = direction;
    made.failure = failure;
    made.offset = offset;
    shared_.sinks_.tls(made);
  }

  void report_close(std::int64_t ts_us) {
    const tls::DecryptorCounters& counted = decryptor_.counters();
    TlsCounters& counters = shared_.counters_;
    counters.records += counted.records;
    counters.plaintext_bytes += counted.plaintext_bytes;
    counters.early_data_records += counted.skipped_early_data;
    TlsEvent made = event(TlsEvent::Kind::kClosed, ts_us);
    made.tls_bytes = {decryptor_.ciphertext_bytes(Direction::kToServer),
                      decryptor_.ciphertext_bytes(Direction::kToClient)};
    made.plaintext_bytes = counted.plaintext_bytes;
    made.decrypted = decrypted_;
    if (!decrypted_) counters.undecrypted_bytes += made.tls_bytes[0] + made.tls_bytes[1];
    shared_.sinks_.tls(made);
  }

  TlsSessions& shared_;
  Connection connection_;
  TlsSessions::InnerOpener open_inner_;
  tls::Decryptor decryptor_;
  std::unique_ptr<tcp::StreamHandler> inner_;
  std::list<TlsConnection*>::iterator registered_;
  bool decrypted_ = false;
};

TlsSessions::TlsSessions(tls::KeyLog& keys, Sinks& sinks, bool live) : keys_(keys), sinks_(sinks) {
  options_.wait_for_keys = live;
}

TlsSessions::~TlsSessions() = default;

std::unique_ptr<tcp::StreamHandler> TlsSessions::open(const net::Endpoint& client,
                                                      const net::Endpoint& server,
                                                      InnerOpener open_inner) {
  return std::make_unique<TlsConnection>(*this, client, server, std::move(open_inner));
}

bool TlsSessions::has_keys(const tls::ClientRandom& random) {
  if (keys_.find(random) != nullptr) return true;
  return options_.wait_for_keys && keys_.refresh() && keys_.find(random) != nullptr;
}

void TlsSessions::tick() {
  if (!keys_.refresh()) return;
  for (TlsConnection* connection : connections_) connection->retry_keys();
}

}  // namespace zkdump::session
