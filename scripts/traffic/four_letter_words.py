"""Four-letter words, sent the way operators do (echo ruok | nc host 2181)."""
import socket
import sys

host, port = sys.argv[1].rsplit(":", 1)
for word in (b"ruok", b"srvr", b"stat", b"mntr", b"conf"):
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(word)
        while connection.recv(65536):
            pass
