#!/usr/bin/env python3
"""Runs every example in the man page's EXAMPLES section on the bundled capture its
'.\\" test: CAPTURE [FROM=TO ...]' comment names, and compares what they print with
tests/golden/man_examples.expected; each example --help shows must be one of them. In a
command, cap.pcap is the capture (cap.pcap.gz a gzip copy of it), '-i any' reads it instead of
capturing, and each FROM=TO replaces a value the example shows by one the capture has. An
example without that comment is an error.
usage: check_man_examples.py ZKDUMP MAN_PAGE PCAP_DIR EXPECTED [--update]"""
import difflib
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROFF_ESCAPES = [("\\-", "-"), ("\\e", "\\"), ("\\(aq", "'"), ("\\(dq", '"'), ("\\&", "")]


def unroff(line):
    for escape, text in ROFF_ESCAPES:
        line = line.replace(escape, text)
    return line


def examples(man_text):
    """(directive, [command...]) for each .nf block of EXAMPLES."""
    section = man_text.split("\n.SH EXAMPLES\n", 1)[1].split("\n.SH ", 1)[0]
    found, directive, block = [], None, None
    for line in section.splitlines():
        if line.startswith('.\\" test:'):
            directive = line.split(":", 1)[1].split()
        elif line == ".nf":
            block = []
        elif line == ".fi":
            found.append((directive, join_continued(block)))
            directive, block = None, None
        elif block is not None:
            block.append(unroff(line).strip())
    return found


def join_continued(lines):
    """Commands, one per line, or over several lines while one ends in '|'."""
    commands = []
    for line in lines:
        if commands and commands[-1].endswith("|"):
            commands[-1] += " " + line
        else:
            commands.append(line)
    return commands


def run(command, directive, pcap_dir, work):
    capture = os.path.join(pcap_dir, directive[0] + ".pcap")
    compressed = os.path.join(work, "cap.pcap.gz")
    with open(capture, "rb") as raw, gzip.open(compressed, "wb") as packed:
        shutil.copyfileobj(raw, packed)
    shell = re.sub(r"\bcap\.pcap(\.gz)?\b", lambda m: compressed if m.group(1) else capture, command)
    shell = shell.replace("-i any", "-r " + capture)
    for substitution in directive[1:]:
        shown, actual = substitution.split("=", 1)
        shell = shell.replace(shown, actual)
    result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], cwd=work, text=True,
                            capture_output=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit("example failed (exit %d): %s\n  ran: %s\n%s" %
                         (result.returncode, command, shell, result.stderr))
    return result.stdout


def main():
    zkdump, man_page, pcap_dir, expected_path = sys.argv[1:5]
    pcap_dir = os.path.abspath(pcap_dir)
    update = "--update" in sys.argv[5:]
    os.environ["PATH"] = os.path.dirname(os.path.abspath(zkdump)) + os.pathsep + os.environ["PATH"]
    os.environ["TZ"] = "UTC"
    with open(man_page, encoding="utf-8") as f:
        found = examples(f.read())
    if not found:
        raise SystemExit("no examples found in " + man_page)
    actual = []
    with tempfile.TemporaryDirectory() as work:
        for directive, commands in found:
            if not directive:
                raise SystemExit("example without a '.\\\" test: CAPTURE' line: %s" % commands)
            for command in commands:
                actual.append("$ %s\n%s" % (command, run(command, directive, pcap_dir, work)))
    tested = {command for _, commands in found for command in commands}
    help_text = subprocess.run([zkdump, "--help"], text=True, capture_output=True).stdout
    for line in help_text.split("Examples:\n", 1)[-1].splitlines():
        if line.strip().startswith("zkdump") and line.strip() not in tested:
            raise SystemExit("--help shows an example the man page does not: " + line.strip())
    text = "".join(actual)
    if update:
        with open(expected_path, "w", encoding="utf-8") as f:
            f.write(text)
        return
    with open(expected_path, encoding="utf-8") as f:
        expected = f.read()
    if text != expected:
        sys.stdout.writelines(difflib.unified_diff(
            expected.splitlines(True), text.splitlines(True), expected_path, "man page examples now"))
        raise SystemExit("the man page's examples print something else (run with --update to accept)")
    print("%d examples, %d commands: output as expected" %
          (len(found), sum(len(commands) for _, commands in found)))


if __name__ == "__main__":
    main()
