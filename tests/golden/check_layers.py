#!/usr/bin/env python3
"""Data flows one way: each stage includes only the stages below it, and the sinks (output,
statistics, --top's view of the statistics) know nothing of each other.
usage: check_layers.py SOURCE_DIR"""
import os
import re
import sys

root = sys.argv[1]
# What each stage may include, besides itself.
ALLOWED = {
    "base": set(),
    "net": {"base"},
    "framing": {"base"},
    "tls": {"base"},
    "http2": {"base", "framing", "tls"},
    "etcd": {"base"},
    "zk": {"base", "framing", "tls"},
    "tcp": {"base", "net"},
    "capture": {"base"},
    "session": {"base", "framing", "tls", "http2", "etcd", "zk", "tcp", "net"},
    # Analyses correlate the session stage's messages; they hand findings on, like the session.
    "analysis": {"base", "framing", "tls", "http2", "etcd", "zk", "tcp", "net", "session"},
    "output": {"base", "framing", "tls", "http2", "etcd", "zk", "tcp", "net", "session"},
    "stats": {"base", "framing", "tls", "http2", "etcd", "zk", "tcp", "net", "session"},
    "metrics": {"base", "framing", "tls", "http2", "etcd", "zk", "tcp", "net", "session"},
    "top": {"base", "framing", "tls", "http2", "etcd", "zk", "tcp", "net", "session", "stats"},
    "app": None,  # builds the pipeline: everything
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"zkdump/([a-z_]+)/')

failures = []
for top in ("src", "include/zkdump"):
    for stage in sorted(os.listdir(os.path.join(root, top))):
        if stage not in ALLOWED:
            failures.append("%s/%s: a stage this check does not know; add it to ALLOWED" % (top, stage))
            continue
        allowed = ALLOWED[stage]
        for directory, _, files in os.walk(os.path.join(root, top, stage)):
            for name in sorted(files):
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as source:
                    for number, line in enumerate(source, 1):
                        match = INCLUDE.match(line)
                        if match and allowed is not None and match.group(1) not in allowed | {stage}:
                            failures.append("%s:%d: %s includes %s" % (os.path.relpath(path, root), number,
                                                                       stage, match.group(1)))
for failure in failures:
    print("FAIL " + failure)
if failures:
    sys.exit(1)
print("every stage includes only the stages below it; sinks include no other sink")
