// An output buffer writing into a temporary file, for tests that read back what a stage printed.
#pragma once

#include <cstdio>
#include <string>

#include "zkdump/output/output_buffer.hpp"

namespace zkdump::test {

class CapturedOutput {
 public:
  CapturedOutput() : file_(std::tmpfile()), out_(fileno(file_), false) {}
  ~CapturedOutput() { std::fclose(file_); }
  CapturedOutput(const CapturedOutput&) = delete;
  CapturedOutput& operator=(const CapturedOutput&) = delete;

  output::OutputBuffer& buffer() { return out_; }
  // Everything printed so far.
  std::string text() {
    out_.flush();
    std::string text;
    std::rewind(file_);
    for (int c = std::fgetc(file_); c != EOF; c = std::fgetc(file_))
      text.push_back(static_cast<char>(c));
    return text;
  }

 private:
  std::FILE* file_;
  output::OutputBuffer out_;
};

}  // namespace zkdump::test
