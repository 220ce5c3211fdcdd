// How gRPC over HTTP/2 (etcd v3 and any gRPC service) and etcd's JSON gateway are told from
// other bytes, for protocol detection.
#pragma once

#include "zkdump/base/recognition.hpp"

namespace zkdump::http2 {

Recognition recognize_grpc(const FirstBytes& first);

}  // namespace zkdump::http2
