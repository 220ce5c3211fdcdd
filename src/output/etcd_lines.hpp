// How an etcd message reads as a line: its name and kind, and its fields.
#pragma once

#include <string_view>

#include "zkdump/base/fields.hpp"
#include "zkdump/session/sink.hpp"
#include "zkdump/zk/messages.hpp"

namespace zkdump::output {

struct EtcdLine {
  std::string_view kind;       // JSON kind: request, reply, status, error
  std::string_view label_key;  // op (the method's name) or error
  std::string_view label;
  zk::LineName name;  // PutRequest, PutReply, PutStatus, StreamReset...
};

EtcdLine etcd_line(const session::EtcdMessage& message);
void describe_etcd(const session::EtcdMessage& message, FieldSink& out);

}  // namespace zkdump::output
