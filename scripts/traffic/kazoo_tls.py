"""Runs a kazoo traffic script over TLS: every KazooClient connects with SSL, presenting the
client certificate and checking the server's against the test CA, and every TLS context writes
its secrets to a key log as Python's keylog_filename does. KAZOO_TLS_MAX=1.2 holds the
connection to TLS 1.2 and KAZOO_TLS_CIPHERS picks its suites; an empty KEYLOG logs nothing.

usage: kazoo_tls.py KEYLOG TLS_DIR SCRIPT [SCRIPT_ARGS...]"""
import os
import runpy
import ssl
import sys

import kazoo.client
import kazoo.handlers.utils

keylog, tls_dir, script = sys.argv[1], sys.argv[2], sys.argv[3]


class KeyLoggingSsl:
    """The ssl module as kazoo's connection code sees it: its contexts log their secrets."""

    def __getattr__(self, name):
        return getattr(ssl, name)

    @staticmethod
    def SSLContext(*args, **kwargs):  # noqa: N802 (ssl's name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False  # kazoo checks the certificate, not the name
        if keylog:
            context.keylog_filename = keylog
        if os.environ.get("KAZOO_TLS_MAX") == "1.2":
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        if os.environ.get("KAZOO_TLS_CIPHERS"):
            context.set_ciphers(os.environ["KAZOO_TLS_CIPHERS"])
        return context


kazoo.handlers.utils.ssl = KeyLoggingSsl()
plain_init = kazoo.client.KazooClient.__init__


def tls_init(self, *args, **kwargs):
    kwargs.update(use_ssl=True, ca=f"{tls_dir}/ca.crt", certfile=f"{tls_dir}/client.crt",
                  keyfile=f"{tls_dir}/client.key", verify_certs=True)
    plain_init(self, *args, **kwargs)


kazoo.client.KazooClient.__init__ = tls_init
sys.argv = [script] + sys.argv[4:]
runpy.run_path(script, run_name="__main__")
