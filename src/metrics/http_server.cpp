#include "zkdump/metrics/http_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <csignal>

#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace zkdump::metrics {
namespace {

constexpr std::string_view kIndex =
    "<html><head><title>zkdump</title></head><body><h1>zkdump</h1><ul>\n"
    "<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics</li>\n"
    "<li><a href=\"/stats.json\">/stats.json</a>: the --stats --json documents</li>\n"
    "</ul></body></html>\n";
constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::size_t kThreadStackBytes = std::size_t{256} * 1024;

bool respond(MHD_Connection* connection, unsigned status, std::string_view body, const char* type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return false;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  const MHD_Result queued = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return queued == MHD_YES;
}

// The listening address as getaddrinfo resolves it: numeric, or a name such as localhost.
struct Resolved {
  sockaddr_storage storage{};
  bool ipv6 = false;
};
Resolved resolve(const ListenAddress& address) {
  Resolved resolved;
  if (address.host.empty()) {  // every address, IPv4 and IPv6
    auto& any = reinterpret_cast<sockaddr_in6&>(resolved.storage);
    any.sin6_family = AF_INET6;
    any.sin6_addr = in6addr_any;
    any.sin6_port = htons(static_cast<std::uint16_t>(address.port));
    resolved.ipv6 = true;
    return resolved;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (const int error = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found)) {
    throw std::runtime_error("--metrics-listen: " + address.host + ": " + gai_strerror(error));
  }
  std::memcpy(&resolved.storage, found->ai_addr, found->ai_addrlen);
  resolved.ipv6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);
  return resolved;
}

// libmicrohttpd's own complaints (a bind that failed, a thread it could not start), as zkdump's.
void log_server_error(void* /*unused*/, const char* format, va_list arguments) {
  (void)std::fputs("zkdump: metrics server: ", stderr);
  (void)std::vfprintf(stderr, format, arguments);
}

// The server's threads must not take the stop signals: the capture's thread waits for them.
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &saved_);
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;

 private:
  sigset_t saved_{};
};

}  // namespace

struct RequestHandler {
  static MHD_Result answer(void* self, MHD_Connection* connection, const char* url,
                           const char* method, const char* /*version*/, const char* /*upload_data*/,
                           std::size_t* upload_size, void** request_state) {
    // The first call is for the headers alone; a body, which no GET has, is not kept.
    if (*request_state == nullptr) {
      *request_state = self;
      return MHD_YES;
    }
    if (*upload_size != 0) {
      *upload_size = 0;
      return MHD_YES;
    }
    return static_cast<MetricsServer*>(self)->answer(connection, url, method) ? MHD_YES : MHD_NO;
  }
};

bool parse_listen_address(const std::string& text, ListenAddress& address) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return false;  // an IPv6 address needs its brackets
  }
  const std::string_view port = std::string_view(text).substr(colon + 1);
  int value = -1;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value < 0 || value > 65535) {
    return false;
  }
  address = {host, value};
  return true;
}

MetricsServer::MetricsServer(const ListenAddress& address, const ServerLimits& limits)
    : limits_(limits) {
  Resolved resolved = resolve(address);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                   MHD_USE_ERROR_LOG;
  if (resolved.ipv6) flags |= address.host.empty() ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
  {
    const SignalsBlocked blocked;
    daemon_ = MHD_start_daemon(
        flags, static_cast<std::uint16_t>(address.port), nullptr, nullptr, &RequestHandler::answer,
        this, MHD_OPTION_EXTERNAL_LOGGER, &log_server_error, nullptr, MHD_OPTION_SOCK_ADDR,
        reinterpret_cast<sockaddr*>(&resolved.storage), MHD_OPTION_CONNECTION_LIMIT,
        limits.connections, MHD_OPTION_CONNECTION_TIMEOUT, limits.idle_timeout_s,
        MHD_OPTION_THREAD_STACK_SIZE, kThreadStackBytes, MHD_OPTION_END);
  }
  if (daemon_ == nullptr) {
    throw std::runtime_error("--metrics-listen: cannot listen on " +
                             (address.host.empty() ? std::string("*") : address.host) + ":" +
                             std::to_string(address.port) +
                             " (address in use, or not this host's?)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info != nullptr ? info->port : address.port;
}

MetricsServer::~MetricsServer() {
  {
    // Scrapes waiting for a document stop waiting: nothing will publish it any more.
    const std::lock_guard lock(mutex_);
    for (Published& document : documents_) ++document.generation;
  }
  published_cv_.notify_all();
  MHD_stop_daemon(daemon_);
}

void MetricsServer::set_waker(std::function<void()> waker) {
  const std::lock_guard lock(mutex_);
  waker_ = std::move(waker);
}

void MetricsServer::publish(Document which, std::string text) {
  {
    const std::lock_guard lock(mutex_);
    Published& document = documents_[static_cast<std::size_t>(which)];
    document.text = std::move(text);
    document.at = std::chrono::steady_clock::now();
    ++document.generation;
    wanted_.fetch_and(~bit(which), std::memory_order_relaxed);
  }
  published_cv_.notify_all();
}

std::string MetricsServer::fetch(Document which) {
  std::unique_lock lock(mutex_);
  const Published& document = documents_[static_cast<std::size_t>(which)];
  if (document.generation > 0 &&
      std::chrono::steady_clock::now() - document.at < limits_.fresh_for) {
    return document.text;
  }
  const std::uint64_t seen = document.generation;
  wanted_.fetch_or(bit(which), std::memory_order_relaxed);
  if (waker_) waker_();
  published_cv_.wait_for(lock, limits_.wait_for_capture,
                         [&] { return document.generation != seen; });
  return document.text;
}

bool MetricsServer::answer(MHD_Connection* connection, const std::string& url,
                           const std::string& method) {
  if (method != MHD_HTTP_METHOD_GET && method != MHD_HTTP_METHOD_HEAD) {
    return respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "text/plain");
  }
  if (url == "/") return respond(connection, MHD_HTTP_OK, kIndex, "text/html; charset=utf-8");
  if (url == "/metrics" || url == "/stats.json") {
    const bool metrics = url == "/metrics";
    const std::string text = fetch(metrics ? Document::kMetrics : Document::kStatsJson);
    if (text.empty()) {
      return respond(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "the capture has not answered\n",
                     "text/plain");
    }
    return respond(connection, MHD_HTTP_OK, text, metrics ? kMetricsType : "application/json");
  }
  return respond(connection, MHD_HTTP_NOT_FOUND, "not found: see /\n", "text/plain");
}

}  // namespace zkdump::metrics
