"""Pipelined load: several kazoo clients, each with many async requests in flight, a mixed
set of operations. Prints a JSON summary with the number of requests each op was sent.
usage: pipelined_load.py HOST:PORT CLIENTS REQUESTS_PER_CLIENT [MIX [ROOT]]
MIX "growing" (the default; pcaps/pipelined_load.pcap) creates a new node every fifth request,
so children lists grow; "bounded" (the benchmark capture) creates and deletes its nodes, so
every reply stays small however long the load runs; "namespace" (the second benchmark capture)
creates a new node with each third request and reads it twice, so the namespace grows by one node
per three requests and no path is touched more than three times, as in a large Kafka or HBase
namespace. ROOT (default /load) is the node the clients work under, so that several processes can
load one server side by side."""
import json
import sys
import threading

from kazoo.client import KazooClient

host, clients, per_client = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
mix = sys.argv[4] if len(sys.argv) > 4 else "growing"
root = sys.argv[5] if len(sys.argv) > 5 else "/load"
WINDOW = 200 if mix == "growing" else 500  # requests in flight per client
sent = {}
lock = threading.Lock()


def growing(client, base, i):
    kind, path = i % 5, "%s/n%d" % (base, i % 50)
    if kind == 0:
        return client.create_async(path + "-%d" % i, b"v" * (i % 64)), "create"
    if kind == 1:
        return client.exists_async(path), "exists"
    if kind == 2:
        return client.get_children_async(base), "getChildren"
    if kind == 3:
        return client.set_async(base, b"d" * (i % 100)), "setData"
    return client.get_async(base), "getData"


def bounded(client, base, i):
    step, node = i % 6, "%s/n%d" % (base, i // 6)
    if step == 0:
        return client.create_async(node, b"x" * 40), "create"
    if step == 1:
        return client.exists_async(node), "exists"
    if step == 2:
        return client.get_async(base), "getData"
    if step == 3:
        return client.set_async(base, b"d" * (i % 100)), "setData"
    if step == 4:
        return client.get_children_async(root), "getChildren"
    return client.delete_async(node), "delete"


def namespace(client, base, i):
    step, node = i % 3, "%s/n%d" % (base, i // 3)
    if step == 0:
        return client.create_async(node, b"x" * 40), "create"
    if step == 1:
        return client.exists_async(node), "exists"
    return client.get_async(node), "getData"


MIXES = {"growing": growing, "bounded": bounded, "namespace": namespace}


def run(index):
    client = KazooClient(hosts=host, timeout=15)
    client.start()
    base = "%s/c%d" % (root, index)
    client.create(base)
    local = {"connect": 1, "create": 1}
    next_request = MIXES[mix]
    in_flight = []
    for i in range(per_client):
        result, op = next_request(client, base, i)
        in_flight.append(result)
        local[op] = local.get(op, 0) + 1
        if len(in_flight) >= WINDOW:
            for pending in in_flight:
                pending.wait(60)  # failures are expected: they are replies too
            in_flight = []
    for pending in in_flight:
        pending.wait(60)
    client.stop()
    local["closeSession"] = 1
    with lock:
        for op, n in local.items():
            sent[op] = sent.get(op, 0) + n


setup = KazooClient(hosts=host, timeout=15)
setup.start()
setup.create(root)
setup.stop()
sent.update({"connect": 1, "create": 1, "closeSession": 1})
threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"clients": clients, "sent": sent, "total": sum(sent.values())}, sort_keys=True))
