#include "zkdump/session/filter.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "zkdump/session/sink.hpp"

namespace zkdump::session {
namespace {

template <typename List, typename Match>
bool any_or_unset(const List& list, Match match) {
  return list.empty() || std::any_of(list.begin(), list.end(), match);
}

std::optional<std::int64_t> session_of(const Connection& connection) {
  if (connection.session.empty()) return std::nullopt;
  return parse_session_id(connection.session);
}

bool same_client(const ClientMatch& match, const net::Endpoint& client) {
  return match.address == client.address && (match.port == 0 || match.port == client.port);
}

}  // namespace

bool ExchangeFilter::active() const {
  return !options_.path_prefixes.empty() || !options_.ops.empty() || !options_.sessions.empty() ||
         !options_.clients.empty() || decides_at_reply();
}

bool ExchangeFilter::matches_request(const Connection& connection, std::string_view op,
                                     std::string_view path, bool session_known) const {
  return any_or_unset(options_.path_prefixes,
                      [path](const std::string& prefix) { return path.starts_with(prefix); }) &&
         any_or_unset(options_.ops, [op](const std::string& name) { return name == op; }) &&
         (!session_known || matches_session(connection)) &&
         any_or_unset(options_.clients, [&connection](const ClientMatch& match) {
           return same_client(match, connection.client_endpoint);
         });
}

bool ExchangeFilter::matches_session(const Connection& connection) const {
  const std::optional<std::int64_t> session = session_of(connection);
  return any_or_unset(options_.sessions, [&session](std::int64_t id) { return session == id; });
}

Selection ExchangeFilter::at_request(const Connection& connection, std::string_view op,
                                     std::string_view path) const {
  // A new session's connect learns its id from the reply, which then decides.
  const bool session_known = op != "connect" || session_of(connection).has_value();
  if (!matches_request(connection, op, path, session_known)) return Selection::kNo;
  return decides_at_reply() || !session_known ? Selection::kAtReply : Selection::kYes;
}

bool ExchangeFilter::at_reply(const Connection& connection, std::int32_t error,
                              std::int64_t latency_us) const {
  if (!matches_session(connection)) return false;
  if (options_.errors_only && error == 0) return false;
  return options_.slower_than_us < 0 || latency_us >= options_.slower_than_us;
}

// Never answered is a failure (--errors), and slow once it waited long enough.
bool ExchangeFilter::waited(std::int64_t waited_us) const {
  return options_.slower_than_us < 0 || waited_us >= options_.slower_than_us;
}

std::optional<ClientMatch> parse_client_match(std::string_view text) {
  std::string host(text);
  std::uint16_t port = 0;
  const auto parse_port = [&port](std::string_view digits) {
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    return error == std::errc() && end == digits.data() + digits.size() && port != 0;
  };
  if (text.starts_with('[')) {  // [v6]:port
    const std::size_t close = text.find("]:");
    if (close == std::string_view::npos || !parse_port(text.substr(close + 2))) return std::nullopt;
    host = std::string(text.substr(1, close - 1));
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // v4:port
    const std::size_t colon = text.find(':');
    if (!parse_port(text.substr(colon + 1))) return std::nullopt;
    host = std::string(text.substr(0, colon));
  }
  ClientMatch match;
  match.port = port;
  if (inet_pton(AF_INET, host.c_str(), match.address.bytes) == 1) {
    match.address.family = 4;
  } else if (inet_pton(AF_INET6, host.c_str(), match.address.bytes) == 1) {
    match.address.family = 6;
  } else {
    return std::nullopt;
  }
  return match;
}

std::optional<std::int64_t> parse_session_id(std::string_view text) {
  const bool hex = text.starts_with("0x") || text.starts_with("0X");
  if (hex) text.remove_prefix(2);
  std::uint64_t value = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value, hex ? 16 : 10);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

}  // namespace zkdump::session
