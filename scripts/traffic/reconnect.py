"""A session that outlives a server restart: kazoo reconnects with its session id and
re-registers its watches (ReConnectRequest, SetWatches). Run by make_captures.sh, which
restarts the server when this prints 'restart-now'."""
import sys
import time

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

host = sys.argv[1]
client = KazooClient(hosts=host, timeout=30)
client.start()
client.ensure_path("/reconnect/child")
client.get("/reconnect/child", watch=lambda event: None)
client.get_children("/reconnect", watch=lambda event: None)
client.exists("/reconnect/none", watch=lambda event: None)
states = []
client.add_listener(states.append)
print("restart-now", flush=True)
deadline = time.time() + 60
while time.time() < deadline and KazooState.CONNECTED not in states:
    time.sleep(0.1)
client.get("/reconnect/child")
client.stop()
print("reconnected" if KazooState.CONNECTED in states else "never reconnected", flush=True)
