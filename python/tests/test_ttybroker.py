# SPDX-License-Identifier: MIT
"""Tests of the ttybroker Python package: the struct layouts against
common/proto.h (compiled with cc), the URL parser, and, as root, pyserial's
serial_for_url("ttybroker://...") through a private ttybrokerd as user
nobody on a pty slave that nobody may not open (owner nobody, mode 0000).
Run with: /usr/bin/python3 -m unittest discover -s python/tests
TTYBROKER_BIN names the built ttybroker command (ttybrokerd next to it).
"""
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))

import ttybroker  # noqa: E402

try:
    import serial
    from ttybroker import protocol_ttybroker
except ImportError:  # pragma: no cover
    serial = None

NOBODY = 65534
WAIT = 10.0


class ProtoLayout(unittest.TestCase):
    """The Python structs have the sizes of common/proto.h's."""

    def test_sizes_match_the_c_header(self):
        cc = shutil.which("cc")
        if not cc:
            self.skipTest("no C compiler")
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "s.c")
            with open(src, "w") as f:
                f.write('#include <stdio.h>\n#include "proto.h"\nint main(void) {\n'
                        'printf("%zu %zu %zu %zu %zu\\n", sizeof(struct proto_hdr),'
                        ' sizeof(struct proto_ready), sizeof(struct proto_open),'
                        ' sizeof(struct proto_open_reply), sizeof(struct proto_release));\n'
                        'return 0; }\n')
            exe = os.path.join(d, "s")
            subprocess.run([cc, "-I", os.path.join(TOP, "common"), "-o", exe, src], check=True)
            out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
        want = [int(x) for x in out.split()]
        got = [ttybroker.HDR.size, ttybroker.READY.size, ttybroker.OPEN.size,
               ttybroker.OPEN_REPLY.size, ttybroker.RELEASE.size]
        self.assertEqual(got, want)


@unittest.skipIf(serial is None, "pyserial (python3-serial) is not installed")
class Url(unittest.TestCase):
    def test_port_name(self):
        self.assertEqual(protocol_ttybroker.port_name("ttybroker://ttyUSB0"), "ttyUSB0")
        self.assertEqual(protocol_ttybroker.port_name("ttybroker://pts/3"), "pts/3")
        self.assertEqual(protocol_ttybroker.port_name("ttybroker:///dev/ttyS0"), "/dev/ttyS0")
        with self.assertRaises(serial.SerialException):
            protocol_ttybroker.port_name("ttybroker://")
        with self.assertRaises(serial.SerialException):
            protocol_ttybroker.port_name("rfc2217://x")

    def test_registered(self):
        self.assertIn("ttybroker", serial.protocol_handler_packages)


def _bin():
    b = os.environ.get("TTYBROKER_BIN")
    if not b:
        b = os.path.join(TOP, "build", "ttybroker")
    return os.path.join(os.path.dirname(b), "ttybrokerd")


@unittest.skipIf(serial is None, "pyserial (python3-serial) is not installed")
@unittest.skipIf(os.geteuid() != 0, "needs root (ptys for nobody, a private daemon)")
class ThroughTheDaemon(unittest.TestCase):
    def setUp(self):
        if not os.access(_bin(), os.X_OK):
            self.skipTest("no built ttybrokerd at " + _bin())
        self.dir = tempfile.mkdtemp(prefix="tbpy.")
        os.chmod(self.dir, 0o755)
        self.lockdir = os.path.join(self.dir, "lock")
        os.mkdir(self.lockdir, 0o755)
        self.policy = os.path.join(self.dir, "ttybroker.conf")
        self.sock = os.path.join(self.dir, "sock")
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        os.close(slave)
        self.port = self.path[len("/dev/"):]
        os.chown(self.path, NOBODY, -1)
        os.chmod(self.path, 0)
        self.daemon = None
        self.kid = None

    def tearDown(self):
        if self.kid:
            try:
                os.kill(self.kid, signal.SIGKILL)
                os.waitpid(self.kid, 0)
            except OSError:
                pass
        if self.daemon:
            self.daemon.terminate()
            self.daemon.wait(WAIT)
        os.close(self.master)
        shutil.rmtree(self.dir)

    def start_daemon(self, policy):
        with open(self.policy, "w") as f:
            f.write(policy)
        os.chmod(self.policy, 0o644)
        self.daemon = subprocess.Popen(
            [_bin(), "-f", "-p", self.policy, "-l", self.lockdir, "-s", self.sock],
            stderr=subprocess.DEVNULL)
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                s.connect(self.sock)
                return
            except OSError:
                time.sleep(0.02)
            finally:
                s.close()
        self.fail("ttybrokerd did not come up")

    def as_nobody(self, body):
        """Run BODY() in a child dropped to nobody; its exit status."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 99
            try:
                os.close(r)
                os.setgroups([])
                os.setresgid(NOBODY, NOBODY, NOBODY)
                os.setresuid(NOBODY, NOBODY, NOBODY)
                os.environ["TTYBROKER_SOCKET"] = self.sock
                code = body(w)
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(w)
        self.kid = pid
        return pid, r

    def wait_kid(self):
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            pid, status = os.waitpid(self.kid, os.WNOHANG)
            if pid:
                self.kid = None
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.02)
        self.fail("the client did not end")

    def expect(self, needle):
        got = b""
        end = time.monotonic() + WAIT
        while needle not in got and time.monotonic() < end:
            if select.select([self.master], [], [], 0.1)[0]:
                try:
                    got += os.read(self.master, 1024)
                except OSError:  # EIO: the slave is not open (yet)
                    time.sleep(0.05)
        return needle in got

    def lockfile(self):
        return os.path.join(self.lockdir, "LCK.." + self.port.replace("/", "_"))

    def test_serial_for_url(self):
        self.start_daemon("permit * pts/*\n")
        url = "ttybroker://" + self.port

        def body(w):
            s = serial.serial_for_url(url, baudrate=57600, timeout=WAIT)
            s.write(b"ping")
            line = s.readline()
            s.close()
            os.write(w, b"closed")
            return 0 if line == b"pong\n" else 1

        self.as_nobody(body)
        self.assertTrue(self.expect(b"ping"), "client -> port")
        self.assertTrue(os.path.exists(self.lockfile()), "the port is locked")
        fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            self.assertEqual(termios.tcgetattr(fd)[4], termios.B57600, "baud rate set")
        finally:
            os.close(fd)
        os.write(self.master, b"pong\n")
        self.assertEqual(self.wait_kid(), 0, "port -> client")
        self.assertFalse(os.path.exists(self.lockfile()), "close() released the port")

    def test_denied(self):
        self.start_daemon("deny * pts/*\n")
        url = "ttybroker://" + self.port

        def body(w):
            try:
                serial.serial_for_url(url, baudrate=9600)
            except serial.SerialException as e:
                return 13 if e.errno == 13 and "denied by policy" in str(e) else 2
            return 0

        self.as_nobody(body)
        self.assertEqual(self.wait_kid(), 13, "EACCES, denied by policy")


if __name__ == "__main__":
    unittest.main()
