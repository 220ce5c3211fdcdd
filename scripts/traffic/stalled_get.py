"""A server that stalls under a client's feet: connect, freeze the server process (SIGSTOP),
send getData("/zookeeper"), keep the server frozen STALL_S seconds, thaw it (SIGCONT), and wait
for the reply. Writes MARKER when the frozen server has the request in flight.
usage: stalled_get.py HOST:PORT SERVER_PID STALL_S MARKER"""
import os
import signal
import sys
import time

from kazoo.client import KazooClient

hosts, server_pid, stall_s, marker = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
client = KazooClient(hosts=hosts, timeout=30)
client.start(timeout=15)
try:
    os.kill(server_pid, signal.SIGSTOP)
    result = client.get_async("/zookeeper")
    time.sleep(0.2)  # the request is on the wire
    open(marker, "w").close()
    time.sleep(stall_s)
finally:
    os.kill(server_pid, signal.SIGCONT)
data, stat = result.get(timeout=20)
client.stop()
client.close()
print("reply after a %.1f s stall, %d bytes" % (stall_s, len(data)))
