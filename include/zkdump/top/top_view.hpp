// --top: a live full-screen view, like top(1), redrawn every second from the statistics.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "zkdump/stats/collector.hpp"

namespace zkdump::top {

class TopView {
 public:
  TopView();  // takes over the terminal (ncurses)
  ~TopView();
  TopView(const TopView&) = delete;
  TopView& operator=(const TopView&) = delete;

  // Reads waiting keys; false once the user pressed q.
  bool handle_keys();
  // Redraws when a second has passed since the last redraw, or when `force` is set.
  void refresh(const stats::Collector& collector, std::string_view source, bool capturing,
               bool force = false);

 private:
  enum class Order { kRequests, kLatency, kErrors };
  void draw(const stats::Collector& collector, std::string_view source, bool capturing);
  void draw_ops(int& row, fmt::memory_buffer& text, const stats::Collector& collector,
                bool capturing);
  static void draw_hottest(int& row, fmt::memory_buffer& text, const stats::Collector& collector);
  // What the op rows are sorted by, largest first.
  double measure(const stats::Collector::OpStats& stats) const;

  Order order_ = Order::kRequests;
  std::chrono::steady_clock::time_point last_draw_{};
  std::map<std::string_view, std::uint64_t> previous_requests_;  // for requests per second
  bool dirty_ = true;
};

}  // namespace zkdump::top
