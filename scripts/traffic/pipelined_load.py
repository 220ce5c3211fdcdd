"""Pipelined load: several kazoo clients, each with many async requests in flight, a mixed
set of operations. Prints a JSON summary with the number of requests each op was sent."""
import json
import sys
import threading

from kazoo.client import KazooClient

host, clients, per_client = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
WINDOW = 200  # requests in flight per client
sent = {}
lock = threading.Lock()


def run(index):
    client = KazooClient(hosts=host, timeout=15)
    client.start()
    base = "/load/c%d" % index
    client.create(base)
    local = {"connect": 1, "create": 1}
    in_flight = []
    for i in range(per_client):
        kind = i % 5
        path = "%s/n%d" % (base, i % 50)
        if kind == 0:
            in_flight.append(client.create_async(path + "-%d" % i, b"v" * (i % 64)))
            op = "create"
        elif kind == 1:
            in_flight.append(client.exists_async(path))
            op = "exists"
        elif kind == 2:
            in_flight.append(client.get_children_async(base))
            op = "getChildren"
        elif kind == 3:
            in_flight.append(client.set_async(base, b"d" * (i % 100)))
            op = "setData"
        else:
            in_flight.append(client.get_async(base))
            op = "getData"
        local[op] = local.get(op, 0) + 1
        if len(in_flight) >= WINDOW:
            for result in in_flight:
                result.wait(30)  # failures are expected: they are replies too
            in_flight = []
    for result in in_flight:
        result.wait(30)
    client.stop()
    local["closeSession"] = 1
    with lock:
        for op, n in local.items():
            sent[op] = sent.get(op, 0) + n


setup = KazooClient(hosts=host, timeout=15)
setup.start()
setup.create("/load")
setup.stop()
sent.update({"connect": 1, "create": 1, "closeSession": 1})
threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"clients": clients, "sent": sent, "total": sum(sent.values())}, sort_keys=True))
