# SPDX-License-Identifier: MIT
"""ttybroker: open serial ports through ttybrokerd from Python.

Talks the broker's protocol (common/proto.h) directly over its
SOCK_SEQPACKET socket: no C extension, no libttybroker.  Importing the
package registers the pyserial URL handler, so

    serial.serial_for_url("ttybroker://ttyUSB0", baudrate=115200)

returns a serial.Serial whose descriptor the daemon opened.
"""
import array
import errno
import os
import socket
import struct

__all__ = ["BrokerError", "Broker", "open_port", "socket_path"]

PROTO_VERSION = 1
PROTO_READY = 1
PROTO_OPEN = 2
PROTO_OPEN_REPLY = 3
PROTO_RELEASE = 4
PROTO_PORT_MAX = 128
PROTO_DETAIL_MAX = 160
PROTO_OPEN_NONBLOCK = 0x1

# struct layouts, exactly as common/proto.h (native byte order, no padding)
HDR = struct.Struct("=HHII I")
READY = struct.Struct("=HHII I iI")
OPEN = struct.Struct("=HHII I II%ds" % PROTO_PORT_MAX)
OPEN_REPLY = struct.Struct("=HHII I iIII%ds iI%ds" % (PROTO_PORT_MAX, PROTO_DETAIL_MAX))
RELEASE = struct.Struct("=HHII I II")

REASONS = {
    0: "ok", 1: "malformed port name", 2: "no such device", 3: "not a serial tty",
    4: "denied by policy", 5: "device class is never handed out", 6: "port busy",
    7: "policy file missing, invalid or unsafe", 8: "broker failure",
}
DEFAULT_SOCKET = "/run/ttybroker.sock"


class BrokerError(OSError):
    """The broker refused or failed: errno, a reason text and its detail line."""

    def __init__(self, err, reason, detail=""):
        text = REASONS.get(reason, "unknown reason")
        if detail:
            text += ": " + detail
        super().__init__(err, text)
        self.reason = reason
        self.detail = detail


def socket_path():
    """$TTYBROKER_SOCKET, else /run/ttybroker.sock."""
    return os.environ.get("TTYBROKER_SOCKET") or DEFAULT_SOCKET


def _cstr(raw):
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


class Broker:
    """One connection to ttybrokerd.  Closing it releases every port it opened."""

    def __init__(self, path=None):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
        self.seq = 0
        try:
            self.sock.connect(path or socket_path())
            msg = self.sock.recv(READY.size + 1)
            if len(msg) != READY.size:
                raise BrokerError(errno.EPROTO, 8, "bad PROTO_READY")
            ver, typ, ln, _seq, _res, err, _pid = READY.unpack(msg)
            if ver != PROTO_VERSION or typ != PROTO_READY or ln != READY.size:
                raise BrokerError(errno.EPROTO, 8, "bad PROTO_READY")
            if err < 0:
                raise BrokerError(-err, 8, "the daemon cannot serve: " + os.strerror(-err))
        except BaseException:
            self.sock.close()
            raise

    def _send(self, data):
        """One datagram with our credentials (SCM_CREDENTIALS) attached."""
        creds = struct.pack("=iII", os.getpid(), os.getuid(), os.getgid())
        self.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)])

    def open(self, port, nonblock=False):
        """Open PORT ("ttyUSB0", "/dev/ttyUSB0", "pts/3"): (fd, handle) or BrokerError."""
        name = port.encode()
        if len(name) >= PROTO_PORT_MAX or b"\0" in name:
            raise BrokerError(errno.EINVAL, 1)
        self.seq += 1
        self._send(OPEN.pack(PROTO_VERSION, PROTO_OPEN, OPEN.size, self.seq, 0,
                             PROTO_OPEN_NONBLOCK if nonblock else 0, 0, name))
        fds = array.array("i")
        msg, anc, flags, _addr = self.sock.recvmsg(
            OPEN_REPLY.size + 1, socket.CMSG_SPACE(fds.itemsize), socket.MSG_CMSG_CLOEXEC)
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
        try:
            if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC) or len(msg) != OPEN_REPLY.size:
                raise BrokerError(errno.EPROTO, 8, "bad PROTO_OPEN_REPLY")
            (ver, typ, ln, seq, _res, err, reason, _rule, handle, _kname,
             _hpid, _holder, detail) = OPEN_REPLY.unpack(msg)
            if ver != PROTO_VERSION or typ != PROTO_OPEN_REPLY or ln != OPEN_REPLY.size \
                    or seq != self.seq:
                raise BrokerError(errno.EPROTO, 8, "bad PROTO_OPEN_REPLY")
            if err < 0:
                raise BrokerError(-err, reason, _cstr(detail))
            if len(fds) != 1:
                raise BrokerError(errno.EPROTO, 8, "no descriptor in the reply")
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        return fds[0], handle

    def release(self, handle):
        """Tell the broker to drop the locks of HANDLE (no reply)."""
        self.seq += 1
        self._send(RELEASE.pack(PROTO_VERSION, PROTO_RELEASE, RELEASE.size, self.seq, 0,
                                handle, 0))

    def close(self):
        self.sock.close()


def open_port(port, path=None):
    """Open PORT through the daemon: (fd, broker); close fd, then broker.close()."""
    b = Broker(path)
    try:
        fd, _handle = b.open(port)
    except BaseException:
        b.close()
        raise
    return fd, b


def _register():
    """Let serial.serial_for_url() find protocol_ttybroker in this package."""
    try:
        import serial
    except ImportError:
        return
    if __name__ not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(__name__)


_register()
