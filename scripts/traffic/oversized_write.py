"""A create whose request is larger than the server's jute.maxbuffer (1 MiB less one byte by
default): the server reads the length, refuses the frame and closes the connection; kazoo gets
ConnectionLoss and reconnects, and the znode does not exist.
usage: oversized_write.py HOST:PORT"""
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss

hosts = sys.argv[1]
client = KazooClient(hosts=hosts, timeout=10)
client.start(timeout=15)
client.ensure_path("/big")
client.create("/big/small", b"fine")
try:
    client.create("/big/blob", b"x" * (1100 * 1024))
    sys.exit("the server took a create of 1.1 MB")
except ConnectionLoss:
    pass
print("created after reconnect: %s" % (client.retry(client.exists, "/big/blob") is not None))
client.stop()
client.close()
