"""A session that expires: a client with a 4 s session timeout creates a lock (an ephemeral
znode), reads and writes, then dies without closing its session. Past the timeout a new client
tries to resume that session with its id and password, gets SessionExpired (a ConnectReply with
timeout 0), opens a fresh session and finds the lock gone.
usage: session_expiry.py HOST:PORT"""
import os
import sys
import time

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

hosts = sys.argv[1]
TIMEOUT_S = 4  # the least a server with tickTime=2000 grants

reader, writer = os.pipe()
if os.fork() == 0:
    client = KazooClient(hosts=hosts, timeout=TIMEOUT_S)
    client.start(timeout=15)
    client.ensure_path("/expiry")
    client.create("/expiry/lock", b"owner", ephemeral=True)
    client.set("/expiry", b"working")
    client.get("/expiry/lock")
    session_id, password = client.client_id
    os.write(writer, b"%x %s" % (session_id, password.hex().encode()))
    os._exit(0)  # dies like a killed process: the socket closes, the session is never closed

os.close(writer)
session_hex, password_hex = os.read(reader, 200).decode().split()
os.wait()
time.sleep(TIMEOUT_S * 2 + 2)  # the server expires sessions on its tick

states = []
client = KazooClient(hosts=hosts, timeout=TIMEOUT_S,
                     client_id=(int(session_hex, 16), bytes.fromhex(password_hex)))
client.add_listener(states.append)
client.start(timeout=15)
lock = client.exists("/expiry/lock")
client.stop()
client.close()
print("0x%s expired: %s; lock %s" % (session_hex, KazooState.LOST in states,
                                       "gone" if lock is None else "still there"))
