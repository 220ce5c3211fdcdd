#include "zkdump/top/top_view.hpp"

#include <ncurses.h>

#include <algorithm>
#include <iterator>
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

// A count from a ranking's row: "N+" where the key may have had more, before it had a row.
std::string at_least(std::uint64_t count, std::uint64_t uncertain) {
  return uncertain == 0 ? fmt::format("{}", count) : fmt::format("{}+", count);
}

// A value from the wire as the screen shows it: escaped as on a line, then ASCII only (the
// terminal's locale may not be UTF-8), cut to `width` columns.
std::string shown_value(std::string_view bytes, std::size_t width) {
  fmt::memory_buffer escaped;
  append_text_value(escaped, bytes);
  std::string shown;
  for (const char c : std::string_view(escaped.data(), escaped.size())) {
    if (shown.size() >= width) break;
    if (static_cast<unsigned char>(c) < 0x80) {
      shown += c;
    } else {
      fmt::format_to(std::back_inserter(shown), "\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  shown.resize(std::min(shown.size(), width));
  return shown;
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
  const char* order_name = order_ == Order::kRequests  ? "requests"
                           : order_ == Order::kLatency ? "p99 latency"
                                                       : "errors";
  fmt::memory_buffer text;
  int row = 0;
  fmt::format_to(fmt::appender(text), "zkdump --top  {}  ",
                 input.capturing ? "capturing" : "finished");
  append_escaped_text(text, input.source);
  fmt::format_to(fmt::appender(text), "  {} messages",
                 collector.messages() + input.etcd.messages());
  const session::EnsembleView& ensemble = collector.ensemble();
  if (ensemble.leader >= 0 || !ensemble.leader_address.empty()) {
    fmt::format_to(fmt::appender(text), "  leader {} epoch {}", ensemble.leader, ensemble.epoch);
  }
  put_line(row++, {text.data(), text.size()});
  draw_loss(row, text, input);
  draw_line(row, text, "sorted by {}   keys: r requests  l p99 latency  e errors  q quit",
            order_name);
  draw_servers(row, text, collector);
  const bool etcd_only = collector.ops().empty() && !input.etcd.empty();
  if (!etcd_only) {
    draw_oldest_pending(row, text, input);
    put_line(row++, "");  // a line a previous screen drew is cleared
    std::vector<Row> ops;
    for (const stats::Collector::OpStats* op : collector.ops())
      ops.push_back({op->name, op->requests, op->error_count(), &op->latency});
    draw_line(row, text, "{:<22} {:>10} {:>9} {:>8} {:>10} {:>10} {:>10}", "op", "requests",
              "req/s", "errors", "p50_us", "p99_us", "max_us");
    draw_rows(row, text, std::move(ops), input);
    put_line(row++, "");
    draw_hottest(row, text, collector);
    if (input.analyses != nullptr) draw_analyses(row, text, input);
  }
  if (!input.etcd.empty()) {
    put_line(row++, "");
    std::vector<Row> methods;
    for (const stats::EtcdStats::MethodRow& method : input.etcd.method_rows())
      methods.push_back({method.name, method.calls, method.errors, method.latency,
                         static_cast<std::int64_t>(method.open)});
    draw_line(row, text, "{:<22} {:>10} {:>9} {:>8} {:>10} {:>10} {:>10} {:>6}", "etcd method",
              "calls", "calls/s", "errors", "p50_us", "p99_us", "max_us", "open");
    draw_rows(row, text, std::move(methods), input);
    put_line(row++, "");
    draw_etcd_totals(row, text, input.etcd);
  }
  clrtobot();
  ::refresh();
  last_draw_ = std::chrono::steady_clock::now();
  dirty_ = false;
}

// A stalled server shows here first: the request that has waited longest for its reply.
// Which servers the capture showed, and how each was recognised: one line.
void TopView::draw_servers(int& row, fmt::memory_buffer& text, const stats::Collector& collector) {
  text.clear();
  fmt::format_to(fmt::appender(text), "servers {}:", collector.servers_found());
  for (const stats::Collector::FoundServer& server : collector.servers()) {
    fmt::format_to(fmt::appender(text), " {} {}", server.endpoint, server.protocol);
  }
  put_line(row++, {text.data(), text.size()});
}

// Loss first, on every screen: the operator must know which figures it can have made up.
void TopView::draw_loss(int& row, fmt::memory_buffer& text, const Input& input) {
  const session::CaptureCounters& lost = input.capture;
  if (!input.lossy()) {
    draw_line(row, text, "capture loss: none (0 dropped by kernel, 0 gaps)");
    return;
  }
  draw_line(row, text,
            "CAPTURE LOSS: {} dropped by kernel, {} by interface, {} gaps ({} bytes); figures "
            "marked * may be loss, not the servers",
            lost.kernel_drops, lost.interface_drops, lost.gaps, lost.gap_bytes);
}

void TopView::draw_oldest_pending(int& row, fmt::memory_buffer& text, const Input& input) {
  const session::Outstanding* request = input.oldest.request;
  const char* mark = input.lossy() ? "*" : "";
  if (request == nullptr) {
    draw_line(row, text, "oldest pending{}: none", mark);
    return;
  }
  text.clear();
  fmt::format_to(fmt::appender(text), "oldest pending{}: {} xid={} waiting {:.1f} s  ", mark,
                 request->op_name(), request->xid,
                 static_cast<double>(session::elapsed_us(request->ts_us, input.now_us)) / 1e6);
  append_text_value(text, request->path);
  fmt::format_to(fmt::appender(text), "  client {}", input.oldest.connection->client);
  put_line(row++, {text.data(), text.size()});
}

double TopView::measure(const Row& row) const {
  switch (order_) {
    case Order::kLatency:
      return row.latency->percentile(0.99);
    case Order::kErrors:
      return static_cast<double>(row.errors);
    case Order::kRequests:
      break;
  }
  return static_cast<double>(row.count);
}

double TopView::rate(const Row& row, const Input& input) {
  auto [previous, added] = previous_counts_.try_emplace(std::string(row.name), 0);
  const std::uint64_t before = std::min(previous->second, row.count);
  previous->second = row.count;
  if (!input.capturing) return input.span.rate(row.count);
  const double elapsed =
      last_draw_.time_since_epoch().count() == 0
          ? 1.0
          : std::chrono::duration<double>(std::chrono::steady_clock::now() - last_draw_).count();
  return static_cast<double>(row.count - before) / elapsed;
}

void TopView::draw_rows(int& row, fmt::memory_buffer& text, std::vector<Row> rows,
                        const Input& input) {
  std::sort(rows.begin(), rows.end(), [this](const Row& a, const Row& b) {
    return measure(a) != measure(b) ? measure(a) > measure(b) : a.name < b.name;
  });
  for (const Row& shown : rows) {
    text.clear();
    fmt::format_to(fmt::appender(text), "{:<22} {:>10} {:>9.1f} {:>8} {:>10.0f} {:>10.0f} {:>10}",
                   shown.name, shown.count, rate(shown, input), shown.errors,
                   shown.latency->percentile(0.5), shown.latency->percentile(0.99),
                   shown.latency->max());
    if (shown.open >= 0) fmt::format_to(fmt::appender(text), " {:>6}", shown.open);
    put_line(row++, {text.data(), text.size()});
  }
}

void TopView::draw_hottest(int& row, fmt::memory_buffer& text, const stats::Collector& collector) {
  draw_line(row, text,
            "hottest paths                                           requests        bytes");
  for (const auto& hot : collector.paths().top(stats::KeyRanking::Measure::kRequests, 8)) {
    draw_line(row, text, "  {:<50} {:>10} {:>12}", shown_value(hot.key, 50),
              at_least(hot.requests, hot.uncertain), hot.bytes);
  }
  put_line(row++, "");
  draw_line(row, text,
            "hottest clients                                         requests        bytes");
  for (const auto& hot : collector.clients().top(stats::KeyRanking::Measure::kRequests, 8)) {
    draw_line(row, text, "  {:<50} {:>10} {:>12}", hot.key, at_least(hot.requests, hot.uncertain),
              hot.bytes);
  }
}

// etcd's watches, leases and Txn outcomes, the watchers furthest behind and the hottest keys.
// Where writes spend their time, stage by stage, and what the other analyses found so far.
void TopView::draw_analyses(int& row, fmt::memory_buffer& text, const Input& input) {
  const stats::AnalysisStats& found = *input.analyses;
  const char* mark = input.lossy() ? "*" : "";
  put_line(row++, "");
  draw_line(row, text,
            "writes traced {}  watch storms {}  sessions at risk{} {} expired{} {}  size "
            "alerts {}",
            found.traced(), found.watch_storms(), mark, found.sessions_at_risk(), mark,
            found.session_expiries(), found.size_alerts());
  if (found.traced() == 0) return;
  draw_line(row, text, "{:<22} {:>10} {:>10} {:>10} {:>10}", "write stage", "count", "p50_us",
            "p99_us", "max_us");
  for (std::size_t stage = 0; stage <= session::kWriteStages; ++stage) {
    const stats::LatencyHistogram& histogram = found.stage(stage);
    if (histogram.count() == 0) continue;
    draw_line(row, text, "  {:<20} {:>10} {:>10.0f} {:>10.0f} {:>10}",
              stage == session::kWriteStages
                  ? std::string_view("request_to_reply")
                  : session::write_stage_name(static_cast<session::WriteStage>(stage)),
              histogram.count(), histogram.percentile(0.5), histogram.percentile(0.99),
              histogram.max());
  }
}

void TopView::draw_etcd_totals(int& row, fmt::memory_buffer& text, const stats::EtcdStats& etcd) {
  const stats::EtcdStats::Totals& totals = etcd.totals();
  draw_line(row, text, "watch events {}  watchers created {} canceled {}  newest revision {}",
            totals.event_puts + totals.event_deletes, totals.watchers_created,
            totals.watchers_canceled, totals.newest_revision);
  draw_line(row, text, "leases granted {} kept alive {} expired {}  txn succeeded {} failed {}",
            totals.leases_granted, totals.leases_kept_alive, totals.leases_expired,
            totals.txn_succeeded, totals.txn_failed);
  put_line(row++, "");
  draw_line(row, text, "watchers by lag{:<42} {:>10} {:>12}", "", "max_lag", "events");
  for (const stats::EtcdStats::WatcherRow& watcher : etcd.most_lagging(4)) {
    const std::string_view shown = watcher.watcher.substr(0, 55);
    draw_line(row, text, "  {:<55} {:>10} {:>12}", shown, watcher.max_lag, watcher.events);
  }
  put_line(row++, "");
  draw_line(row, text, "hottest keys{:<45} {:>10} {:>12}", "", "reads", "writes");
  for (const stats::EtcdStats::KeyRow& key : etcd.top_keys(8)) {
    draw_line(row, text, "  {:<55} {:>10} {:>12}", shown_value(key.key, 55),
              at_least(key.reads, key.uncertain), at_least(key.writes, key.uncertain));
  }
}

}  // namespace zkdump::top
