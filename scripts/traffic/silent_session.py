"""A session whose client stops answering: a kazoo client with a 4 s session timeout (the least
a server with tickTime=2000 grants) holds an ephemeral znode; its process is stopped with
SIGSTOP, so it sends nothing, not even pings. The server expires the session and closes the
connection; the stopped process is then killed. Another client keeps working throughout and
finds the ephemeral gone.
usage: silent_session.py HOST:PORT"""
import os
import signal
import subprocess
import sys
import time

from kazoo.client import KazooClient

hosts = sys.argv[1]
TIMEOUT_S = 4

HOLDER = """
import sys, time
from kazoo.client import KazooClient
client = KazooClient(hosts=sys.argv[1], timeout=%d)
client.start(timeout=15)
client.ensure_path("/silent")
client.create("/silent/holder", b"me", ephemeral=True)
print("0x%%x" %% client.client_id[0], flush=True)
time.sleep(3600)
""" % TIMEOUT_S

holder = subprocess.Popen([sys.executable, "-c", HOLDER, hosts], stdout=subprocess.PIPE, text=True)
session = holder.stdout.readline().strip()
observer = KazooClient(hosts=hosts, timeout=10)
observer.start(timeout=15)
time.sleep(1)
os.kill(holder.pid, signal.SIGSTOP)
stopped = time.monotonic()
while observer.exists("/silent/holder") is not None and time.monotonic() - stopped < 30:
    time.sleep(0.5)
gone_after = time.monotonic() - stopped
time.sleep(2)
os.kill(holder.pid, signal.SIGKILL)
holder.wait()
observer.stop()
observer.close()
print("%s stopped; its ephemeral gone after %.1f s" % (session, gone_after))
