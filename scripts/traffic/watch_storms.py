"""Two watch patterns an operator must tell apart. First, one session keeps a watch on /hot,
registering it again after each notification, while another sets /hot 150 times: 150 writes
that each notify one session, no storm. Then 50 sessions watch /herd and one set notifies all
of them, and each reads /herd again: a herd.
usage: watch_storms.py HOST:PORT"""
import sys
import threading
import time

from kazoo.client import KazooClient

hosts = sys.argv[1]
HOT_SETS = 150
HERD = 50


def connect():
    client = KazooClient(hosts=hosts, timeout=10)
    client.start(timeout=15)
    return client


def one_watcher_many_sets():
    watcher, writer = connect(), connect()
    writer.ensure_path("/hot")
    notified = []

    def rewatch(event):
        notified.append(event)
        watcher.get_async("/hot", watch=rewatch)

    watcher.get("/hot", watch=rewatch)
    started = time.monotonic()
    for n in range(HOT_SETS):
        writer.set("/hot", b"%d" % n)
        time.sleep(0.002)  # the watcher registers again between most sets, not all
    print("hot: %d sets in %.2f s, %d notifications" % (HOT_SETS, time.monotonic() - started,
                                                         len(notified)))
    time.sleep(1)
    watcher.stop(), writer.stop()
    watcher.close(), writer.close()


def herd():
    writer = connect()
    writer.ensure_path("/herd")
    watchers = [connect() for _ in range(HERD)]
    reread = threading.Semaphore(0)
    for client in watchers:
        client.get("/herd", watch=lambda event, c=client: c.get_async("/herd").rawlink(
            lambda _: reread.release()))
    time.sleep(0.5)
    writer.set("/herd", b"go")
    for _ in range(HERD):
        if not reread.acquire(timeout=10):
            sys.exit("a watcher never read /herd again")
    print("herd: %d sessions notified and read again" % HERD)
    for client in watchers + [writer]:
        client.stop()
        client.close()


one_watcher_many_sets()
time.sleep(2.5)  # past the watch analysis's one-second window
herd()
