// A large output buffer written to a file descriptor with write(2): no iostream, no stdio locks.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace zkdump::output {

class OutputBuffer {
 public:
  explicit OutputBuffer(int fd, bool line_buffered, std::size_t capacity = 1u << 20);
  ~OutputBuffer();
  OutputBuffer(const OutputBuffer&) = delete;
  OutputBuffer& operator=(const OutputBuffer&) = delete;

  // Appends one complete line (the caller includes the newline).
  void write_line(std::string_view line);
  void flush();
  // The reader went away (EPIPE): callers stop producing output.
  bool closed() const { return closed_; }

 private:
  void write_all(const char* data, std::size_t size);

  int fd_;
  bool line_buffered_;
  bool closed_ = false;
  std::unique_ptr<char[]> buffer_;  // not zeroed: only what was written is ever read
  std::size_t capacity_;
  std::size_t used_ = 0;
};

}  // namespace zkdump::output
