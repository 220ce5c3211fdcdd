"""Benchmark load: several kazoo clients, each with WINDOW async requests in flight, cycling
through create, exists, getData, setData, getChildren and delete, so every reply stays small
however long it runs. Prints a JSON summary of the requests sent.
usage: load.py HOST:PORT CLIENTS REQUESTS_PER_CLIENT"""
import json
import sys
import threading

from kazoo.client import KazooClient

host, clients, per_client = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
WINDOW = 500
sent = {"connect": 1, "create": 1, "closeSession": 1}
lock = threading.Lock()


def run(index):
    client = KazooClient(hosts=host, timeout=30)
    client.start()
    base = "/bench/c%d" % index
    client.create(base)
    local = {"connect": 1, "create": 1}
    in_flight = []
    for i in range(per_client):
        node = "%s/n%d" % (base, i // 6)
        step = i % 6
        if step == 0:
            in_flight.append(client.create_async(node, b"x" * 40))
            op = "create"
        elif step == 1:
            in_flight.append(client.exists_async(node))
            op = "exists"
        elif step == 2:
            in_flight.append(client.get_async(base))
            op = "getData"
        elif step == 3:
            in_flight.append(client.set_async(base, b"d" * (i % 100)))
            op = "setData"
        elif step == 4:
            in_flight.append(client.get_children_async("/bench"))
            op = "getChildren"
        else:
            in_flight.append(client.delete_async(node))
            op = "delete"
        local[op] = local.get(op, 0) + 1
        if len(in_flight) >= WINDOW:
            for result in in_flight:
                result.wait(60)
            in_flight = []
    for result in in_flight:
        result.wait(60)
    client.stop()
    local["closeSession"] = 1
    with lock:
        for op, n in local.items():
            sent[op] = sent.get(op, 0) + n


setup = KazooClient(hosts=host, timeout=30)
setup.start()
setup.create("/bench")
setup.stop()
threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"clients": clients, "sent": sent, "total": sum(sent.values())}, sort_keys=True))
