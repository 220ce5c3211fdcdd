"""Many clients, many paths: CLIENTS kazoo sessions, each from a client address of its own
(127.0.0.0/8 holds sixteen million, all on lo), each creating PATHS new znodes under /many,
pipelined, then closing. For the exporter's cardinality test: every path and every client host
is new. Prints a JSON summary of what it sent.
usage: many_clients.py HOST:PORT CLIENTS PATHS_PER_CLIENT"""
import json
import socket
import sys

from kazoo.client import KazooClient

host, clients, per_client = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
source = ["127.0.0.1"]
create_connection = socket.create_connection


def from_source(address, timeout=None, source_address=None, **kwargs):
    return create_connection(address, timeout, (source[0], 0), **kwargs)


socket.create_connection = from_source  # kazoo connects through it
setup = KazooClient(hosts=host)
setup.start()
setup.ensure_path("/many")
setup.stop()
sent = {"connect": 0, "create": 0, "closeSession": 0}  # the clients', after the setup session
for number in range(clients):
    source[0] = "127.%d.%d.%d" % (1 + number // 65536, number // 256 % 256, number % 256)
    client = KazooClient(hosts=host, connection_retry={"max_tries": 0})
    client.start()
    pending = [client.create_async("/many/c%d-p%d" % (number, i), b"") for i in range(per_client)]
    for result in pending:
        result.get()
    client.stop()
    client.close()
    sent["connect"] += 1
    sent["create"] += per_client
    sent["closeSession"] += 1
print(json.dumps({"sent": sent, "client_hosts": clients}, sort_keys=True))
