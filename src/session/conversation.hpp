// One connection's pairing state and output order.
#pragma once

#include <string>
#include <vector>

#include "fifo.hpp"

#include "zkdump/session/tracker.hpp"

namespace zkdump::session {

class Conversation final : public tcp::StreamHandler, public zk::FrameSink {
 public:
  Conversation(Tracker& tracker, const net::Endpoint& client, const net::Endpoint& server,
               bool from_start);

  void on_data(tcp::Side side, tcp::ByteSpan bytes, std::int64_t ts_us) override;
  void on_gap(tcp::Side side, std::uint64_t missing_bytes, std::int64_t ts_us) override;
  void on_close(tcp::CloseReason reason, std::int64_t ts_us) override;

  void on_frame(const zk::Frame& frame) override;
  void on_stream_event(zk::Direction direction, zk::StreamEvent event, std::uint64_t stream_offset,
                       std::int64_t count, std::int64_t ts_us) override;
  void on_four_letter_word(std::string_view word, std::int64_t ts_us) override;
  void on_four_letter_reply(std::uint64_t bytes, std::int64_t ts_us) override;
  const zk::OpInfo* awaited_op(std::int32_t xid) const override;

 private:
  struct Pending {
    std::int32_t xid = 0;
    const zk::OpInfo* op = nullptr;  // null for the ConnectRequest
    std::int64_t ts_us = 0;
    std::string path;           // capped copy, for the unanswered report
    std::uint64_t line_id = 0;  // its held line, when printing paired
    bool holds_line = false;
    void* observer_handle = nullptr;  // what the statistics observer handed back for it
  };
  struct HeldLine {
    std::string text;
    bool awaiting_reply = false;
  };

  void on_request(const zk::Frame& frame);
  void on_reply(const zk::Frame& frame);
  // Keeps the pending requests under their cap, reporting the oldest as unanswered.
  void make_room_for_request(std::int64_t ts_us);
  // `line` is the printer's: nothing may print between formatting it and this call.
  void remember(std::int32_t xid, const zk::OpInfo* op, std::int64_t ts_us,
                const zk::WireBytes& path, std::string_view line, bool visible,
                void* observer_handle);
  bool take_pending(std::int32_t xid, Pending& found);
  // Prints `line`, or holds it behind earlier lines still waiting for their replies.
  void emit(std::string_view line);
  void hold(std::string_view line, bool awaiting_reply);
  std::string spare_string();
  void complete(Pending&& request, std::string_view reply_line, bool visible);
  void flush_ready();
  void report_unanswered(Pending&& request, std::string_view reason, std::int64_t ts_us);
  void recycle(std::string&& text);
  MessageFacts facts_of(const zk::Frame& frame, std::string_view type_name,
                        std::string_view path) const;

  Tracker& tracker_;
  output::Peer peer_;
  zk::ConnectionFramer framer_;
  Fifo<Pending> pending_;
  Fifo<HeldLine> held_;
  std::uint64_t first_held_id_ = 0;
  std::vector<std::string> spare_strings_;  // reused so that holding lines allocates nothing
  std::string four_letter_word_;
  bool reconnecting_ = false;            // the ConnectRequest carried a session id
  void* observer_connection_ = nullptr;  // the statistics observer's handle for this connection
};

}  // namespace zkdump::session
