#include "zkdump/framing/stream.hpp"

#include <algorithm>

namespace zkdump::framing {
namespace {

constexpr std::size_t kReleaseAbove = 64u << 10;  // give back buffers grown for a rare big message
// A long stretch of junk is reported while it lasts, not only when decoding resumes.
constexpr std::uint64_t kReportUndecodableAfter = 1u << 20;

}  // namespace

Stream::Stream(Budget& budget, bool from_start)
    : budget_(budget), mode_(from_start ? Mode::kInSync : Mode::kSearching) {}

Stream::~Stream() {
  release_held();
}

void Stream::report(Handler& handler, Problem problem, std::uint64_t offset, std::int64_t count,
                    std::int64_t ts_us) {
  ++budget_.problems[static_cast<std::size_t>(problem)];
  handler.on_problem(problem, offset, count, ts_us);
}

void Stream::release_held() {
  budget_.used -= std::min(budget_.used, held_.size());
  held_.clear();
  if (held_.capacity() > kReleaseAbove) std::vector<std::uint8_t>().swap(held_);
}

void Stream::drop_front(std::size_t count) {
  budget_.used -= std::min(budget_.used, count);
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(count));
}

void Stream::start_search() {
  mode_ = Mode::kSearching;
  partial_total_ = 0;
  if (undecodable_ == 0) undecodable_start_ = consumed_;
}

void Stream::flush_undecodable(std::int64_t ts_us, Handler& handler) {
  if (undecodable_ == 0) return;
  report(handler, Problem::kUndecodable, undecodable_start_,
         static_cast<std::int64_t>(undecodable_), ts_us);
  undecodable_ = 0;
  undecodable_start_ = consumed_;
}

void Stream::emit(ByteSpan bytes, std::uint8_t tag, std::int64_t ts_us, Handler& handler) {
  const std::uint64_t offset = consumed_;
  consumed_ += bytes.size();
  partial_total_ = 0;
  handler.on_message(bytes, tag, offset, ts_us);
}

std::size_t Stream::step_in_sync(ByteSpan rest, std::int64_t ts_us, bool closing,
                                 Protocol& protocol, Handler& handler, bool& stop) {
  const Verdict verdict = protocol.judge(rest, false, closing);
  if (verdict.kind == Verdict::kMessage && verdict.size > 0 && verdict.size <= rest.size()) {
    emit(rest.first(verdict.size), verdict.tag, ts_us, handler);
    return verdict.size;
  }
  if (verdict.kind == Verdict::kNeedMore && !closing) {
    wanted_ = std::max<std::size_t>(verdict.size, rest.size() + 1);
    partial_total_ = verdict.total;
    partial_claimed_ = verdict.claimed;
    stop = true;
    return 0;
  }
  // Refused, or cut short by the connection's end: look for the next message.
  if (verdict.kind == Verdict::kReject && verdict.reported) {
    report(handler, verdict.problem, consumed_, verdict.claimed, ts_us);
  }
  start_search();
  return 0;
}

std::size_t Stream::step_searching(ByteSpan rest, std::int64_t ts_us, bool closing,
                                   Protocol& protocol, Handler& handler, bool& stop) {
  const Verdict verdict = protocol.judge(rest, true, closing);
  if (verdict.kind == Verdict::kMessage && verdict.size > 0 && verdict.size <= rest.size()) {
    flush_undecodable(ts_us, handler);
    mode_ = Mode::kInSync;
    emit(rest.first(verdict.size), verdict.tag, ts_us, handler);
    return verdict.size;
  }
  if (verdict.kind == Verdict::kNeedMore && !closing) {
    wanted_ = std::max<std::size_t>(verdict.size, rest.size() + 1);
    partial_total_ = 0;  // only a candidate: a gap cannot tell where it would have ended
    stop = true;
    return 0;
  }
  if (undecodable_ == 0) undecodable_start_ = consumed_;
  ++undecodable_;
  ++consumed_;
  if (undecodable_ >= kReportUndecodableAfter) flush_undecodable(ts_us, handler);
  return 1;
}

std::size_t Stream::parse(ByteSpan data, std::int64_t ts_us, bool closing, Protocol& protocol,
                          Handler& handler) {
  std::size_t used = 0;
  bool stop = false;
  while (used < data.size() && !stop) {
    const ByteSpan rest = data.subspan(used);
    switch (mode_) {
      case Mode::kSkipping: {
        const auto skipped =
            static_cast<std::size_t>(std::min<std::uint64_t>(skip_left_, rest.size()));
        skip_left_ -= skipped;
        consumed_ += skipped;
        used += skipped;
        if (skip_left_ == 0) mode_ = Mode::kInSync;
        break;
      }
      case Mode::kInSync:
        used += step_in_sync(rest, ts_us, closing, protocol, handler, stop);
        break;
      case Mode::kSearching:
        used += step_searching(rest, ts_us, closing, protocol, handler, stop);
        break;
    }
  }
  return used;
}

void Stream::hold(ByteSpan data, std::int64_t ts_us, Handler& handler) {
  if (data.empty()) return;
  if (budget_.used + data.size() > budget_.limit) {
    const std::uint64_t dropped = held_.size() + data.size();
    report(handler, Problem::kBufferLimit, consumed_ + held_.size(),
           static_cast<std::int64_t>(dropped), ts_us);
    release_held();
    consumed_ += dropped;
    start_search();
    return;
  }
  budget_.used += data.size();
  held_.insert(held_.end(), data.begin(), data.end());
}

void Stream::consume(ByteSpan data, std::int64_t ts_us, Protocol& protocol, Handler& handler) {
  while (!data.empty()) {
    if (held_.empty()) {
      const std::size_t used = parse(data, ts_us, false, protocol, handler);
      hold(data.subspan(used), ts_us, handler);
      return;
    }
    // Top the held bytes up to what the next decision needs, then parse them in one piece.
    const std::size_t held = held_.size();
    const std::size_t wanted = std::max(wanted_, held + 1);
    const std::size_t take = std::min(wanted - held, data.size());
    hold(data.first(take), ts_us, handler);
    if (held_.empty()) {  // dropped at the buffer cap
      data = data.subspan(take);
      continue;
    }
    if (held_.size() < wanted) return;
    const std::size_t used = parse(held_, ts_us, false, protocol, handler);
    if (used >= held) {
      // Every held byte is settled: go back to reading the new bytes in place, where parsing
      // stopped, rather than copying them through the held buffer.
      release_held();
      data = data.subspan(used - held);
      continue;
    }
    data = data.subspan(take);
    drop_front(used);
  }
}

void Stream::gap(std::uint64_t missing, std::int64_t ts_us, Protocol&, Handler& handler) {
  const std::uint64_t gap_end = consumed_ + held_.size() + missing;
  report(handler, Problem::kGap, consumed_ + held_.size(), static_cast<std::int64_t>(missing),
         ts_us);
  switch (mode_) {
    case Mode::kSkipping:
      if (skip_left_ >= missing) {
        skip_left_ -= missing;
      } else {
        start_search();
      }
      break;
    case Mode::kInSync:
      if (partial_total_ > 0) {
        // The message the gap cut is lost, but its length says exactly where the next one starts.
        report(handler, Problem::kMessageLostInGap, consumed_, partial_claimed_, ts_us);
        const std::uint64_t message_end = consumed_ + partial_total_;
        if (message_end >= gap_end) {
          skip_left_ = message_end - gap_end;
          mode_ = skip_left_ > 0 ? Mode::kSkipping : Mode::kInSync;
          break;
        }
      }
      start_search();
      break;
    case Mode::kSearching:
      undecodable_ += held_.size();
      flush_undecodable(ts_us, handler);
      break;
  }
  release_held();
  consumed_ = gap_end;
  partial_total_ = 0;
  if (mode_ == Mode::kSearching) undecodable_start_ = gap_end;
}

void Stream::finish(std::int64_t ts_us, Protocol& protocol, Handler& handler) {
  if (!held_.empty()) {
    if (protocol.search_at_close()) {
      parse(held_, ts_us, true, protocol, handler);
    } else if (mode_ == Mode::kSearching) {
      undecodable_ += held_.size();
      consumed_ += held_.size();
    } else {
      report(handler, Problem::kTruncatedAtClose, consumed_,
             static_cast<std::int64_t>(held_.size()), ts_us);
    }
  }
  flush_undecodable(ts_us, handler);
  release_held();
}

}  // namespace zkdump::framing
