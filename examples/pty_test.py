#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Recipe for test authors (README.md, ttybroker(1)): run a program under
# test on a pty through `ttybroker run`, as user nobody, and drive the
# "device" side from the test.  Run as root; stdlib only; removes the pty,
# policy and lock directory it made.  `make check` runs it.
import os, pty, signal, subprocess, tempfile

USER, PROGRAM = "nobody", ["sh", "-c", 'read -r line <&3; echo "got $line" >&3']

signal.alarm(20)                             # a bound against hangs
master, slave = pty.openpty()                # the test holds the master side
tty = os.ttyname(slave)                      # /dev/pts/N, passed as pts/N
os.chown(tty, int(subprocess.check_output(["id", "-u", USER])), -1)
with tempfile.TemporaryDirectory() as d:     # private policy and lock dir
    os.mkdir(d + "/lock")
    with open(d + "/policy", "w") as f:
        f.write(f"permit {USER} {tty[5:]}\n")
    run = subprocess.Popen(["ttybroker", "-q", "-p", d + "/policy", "-l", d + "/lock",
                            "-u", USER, "run", tty[5:], "--", *PROGRAM])
    os.write(master, b"hello\n")             # the "device" talks ...
    seen = b""
    while b"got hello" not in seen:          # ... and listens
        seen += os.read(master, 1024)
    assert run.wait(timeout=10) == 0, run.returncode
os.close(slave)
os.close(master)
print("ok: the program under test answered", seen.split(b"got ")[-1].strip())
