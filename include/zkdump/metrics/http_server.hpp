// The metrics endpoint: libmicrohttpd serves /, /metrics and /stats.json on threads of its own.
// The documents are made on the capture's thread, never on the server's: a scrape asks for them
// and waits (a bounded time) for the capture loop to publish them, so the sinks stay
// single-threaded and a slow or hostile HTTP client can hold only its own connection. A web
// config (--web-config) adds TLS, client certificates, basic authentication and rate limits.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "zkdump/metrics/access.hpp"
#include "zkdump/metrics/web_config.hpp"

struct MHD_Daemon;
struct MHD_Connection;

namespace zkdump::metrics {

enum class Document : std::uint8_t { kMetrics, kStatsJson };
inline constexpr std::size_t kDocumentCount = 2;

struct ListenAddress {
  std::string host;  // empty: none given, so 127.0.0.1 alone
  int port = 0;
};
// "HOST:PORT", "[IPv6]:PORT", ":PORT" or "PORT"; nothing for anything else.
bool parse_listen_address(const std::string& text, ListenAddress& address);

struct ServerLimits {
  unsigned connections = 64;      // at once; more are refused, the capture goes on
  unsigned per_client_host = 32;  // at once from one address: one host cannot take them all
  std::size_t memory_per_connection = std::size_t{32} * 1024;  // a longer header gets 431
  unsigned idle_timeout_s = 10;  // a client that sends or reads nothing this long is dropped
  std::chrono::milliseconds fresh_for{100};  // a document this young is served again, not remade
  std::chrono::milliseconds wait_for_capture{2000};  // then the last published one is served
};

class MetricsServer {
 public:
  // Binds and starts serving; throws std::runtime_error naming the address when it cannot.
  MetricsServer(const ListenAddress& address, const ServerLimits& limits, WebConfig web = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The capture's thread: whether a scrape waits for `which` (one relaxed load, per packet).
  bool wanted(Document which) const {
    return (wanted_.load(std::memory_order_relaxed) & bit(which)) != 0;
  }
  bool any_wanted() const { return wanted_.load(std::memory_order_relaxed) != 0; }
  void publish(Document which, std::string text);
  int port() const { return port_; }  // as bound: port 0 asks the kernel for one
  // Called, from a server thread, when a scrape starts to wait: it wakes the capture's loop.
  void set_waker(std::function<void()> waker);
  // A new web config (SIGHUP): users, headers and limits apply to the next request; changed
  // TLS settings restart the server on the same listening socket, open connections finishing on
  // the old one. Throws std::runtime_error, keeping what was served, when it cannot.
  void reload(WebConfig web);
  bool uses_tls() const;

 private:
  static unsigned bit(Document which) { return 1u << static_cast<unsigned>(which); }
  friend struct RequestHandler;  // libmicrohttpd's callback, in the source file
  // What the web config lets in, as one request sees it: a reload swaps it whole.
  struct Access {
    explicit Access(WebConfig config);
    WebConfig web;
    BasicAuth auth;
    TokenBucket requests;
  };
  // One libmicrohttpd daemon and what it was started with, which must outlive it.
  struct Daemon {
    MHD_Daemon* handle = nullptr;
    std::optional<TlsServerConfig> tls;
  };
  std::unique_ptr<Daemon> start(const std::optional<TlsServerConfig>& tls, int listen_socket);
  void retire(std::unique_ptr<Daemon> daemon);
  std::shared_ptr<Access> access() const;
  // Whether the answer was queued.
  bool answer(MHD_Connection* connection, const std::string& url, const std::string& method);
  // A refusal queued when the web config keeps this request out; nothing when it lets it in.
  std::optional<bool> refuse(MHD_Connection* connection, Access& access);
  // The HTTP thread: a fresh copy of `which`, or the last published one after the wait.
  std::string fetch(Document which);

  struct Published {
    std::string text;
    std::chrono::steady_clock::time_point at{};
    std::uint64_t generation = 0;
  };
  ServerLimits limits_;
  std::mutex mutex_;
  std::condition_variable published_cv_;
  std::array<Published, kDocumentCount> documents_;
  std::atomic<unsigned> wanted_{0};
  std::function<void()> waker_;  // under mutex_
  LimitedLog log_;
  ListenAddress address_;
  mutable std::mutex access_mutex_;
  std::shared_ptr<Access> access_;     // under access_mutex_
  std::unique_ptr<Daemon> daemon_;     // changed by reload on the capture's thread alone
  std::vector<std::thread> retiring_;  // old daemons stopping while their clients finish
  int port_ = 0;
};

}  // namespace zkdump::metrics
