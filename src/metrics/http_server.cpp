#include "zkdump/metrics/http_server.hpp"

#include "zkdump/metrics/tls_policy.hpp"

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
#include <utility>
#include <vector>

#include <fmt/core.h>

namespace zkdump::metrics {
namespace {

constexpr std::string_view kIndex =
    "<html><head><title>zkdump</title></head><body><h1>zkdump</h1><ul>\n"
    "<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics</li>\n"
    "<li><a href=\"/stats.json\">/stats.json</a>: the --stats --json documents</li>\n"
    "</ul></body></html>\n";
constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::size_t kThreadStackBytes = std::size_t{256} * 1024;

using Headers = std::vector<std::pair<std::string, std::string>>;

MHD_Response* response_of(std::string_view body, const char* type, const Headers& headers) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return nullptr;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  for (const auto& [name, value] : headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  return response;
}

bool respond(MHD_Connection* connection, unsigned status, std::string_view body, const char* type,
             const Headers& headers) {
  MHD_Response* response = response_of(body, type, headers);
  if (response == nullptr) return false;
  const MHD_Result queued = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return queued == MHD_YES;
}

// 401 with WWW-Authenticate, so that a browser or curl --anyauth asks for the password.
bool ask_for_password(MHD_Connection* connection, const Headers& headers) {
  MHD_Response* response = response_of("authentication required\n", "text/plain", headers);
  if (response == nullptr) return false;
  const MHD_Result queued = MHD_queue_basic_auth_fail_response(connection, "zkdump", response);
  MHD_destroy_response(response);
  return queued == MHD_YES;
}

std::string client_of(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "?";
  std::array<char, INET6_ADDRSTRLEN> text{};
  const sockaddr* address = info->client_addr;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size());
    return fmt::format("{}:{}", text.data(), ntohs(v4->sin_port));
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
  inet_ntop(AF_INET6, &v6->sin6_addr, text.data(), text.size());
  return fmt::format("[{}]:{}", text.data(), ntohs(v6->sin6_port));
}

// The user and password of a basic Authorization header, if it has one.
struct Credentials {
  std::string user;
  std::string password;
};
std::optional<Credentials> credentials_of(MHD_Connection* connection) {
  char* password = nullptr;
  char* user = MHD_basic_auth_get_username_password(connection, &password);
  if (user == nullptr) return std::nullopt;
  Credentials credentials{user, password != nullptr ? password : ""};
  MHD_free(user);
  if (password != nullptr) {
    std::memset(password, 0, std::strlen(password));
    MHD_free(password);
  }
  return credentials;
}

// The listening address as getaddrinfo resolves it: numeric, or a name such as localhost.
struct Resolved {
  sockaddr_storage storage{};
  bool ipv6 = false;
};
Resolved resolve(const ListenAddress& address) {
  Resolved resolved;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string host = address.host.empty() ? "127.0.0.1" : address.host;
  const std::string port = std::to_string(address.port);
  if (const int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found)) {
    throw std::runtime_error("--metrics-listen: " + host + ": " + gai_strerror(error));
  }
  std::memcpy(&resolved.storage, found->ai_addr, found->ai_addrlen);
  resolved.ipv6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);
  return resolved;
}

// libmicrohttpd's own complaints (a bind that failed, a thread it could not start), as zkdump's.
void log_server_error(void* log, const char* format, va_list arguments) {
  std::array<char, 512> message{};
  (void)std::vsnprintf(message.data(), message.size(), format, arguments);
  static_cast<LimitedLog*>(log)->say(message.data());
}

// The server's threads must not take the stop and reload signals: the capture's thread waits
// for them.
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
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

  // A new TLS connection, before its handshake: client certificates asked for as the web config
  // says, so that one that is required and missing or untrusted fails the handshake itself.
  static void on_connection(void* daemon, MHD_Connection* connection, void** /*state*/,
                            MHD_ConnectionNotificationCode code) {
    if (code != MHD_CONNECTION_NOTIFY_STARTED) return;
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    const auto& tls = static_cast<MetricsServer::Daemon*>(daemon)->tls;
    if (info != nullptr && tls) ask_for_client_certificate(info->tls_session, tls->client_auth);
  }
};

bool parse_listen_address(const std::string& text, ListenAddress& address) {
  const std::size_t colon = text.rfind(':');
  std::string host = colon == std::string::npos ? std::string() : text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return false;  // an IPv6 address needs its brackets
  }
  const std::string_view port =
      std::string_view(text).substr(colon == std::string::npos ? 0 : colon + 1);
  int value = -1;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value < 0 || value > 65535) {
    return false;
  }
  address = {host, value};
  return true;
}

MetricsServer::Access::Access(WebConfig config)
    : web(std::move(config)),
      auth(web.users),
      requests(web.rate_limit.interval, web.rate_limit.burst) {}

MetricsServer::MetricsServer(const ListenAddress& address, const ServerLimits& limits,
                             WebConfig web)
    : limits_(limits), address_(address), access_(std::make_shared<Access>(std::move(web))) {
  daemon_ = start(access_->web.tls, -1);
  if (daemon_ == nullptr) {
    throw std::runtime_error("--metrics-listen: cannot listen on " +
                             (address.host.empty() ? std::string("127.0.0.1") : address.host) +
                             ":" + std::to_string(address.port) +
                             " (address in use, or not this host's?)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_->handle, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info != nullptr ? info->port : address.port;
}

MetricsServer::~MetricsServer() {
  {
    // Scrapes waiting for a document stop waiting: nothing will publish it any more.
    const std::lock_guard lock(mutex_);
    for (Published& document : documents_) ++document.generation;
  }
  published_cv_.notify_all();
  MHD_stop_daemon(daemon_->handle);
  for (std::thread& retiring : retiring_) retiring.join();
}

std::unique_ptr<MetricsServer::Daemon> MetricsServer::start(
    const std::optional<TlsServerConfig>& tls, int listen_socket) {
  auto daemon = std::make_unique<Daemon>();
  daemon->tls = tls;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                   MHD_USE_ERROR_LOG | MHD_USE_ITC;
  Resolved resolved;
  std::vector<MHD_OptionItem> options = {
      {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&log_server_error), &log_},
      {MHD_OPTION_CONNECTION_LIMIT, limits_.connections, nullptr},
      {MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits_.per_client_host, nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<intptr_t>(limits_.memory_per_connection),
       nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, limits_.idle_timeout_s, nullptr},
      {MHD_OPTION_THREAD_STACK_SIZE, static_cast<intptr_t>(kThreadStackBytes), nullptr},
  };
  if (listen_socket >= 0) {
    options.push_back({MHD_OPTION_LISTEN_SOCKET, listen_socket, nullptr});
  } else {
    resolved = resolve(address_);
    if (resolved.ipv6) flags |= address_.host == "::" ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    options.push_back({MHD_OPTION_SOCK_ADDR, 0, &resolved.storage});
  }
  if (daemon->tls) {
    flags |= MHD_USE_TLS;
    options.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, daemon->tls->cert_pem.data()});
    options.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, daemon->tls->key_pem.data()});
    options.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0, daemon->tls->priorities.data()});
    if (!daemon->tls->client_ca_pem.empty()) {
      options.push_back({MHD_OPTION_HTTPS_MEM_TRUST, 0, daemon->tls->client_ca_pem.data()});
    }
    options.push_back({MHD_OPTION_NOTIFY_CONNECTION,
                       reinterpret_cast<intptr_t>(&RequestHandler::on_connection), daemon.get()});
  }
  options.push_back({MHD_OPTION_END, 0, nullptr});
  const SignalsBlocked blocked;
  daemon->handle = MHD_start_daemon(flags, static_cast<std::uint16_t>(address_.port), nullptr,
                                    nullptr, &RequestHandler::answer, this, MHD_OPTION_ARRAY,
                                    options.data(), MHD_OPTION_END);
  return daemon->handle == nullptr ? nullptr : std::move(daemon);
}

// An old daemon stops on a thread of its own: a client it still serves must not hold up the
// capture.
void MetricsServer::retire(std::unique_ptr<Daemon> daemon) {
  retiring_.emplace_back([old = std::move(daemon)] { MHD_stop_daemon(old->handle); });
}

void MetricsServer::reload(WebConfig web) {
  auto access = std::make_shared<Access>(std::move(web));
  const auto same_tls = [](const std::optional<TlsServerConfig>& a,
                           const std::optional<TlsServerConfig>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || (a->cert_pem == b->cert_pem && a->key_pem == b->key_pem &&
                  a->client_ca_pem == b->client_ca_pem && a->priorities == b->priorities &&
                  a->client_auth == b->client_auth);
  };
  if (!same_tls(daemon_->tls, access->web.tls)) {
    const MHD_socket listening = MHD_quiesce_daemon(daemon_->handle);
    if (listening == MHD_INVALID_SOCKET) {
      throw std::runtime_error("the metrics server cannot hand its socket over");
    }
    std::unique_ptr<Daemon> replacement = start(access->web.tls, listening);
    if (replacement == nullptr) {
      // What served before serves on: the new TLS settings are not applied at all.
      replacement = start(daemon_->tls, listening);
      if (replacement == nullptr) throw std::runtime_error("the metrics server could not restart");
      std::swap(replacement, daemon_);
      retire(std::move(replacement));
      throw std::runtime_error("libmicrohttpd refused the new TLS settings");
    }
    std::swap(replacement, daemon_);
    retire(std::move(replacement));
  }
  const std::lock_guard lock(access_mutex_);
  access->auth.inherit(access_->auth);
  access_ = std::move(access);
}

bool MetricsServer::uses_tls() const {
  return daemon_->tls.has_value();
}

std::shared_ptr<MetricsServer::Access> MetricsServer::access() const {
  const std::lock_guard lock(access_mutex_);
  return access_;
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

std::optional<bool> MetricsServer::refuse(MHD_Connection* connection, Access& access) {
  const Headers& headers = access.web.headers;
  if (!access.requests.take(TokenBucket::Clock::now())) {
    log_.refused(client_of(connection), "over rate_limit");
    return respond(connection, MHD_HTTP_TOO_MANY_REQUESTS, "too many requests\n", "text/plain",
                   headers);
  }
  if (access.web.tls) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    const std::string_view why =
        info != nullptr ? client_certificate_refusal(info->tls_session, *access.web.tls)
                        : "no TLS session";
    if (!why.empty()) {
      log_.refused(client_of(connection), why);
      return respond(connection, MHD_HTTP_FORBIDDEN, std::string(why) + "\n", "text/plain",
                     headers);
    }
  }
  if (!access.auth.required()) return std::nullopt;
  const std::optional<Credentials> credentials = credentials_of(connection);
  const AuthOutcome outcome = credentials
                                  ? access.auth.check(credentials->user, credentials->password)
                                  : AuthOutcome::kNoCredentials;
  switch (outcome) {
    case AuthOutcome::kAllowed:
      return std::nullopt;
    case AuthOutcome::kThrottled:
      log_.refused(client_of(connection), "too many passwords to check: 429");
      return respond(connection, MHD_HTTP_TOO_MANY_REQUESTS, "too many password checks\n",
                     "text/plain", headers);
    case AuthOutcome::kNoCredentials:
      log_.refused(client_of(connection), "no basic authentication");
      break;
    case AuthOutcome::kUnknownUser:
      log_.refused(client_of(connection), "unknown user " + credentials->user);
      break;
    case AuthOutcome::kWrongPassword:
      log_.refused(client_of(connection), "wrong password for user " + credentials->user);
      break;
  }
  return ask_for_password(connection, headers);
}

bool MetricsServer::answer(MHD_Connection* connection, const std::string& url,
                           const std::string& method) {
  const std::shared_ptr<Access> current = access();
  if (const std::optional<bool> refused = refuse(connection, *current)) return *refused;
  const Headers& headers = current->web.headers;
  if (method != MHD_HTTP_METHOD_GET && method != MHD_HTTP_METHOD_HEAD) {
    return respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "text/plain", headers);
  }
  if (url == "/") {
    return respond(connection, MHD_HTTP_OK, kIndex, "text/html; charset=utf-8", headers);
  }
  if (url == "/metrics" || url == "/stats.json") {
    const bool metrics = url == "/metrics";
    const std::string text = fetch(metrics ? Document::kMetrics : Document::kStatsJson);
    if (text.empty()) {
      return respond(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "the capture has not answered\n",
                     "text/plain", headers);
    }
    return respond(connection, MHD_HTTP_OK, text, metrics ? kMetricsType : "application/json",
                   headers);
  }
  return respond(connection, MHD_HTTP_NOT_FOUND, "not found: see /\n", "text/plain", headers);
}

}  // namespace zkdump::metrics
