#!/usr/bin/env python3
"""Writes through one kazoo client per server of a running ensemble until STOP_FILE exists: each
client starts on its own server (and fails over to the others when it dies), sets one znode of its
own in a loop and carries on through ConnectionLoss. Prints what each client did, as JSON.

usage: ensemble_load.py STOP_FILE PORT..."""
import json
import os
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

PAUSE_S = 0.1  # about 10 writes a second per client: goldens that stay small


def load(port, ports, stop_file, results):
    hosts = ",".join("127.0.0.1:%d" % p for p in [port] + [p for p in ports if p != port])
    zk = KazooClient(hosts=hosts, timeout=6, randomize_hosts=False)
    zk.start(timeout=30)
    path = "/load-%d" % port
    zk.ensure_path(path)
    done = failed = 0
    while not os.path.exists(stop_file):
        try:
            zk.set(path, b"%d" % done)
            done += 1
        except (KazooException, KazooTimeoutError):
            failed += 1
            time.sleep(0.1)
        time.sleep(PAUSE_S)
    zk.stop()
    zk.close()
    results[port] = {"writes": done, "failed": failed}


def main():
    stop_file = sys.argv[1]
    ports = [int(p) for p in sys.argv[2:]]
    results = {}
    threads = [threading.Thread(target=load, args=(p, ports, stop_file, results)) for p in ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({str(k): v for k, v in sorted(results.items())}))


if __name__ == "__main__":
    main()
