// One connection's two directions as every family decodes them: a framing stream each, cut by
// the family's protocol, its messages and problems handed back with their direction. Client,
// quorum and etcd connections are this with their own frames and decoding; detection (and TLS
// decryption, later) sits in front of it on the same StreamHandler path.
#pragma once

#include <cstdint>

#include "zkdump/base/direction.hpp"
#include "zkdump/framing/stream.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/tcp/reassembly.hpp"

namespace zkdump::session {

class Conversation : public tcp::StreamHandler {
 public:
  Conversation(framing::Budget& budget, bool from_start);
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  void on_data(Direction direction, ByteSpan bytes, std::int64_t ts_us) final;
  void on_gap(Direction direction, std::uint64_t missing_bytes, std::int64_t ts_us) final;
  // No more bytes will come: both streams give up what they hold (searching it for a message
  // that may follow junk), then the family ends the connection.
  void on_close(tcp::CloseReason reason, std::int64_t ts_us) final;
  // The connection its messages name.
  virtual Connection& connection() = 0;

 protected:
  virtual framing::Protocol& protocol(Direction direction) = 0;
  virtual void on_message(Direction direction, ByteSpan bytes, std::uint8_t tag,
                          std::uint64_t offset, std::int64_t ts_us) = 0;
  virtual void on_problem(Direction direction, framing::Problem problem, std::uint64_t offset,
                          std::int64_t count, std::int64_t ts_us) = 0;
  virtual void ended(tcp::CloseReason reason, std::int64_t ts_us) = 0;

 private:
  class DirectionHandler final : public framing::Handler {
   public:
    DirectionHandler(Conversation& conversation, Direction direction)
        : conversation_(conversation), direction_(direction) {}
    void on_message(ByteSpan bytes, std::uint8_t tag, std::uint64_t offset,
                    std::int64_t ts_us) override {
      conversation_.on_message(direction_, bytes, tag, offset, ts_us);
    }
    void on_problem(framing::Problem problem, std::uint64_t offset, std::int64_t count,
                    std::int64_t ts_us) override {
      conversation_.on_problem(direction_, problem, offset, count, ts_us);
    }

   private:
    Conversation& conversation_;
    Direction direction_;
  };

  framing::Stream streams_[2];
  DirectionHandler handlers_[2];
};

}  // namespace zkdump::session
