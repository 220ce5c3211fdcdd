"""What a 3-server ensemble's operators ask about, done by real kazoo clients: writes from a
client on each server, reads sent behind a sync on a follower, a follower frozen (SIGSTOP) for
half a second while its client's pipelined writes are in flight, a watch storm (50 sessions watching one node, then one write),
a session that expires (its client frozen past its 2 s timeout) and a large znode. Prints a
JSON summary of what it did, for the tests.
usage: quorum_workload.py LEADER_SID FOLLOWER_SID FOLLOWER_SID SLOW_FOLLOWER_PID"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from kazoo.client import KazooClient

leader, follower_a, follower_b, slow_pid = map(int, sys.argv[1:5])
summary = {"leader": leader, "followers": [follower_a, follower_b], "slow_follower": follower_a}


def client_on(sid, timeout=10.0):
    client = KazooClient(hosts="127.0.0.1:%d" % (2190 + sid), timeout=timeout)
    client.start()
    return client


def session_of(client):
    return "0x%x" % client.client_id[0]


# Writes through each server: the leader's client, and one on each follower (forwarded).
setup = client_on(leader)
setup.ensure_path("/w")
summary["writers"] = []
for sid in (leader, follower_a, follower_b):
    client = client_on(sid)
    base = "/w/s%d" % sid
    client.create(base, b"0")
    for i in range(10):
        client.set(base, b"%d" % i)
    client.create(base + "/child", b"c")
    client.delete(base + "/child")
    summary["writers"].append({"server": sid, "session": session_of(client), "writes": 13})
    client.stop()
    client.close()

# Reads on a follower behind a sync: the follower asks the leader to catch it up first.
reader = client_on(follower_b)
for _ in range(5):
    synced = reader.sync_async("/w")
    reader.get("/w")  # sent behind the sync: the follower answers it once the sync is done
    synced.get(timeout=10)
summary["syncs"] = {"server": follower_b, "session": session_of(reader), "syncs": 5}
reader.stop()
reader.close()

# The slow follower: its client keeps 100 setData in flight while the follower is frozen.
slow = client_on(follower_a)
slow.create("/w/slow", b"")
results = []
freeze = threading.Timer(0.05, lambda: (os.kill(slow_pid, signal.SIGSTOP), time.sleep(0.5),
                                        os.kill(slow_pid, signal.SIGCONT)))
freeze.start()
for i in range(100):
    results.append(slow.set_async("/w/slow", b"%d" % i))
for result in results:
    result.get(timeout=30)
freeze.join()
summary["slow_writes"] = {"session": session_of(slow), "writes": 101}
slow.stop()
slow.close()

# The watch storm: 50 sessions spread over the servers watch /storm; one write fires them all,
# and each reads the node again (kazoo's watch callback), as a cache would.
setup.create("/storm", b"calm")
fired = threading.Semaphore(0)
watchers = []
for number in range(50):
    client = client_on((leader, follower_a, follower_b)[number % 3])

    def reread(event, client=client):
        client.get("/storm")
        fired.release()

    client.get("/storm", watch=reread)
    watchers.append(client)
setup.set("/storm", b"storm")
for _ in watchers:
    assert fired.acquire(timeout=30), "a watch did not fire"
summary["watch_storm"] = {"path": "/storm", "watchers": len(watchers), "rereads": len(watchers)}
for client in watchers:
    client.stop()
    client.close()

# A session that expires: a client with a 2 s timeout, frozen for 6 s, then thawed.
child = subprocess.Popen([sys.executable, "-c", """
import sys, time
from kazoo.client import KazooClient
client = KazooClient(hosts="127.0.0.1:%d", timeout=2.0)
client.start()
client.create("/w/lock-", b"", ephemeral=True, sequence=True)
print("0x%%x" %% client.client_id[0], flush=True)
time.sleep(30)
""" % (2190 + follower_b)], stdout=subprocess.PIPE, text=True)
expired = child.stdout.readline().strip()
os.kill(child.pid, signal.SIGSTOP)
time.sleep(6)
os.kill(child.pid, signal.SIGCONT)
time.sleep(3)  # it reconnects, and hears its session has expired
child.kill()
child.wait()
summary["expired_session"] = expired

# A large znode: 700 KB, past half of jute.maxbuffer (1 MiB).
setup.create("/w/big", b"x" * 700_000)
setup.delete("/w/big")
summary["large_znode"] = {"path": "/w/big", "bytes": 700_000}
setup.stop()
setup.close()
print(json.dumps(summary, sort_keys=True))
