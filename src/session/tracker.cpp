#include "zkdump/session/tracker.hpp"

#include "conversation.hpp"

namespace zkdump::session {

Tracker::Tracker(const TrackerOptions& options, output::MessagePrinter& printer,
                 output::OutputBuffer& out)
    : options_(options), printer_(printer), out_(out) {}

std::unique_ptr<tcp::StreamHandler> Tracker::open(const net::Endpoint& client,
                                                  const net::Endpoint& server, bool from_start,
                                                  std::int64_t) {
  return std::make_unique<Conversation>(*this, client, server, from_start);
}

void Tracker::print(std::string_view text) {
  if (limit_reached_ || text.empty()) return;
  if (options_.max_lines == 0) {
    out_.write_line(text);
    return;
  }
  // A held request and its reply print as one piece but are two lines for -c.
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end + 1;
    out_.write_line(text.substr(start, end - start));
    start = end;
    ++counters_.lines;
    if (options_.max_lines != 0 && counters_.lines >= options_.max_lines) {
      limit_reached_ = true;
      return;
    }
  }
}

}  // namespace zkdump::session
