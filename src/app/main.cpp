#include <csignal>

#include "options.hpp"
#include "pipeline.hpp"

namespace {

void on_stop_signal(int) {
  zkdump::app::request_stop();
}

void on_reload_signal(int) {
  zkdump::app::request_reload();
}

}  // namespace

int main(int argc, char** argv) {
  // A closed pipe (zkdump ... | head, even zkdump --help | grep -q) shows up as a failed write,
  // and zkdump ends quietly instead of dying of SIGPIPE.
  (void)std::signal(SIGPIPE, SIG_IGN);
  zkdump::app::Options options;
  bool should_exit = false;
  const int parse_status = zkdump::app::parse_options(argc, argv, options, should_exit);
  if (should_exit) return parse_status;

  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // SIGHUP re-reads the web config (systemctl reload); without an exporter it ends zkdump, as
  // it ends tcpdump.
  if (!options.metrics_listen.empty()) {
    action.sa_handler = on_reload_signal;
    sigaction(SIGHUP, &action, nullptr);
  }
  return zkdump::app::run(options);
}
