#include "zkdump/top/top_view.hpp"

#include <ncurses.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "zkdump/base/escape.hpp"

namespace zkdump::top {
namespace {

constexpr auto kRedrawInterval = std::chrono::seconds(1);

void put_line(int row, std::string_view text) {
  if (row >= LINES) return;
  move(row, 0);
  clrtoeol();
  addnstr(text.data(),
          static_cast<int>(std::min<std::size_t>(text.size(), static_cast<std::size_t>(COLS))));
}

template <typename... Args>
void draw_line(int& row, fmt::memory_buffer& text, fmt::format_string<Args...> format,
               Args&&... args) {
  text.clear();
  fmt::format_to(fmt::appender(text), format, std::forward<Args>(args)...);
  put_line(row++, {text.data(), text.size()});
}

}  // namespace

TopView::TopView() {
  initscr();
  cbreak();
  noecho();
  nodelay(stdscr, TRUE);
  keypad(stdscr, TRUE);
  curs_set(0);
}

TopView::~TopView() {
  endwin();
}

bool TopView::handle_keys() {
  for (int key = getch(); key != ERR; key = getch()) {
    switch (key) {
      case 'q':
      case 'Q':
        return false;
      case 'r':
        order_ = Order::kRequests;
        dirty_ = true;
        break;
      case 'l':
        order_ = Order::kLatency;
        dirty_ = true;
        break;
      case 'e':
        order_ = Order::kErrors;
        dirty_ = true;
        break;
      default:
        break;
    }
  }
  return true;
}

bool TopView::due() const {
  return dirty_ || std::chrono::steady_clock::now() - last_draw_ >= kRedrawInterval;
}

void TopView::draw(const Input& input) {
  const stats::Collector& collector = input.collector;
  const bool capturing = input.capturing;
  const char* order_name = order_ == Order::kRequests  ? "requests"
                           : order_ == Order::kLatency ? "p99 latency"
                                                       : "errors";
  fmt::memory_buffer text;
  int row = 0;
  fmt::format_to(fmt::appender(text), "zkdump --top  {}  ", capturing ? "capturing" : "finished");
  append_escaped_text(text, input.source);
  fmt::format_to(fmt::appender(text), "  {} messages", collector.messages());
  put_line(row++, {text.data(), text.size()});
  draw_line(row, text, "sorted by {}   keys: r requests  l p99 latency  e errors  q quit",
            order_name);
  draw_oldest_pending(row, text, input);
  row++;
  draw_ops(row, text, collector, capturing);
  row++;
  draw_hottest(row, text, collector);
  clrtobot();
  ::refresh();
  last_draw_ = std::chrono::steady_clock::now();
  dirty_ = false;
}

// A stalled server shows here first: the request that has waited longest for its reply.
void TopView::draw_oldest_pending(int& row, fmt::memory_buffer& text, const Input& input) {
  const session::Outstanding* request = input.oldest.request;
  if (request == nullptr) {
    draw_line(row, text, "oldest pending: none");
    return;
  }
  text.clear();
  fmt::format_to(fmt::appender(text), "oldest pending: {} xid={} waiting {:.1f} s  ",
                 request->op_name(), request->xid,
                 static_cast<double>(session::elapsed_us(request->ts_us, input.now_us)) / 1e6);
  append_text_value(text, request->path);
  fmt::format_to(fmt::appender(text), "  client {}", input.oldest.connection->client);
  put_line(row++, {text.data(), text.size()});
}

double TopView::measure(const stats::Collector::OpStats& stats) const {
  switch (order_) {
    case Order::kLatency:
      return stats.latency.percentile(0.99);
    case Order::kErrors:
      return static_cast<double>(stats.error_count());
    case Order::kRequests:
      break;
  }
  return static_cast<double>(stats.requests);
}

void TopView::draw_ops(int& row, fmt::memory_buffer& text, const stats::Collector& collector,
                       bool capturing) {
  const double elapsed =
      last_draw_.time_since_epoch().count() == 0
          ? 1.0
          : std::chrono::duration<double>(std::chrono::steady_clock::now() - last_draw_).count();
  draw_line(row, text, "{:<22} {:>10} {:>9} {:>8} {:>10} {:>10} {:>10}", "op", "requests", "req/s",
            "errors", "p50_us", "p99_us", "max_us");
  std::vector<const stats::Collector::OpStats*> ops = collector.ops();
  std::sort(ops.begin(), ops.end(), [this](const auto* a, const auto* b) {
    return measure(*a) != measure(*b) ? measure(*a) > measure(*b) : a->name < b->name;
  });
  for (const stats::Collector::OpStats* stats : ops) {
    // Live, the rate over the last second; for a finished file, over the whole capture.
    const std::uint64_t before = previous_requests_[stats->name];
    const double seconds = collector.duration_s();
    const double rate =
        capturing
            ? static_cast<double>(stats->requests - std::min(before, stats->requests)) / elapsed
        : seconds > 0 ? static_cast<double>(stats->requests) / seconds
                      : 0.0;
    previous_requests_[stats->name] = stats->requests;
    draw_line(row, text, "{:<22} {:>10} {:>9.1f} {:>8} {:>10.0f} {:>10.0f} {:>10}", stats->name,
              stats->requests, rate, stats->error_count(), stats->latency.percentile(0.5),
              stats->latency.percentile(0.99), stats->latency.max());
  }
}

void TopView::draw_hottest(int& row, fmt::memory_buffer& text, const stats::Collector& collector) {
  draw_line(row, text,
            "hottest paths                                           requests        bytes");
  for (const auto& [path, stats] : collector.top_paths_by_requests(8)) {
    text.clear();
    append_text_value(text, path);
    const std::string shown(text.data(), std::min<std::size_t>(text.size(), 50));
    draw_line(row, text, "  {:<50} {:>10} {:>12}", shown, stats->requests, stats->bytes);
  }
  row++;
  draw_line(row, text,
            "hottest clients                                         requests        bytes");
  for (const auto& [client, stats] : collector.top_clients_by_requests(8)) {
    draw_line(row, text, "  {:<50} {:>10} {:>12}", client, stats->requests, stats->bytes);
  }
}

}  // namespace zkdump::top
