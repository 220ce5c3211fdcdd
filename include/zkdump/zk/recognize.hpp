// How ZooKeeper's three protocols are told from other bytes, for protocol detection: the client
// protocol, leader election and ZAB. What each takes as evidence is listed in
// session/detection.cpp's table and the man page.
#pragma once

#include "zkdump/base/recognition.hpp"

namespace zkdump::zk {

Recognition recognize_client(const FirstBytes& first);

namespace quorum {
Recognition recognize_election(const FirstBytes& first);
Recognition recognize_zab(const FirstBytes& first);
}  // namespace quorum

}  // namespace zkdump::zk
