// --top: a live full-screen view, like top(1), redrawn every second from the statistics.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "zkdump/session/capture_counters.hpp"
#include "zkdump/session/client.hpp"
#include "zkdump/session/elapsed.hpp"
#include "zkdump/stats/analysis_stats.hpp"
#include "zkdump/stats/collector.hpp"
#include "zkdump/stats/etcd_stats.hpp"
#include "zkdump/stats/report_span.hpp"

namespace zkdump::top {

class TopView {
 public:
  TopView();  // takes over the terminal (ncurses)
  ~TopView();
  TopView(const TopView&) = delete;
  TopView& operator=(const TopView&) = delete;

  // Reads waiting keys; false once the user pressed q.
  bool handle_keys();
  // What a redraw shows.
  struct Input {
    const stats::Collector& collector;
    const stats::EtcdStats& etcd;
    stats::ReportSpan span;  // the run so far: what a finished file's rates divide by
    std::string_view source;
    bool capturing;
    session::OldestPending oldest;                   // the request waiting longest for its reply
    std::int64_t now_us;                             // on the capture's clock
    const stats::AnalysisStats* analyses = nullptr;  // null: none runs
    session::CaptureCounters capture{};              // what the capture lost so far
    // Packets or stream bytes lost: a request whose reply was lost waits forever, a session
    // whose pings were lost looks silent. The figures loss can forge are marked.
    bool lossy() const { return capture.kernel_drops + capture.interface_drops + capture.gaps > 0; }
  };
  // Whether a second has passed since the last redraw, or a key asked for one.
  bool due() const;
  void draw(const Input& input);

 private:
  enum class Order { kRequests, kLatency, kErrors };
  // One row of a table of ops (ZooKeeper) or methods (etcd).
  struct Row {
    std::string_view name;
    std::uint64_t count;  // requests, or calls
    std::uint64_t errors;
    const stats::LatencyHistogram* latency;
    std::int64_t open = -1;  // etcd: calls begun and not ended (streams); -1 not shown
  };
  static void draw_servers(int& row, fmt::memory_buffer& text, const stats::Collector& collector);
  static void draw_oldest_pending(int& row, fmt::memory_buffer& text, const Input& input);
  void draw_rows(int& row, fmt::memory_buffer& text, std::vector<Row> rows, const Input& input);
  static void draw_hottest(int& row, fmt::memory_buffer& text, const stats::Collector& collector);
  static void draw_loss(int& row, fmt::memory_buffer& text, const Input& input);
  static void draw_analyses(int& row, fmt::memory_buffer& text, const Input& input);
  static void draw_etcd_totals(int& row, fmt::memory_buffer& text, const stats::EtcdStats& etcd);
  // What the rows are sorted by, largest first.
  double measure(const Row& row) const;
  // Live, the rate over the last second; for a finished file, over the whole capture.
  double rate(const Row& row, const Input& input);

  Order order_ = Order::kRequests;
  std::chrono::steady_clock::time_point last_draw_{};
  std::map<std::string, std::uint64_t, std::less<>> previous_counts_;  // for rates per second
  bool dirty_ = true;
};

}  // namespace zkdump::top
