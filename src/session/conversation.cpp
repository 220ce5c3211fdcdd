#include "zkdump/session/conversation.hpp"

namespace zkdump::session {

Conversation::Conversation(framing::Budget& budget, bool from_start)
    : streams_{{budget, from_start}, {budget, from_start}},
      handlers_{{*this, Direction::kToServer}, {*this, Direction::kToClient}} {}

void Conversation::on_data(Direction direction, ByteSpan bytes, std::int64_t ts_us) {
  const std::size_t d = index_of(direction);
  streams_[d].consume(bytes, ts_us, protocol(direction), handlers_[d]);
}

void Conversation::on_gap(Direction direction, std::uint64_t missing_bytes, std::int64_t ts_us) {
  const std::size_t d = index_of(direction);
  streams_[d].gap(missing_bytes, ts_us, protocol(direction), handlers_[d]);
}

void Conversation::on_close(tcp::CloseReason reason, std::int64_t ts_us) {
  for (const Direction direction : {Direction::kToServer, Direction::kToClient}) {
    const std::size_t d = index_of(direction);
    streams_[d].finish(ts_us, protocol(direction), handlers_[d]);
  }
  ended(reason, ts_us);
}

}  // namespace zkdump::session
