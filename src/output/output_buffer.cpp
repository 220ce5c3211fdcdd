#include "zkdump/output/output_buffer.hpp"

#include <unistd.h>

#include <cerrno>

namespace zkdump::output {

OutputBuffer::OutputBuffer(int fd, bool line_buffered, std::size_t capacity)
    : fd_(fd), line_buffered_(line_buffered), buffer_(new char[capacity]), capacity_(capacity) {}

OutputBuffer::~OutputBuffer() {
  flush();
}

void OutputBuffer::write_all(const char* data, std::size_t size) {
  while (size > 0 && !closed_) {
    const ssize_t written = ::write(fd_, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      closed_ = true;  // EPIPE or a dead terminal: nothing more can be shown
      return;
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
}

void OutputBuffer::write_line(std::string_view line) {
  if (closed_) return;
  if (line.size() > capacity_ - used_) {
    flush();
    if (line.size() > capacity_) {
      write_all(line.data(), line.size());
      return;
    }
  }
  line.copy(buffer_.get() + used_, line.size());
  used_ += line.size();
  if (line_buffered_) flush();
}

void OutputBuffer::flush() {
  if (used_ == 0) return;
  write_all(buffer_.get(), used_);
  used_ = 0;
}

}  // namespace zkdump::output
