// --top: a live full-screen view, like top(1), redrawn every second from the statistics.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "zkdump/session/client.hpp"
#include "zkdump/session/elapsed.hpp"
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
  // What a redraw shows.
  struct Input {
    const stats::Collector& collector;
    std::string_view source;
    bool capturing;
    session::OldestPending oldest;  // the request waiting longest for its reply
    std::int64_t now_us;            // on the capture's clock
  };
  // Whether a second has passed since the last redraw, or a key asked for one.
  bool due() const;
  void draw(const Input& input);

 private:
  enum class Order { kRequests, kLatency, kErrors };
  static void draw_oldest_pending(int& row, fmt::memory_buffer& text, const Input& input);
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
