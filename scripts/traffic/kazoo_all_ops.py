"""Drives a real ZooKeeper server with kazoo through every client opcode the 3.8 server
accepts, with the common failures, watches fired by a second session, multi, digest auth
with ACLs and a ~1 MB data frame. Ops kazoo has no method for are sent through kazoo's own
connection as request records built from zookeeper.jute. Prints a JSON summary of what it sent."""
import json
import os
import struct
import sys
import threading
from collections import namedtuple

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException, ZookeeperError
from kazoo.protocol.serialization import write_string, write_buffer, int_struct
from kazoo.security import make_digest_acl, make_acl

host = sys.argv[1]
sent = {}


def count(op):
    sent[op] = sent.get(op, 0) + 1


def raw_body(buffer, offset):
    return bytes(buffer[offset:]), len(buffer)


def request_class(name, opcode, fields, writer):
    cls = namedtuple(name, fields)
    cls.type = opcode
    cls.serialize = lambda self: writer(self)
    cls.deserialize = classmethod(lambda c, b, o: raw_body(b, o))
    return cls


def acl_bytes(acls):
    out = bytearray(int_struct.pack(len(acls)))
    for acl in acls:
        out += int_struct.pack(acl.perms) + write_string(acl.id.scheme) + write_string(acl.id.id)
    return out


OPEN = [make_acl("world", "anyone", all=True)]
PathType = lambda self: write_string(self.path) + int_struct.pack(self.type_)
CheckWatches = request_class("CheckWatches", 17, "path type_", PathType)
RemoveWatches = request_class("RemoveWatches", 18, "path type_", PathType)
CreateContainer = request_class(
    "CreateContainer", 19, "path data",
    lambda s: write_string(s.path) + write_buffer(s.data) + acl_bytes(OPEN) + int_struct.pack(4))
CreateTTL = request_class(
    "CreateTTL", 21, "path data ttl",
    lambda s: write_string(s.path) + write_buffer(s.data) + acl_bytes(OPEN) + int_struct.pack(5)
    + struct.pack("!q", s.ttl))
MultiRead = request_class(
    "MultiRead", 22, "paths",
    lambda s: b"".join(struct.pack("!i?i", 4 if i % 2 == 0 else 8, False, -1) + write_string(p) + b"\x00"
                       for i, p in enumerate(s.paths)) + struct.pack("!i?i", -1, True, -1))
GetEphemerals = request_class("GetEphemerals", 103, "path", lambda s: write_string(s.path))
GetAllChildrenNumber = request_class("GetAllChildrenNumber", 104, "path", lambda s: write_string(s.path))
AddWatch = request_class("AddWatch", 106, "path mode", lambda s: write_string(s.path) + int_struct.pack(s.mode))
# kazoo skips the reply of a falsy (empty) request tuple, so WhoAmI carries an unsent field.
WhoAmI = request_class("WhoAmI", 107, "unsent", lambda s: b"")
Sasl = request_class("Sasl", 102, "token", lambda s: write_buffer(s.token))


def call(client, request, op):
    count(op)
    result = client.handler.async_result()
    client._call(request, result)
    try:
        return result.get(timeout=10)
    except (KazooException, ZookeeperError):
        return None


def expect_failure(op, fn, *args, **kwargs):
    count(op)
    try:
        fn(*args, **kwargs)
    except (KazooException, ZookeeperError):
        return
    raise SystemExit("expected %s to fail" % op)


main = KazooClient(hosts=host, timeout=10)
main.start()
count("connect")
watcher = KazooClient(hosts=host, timeout=10)
watcher.start()
count("connect")

# Plain node life cycle, every read op and its failures.
main.create("/zkdump", b"root"); count("create")
main.create("/zkdump/a", b"alpha"); count("create")
main.create("/zkdump/eph", b"", ephemeral=True); count("create")
main.create("/zkdump/seq-", b"", sequence=True); count("create")
main.create("/zkdump/c2", b"x", include_data=True); count("create2")
expect_failure("create", main.create, "/zkdump/a", b"again")            # NodeExists
main.exists("/zkdump/a"); count("exists")
main.exists("/zkdump/missing"); count("exists")                         # NoNode, no body
main.get("/zkdump/a"); count("getData")
expect_failure("getData", main.get, "/zkdump/missing")                  # NoNode
main.set("/zkdump/a", b"beta"); count("setData")
expect_failure("setData", main.set, "/zkdump/a", b"gamma", version=42)  # BadVersion
main.get_children("/zkdump"); count("getChildren")
main.get_children("/zkdump", include_data=True); count("getChildren2")
main.sync("/zkdump"); count("sync")
main.get_acls("/zkdump/a"); count("getACL")
main.set_acls("/zkdump/a", OPEN); count("setACL")
expect_failure("delete", main.delete, "/zkdump")                        # NotEmpty

# Watches set by one session and fired by another.
fired = threading.Event()
watcher.get("/zkdump/a", watch=lambda event: None); count("getData")
watcher.get_children("/zkdump", watch=lambda event: fired.set()); count("getChildren")
watcher.exists("/zkdump/later", watch=lambda event: None); count("exists")
main.set("/zkdump/a", b"changed"); count("setData")
main.create("/zkdump/later", b""); count("create")
fired.wait(10)

# Multi: one that succeeds, one that fails on its second op.
tx = main.transaction()
tx.create("/zkdump/m1", b"1")
tx.set_data("/zkdump/a", b"multi")
tx.check("/zkdump/m1", 0)
tx.delete("/zkdump/m1")
tx.commit(); count("multi")
tx = main.transaction()
tx.create("/zkdump/m2", b"2")
tx.create("/zkdump/a", b"exists already")
tx.delete("/zkdump/later")
tx.commit(); count("multi")

# Digest auth and ACLs: a protected node, a session without the credential, then with it.
main.add_auth("digest", "alice:secret"); count("auth")
main.create("/zkdump/private", b"s3cr3t", acl=[make_digest_acl("alice", "secret", all=True)]); count("create")
expect_failure("getData", watcher.get, "/zkdump/private")               # NoAuth
main.get("/zkdump/private"); count("getData")
main.get_acls("/zkdump/private"); count("getACL")

# The ops kazoo has no method for, sent through its connection.
call(main, CreateContainer("/zkdump/container", b"box"), "createContainer")
call(main, CreateTTL("/zkdump/ttl", b"short-lived", 60000), "createTTL")
call(main, MultiRead(["/zkdump/a", "/zkdump", "/zkdump/missing"]), "multiRead")
call(main, GetEphemerals("/zkdump"), "getEphemerals")
call(main, GetAllChildrenNumber("/zkdump"), "getAllChildrenNumber")
call(main, AddWatch("/zkdump/a", 0), "addWatch")
call(main, AddWatch("/zkdump", 1), "addWatch")
call(main, CheckWatches("/zkdump/a", 2), "checkWatches")
call(main, RemoveWatches("/zkdump/a", 3), "removeWatches")
call(main, WhoAmI(None), "whoAmI")
main.set("/zkdump/a", b"persistent watch fires"); count("setData")

# A data frame of about 1 MB each way.
big = bytes(range(256)) * 3900
main.create("/zkdump/big", big); count("create")
main.get("/zkdump/big"); count("getData")

# Clean up, then close both sessions.
for child in ("big", "later", "private", "a", "seq-0000000003", "c2", "ttl", "container", "m2"):
    try:
        main.delete("/zkdump/" + child)
    except (KazooException, ZookeeperError):
        pass
    count("delete")
watcher.stop(); count("closeSession")
main.stop(); count("closeSession")

# Reconfig is refused by a standalone server (ReconfigDisabled, -123), a code kazoo 2.8 does
# not know: its connection thread dies on the reply, so this runs last, on a session of its own.
reconfigurer = KazooClient(hosts=host, timeout=10)
reconfigurer.start()
count("connect")
count("reconfig")
try:
    reconfigurer.reconfig_async(None, None, "server.1=127.0.0.1:2888:3888:participant", -1).get(timeout=5)
except Exception:
    pass
print(json.dumps(sent, sort_keys=True), flush=True)
os._exit(0)  # the reconfig session's dead connection thread would keep the interpreter alive
