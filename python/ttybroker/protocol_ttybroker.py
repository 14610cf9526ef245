# SPDX-License-Identifier: MIT
"""pyserial URL handler: ttybroker://PORT opens PORT through ttybrokerd.

    import ttybroker, serial
    s = serial.serial_for_url("ttybroker://ttyUSB0", baudrate=115200)

PORT is a name as `ttybroker run` takes it (ttyUSB0, pts/3,
serial/by-id/...).  The socket is $TTYBROKER_SOCKET, else
/run/ttybroker.sock.  The descriptor is the one the daemon opened; closing
the Serial releases the port.
"""
import errno
import fcntl
import os
import urllib.parse

import serial
from serial.serialposix import Serial as PosixSerial

from . import Broker, BrokerError


def port_name(url):
    """The port name in a ttybroker:// URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "ttybroker":
        raise serial.SerialException("expected a ttybroker:// URL, not {!r}".format(url))
    name = urllib.parse.unquote(parts.netloc + parts.path)
    if not name:
        raise serial.SerialException("no port in {!r}".format(url))
    return name


class Serial(PosixSerial):
    """serial.Serial on a descriptor from the broker."""

    _broker = None
    _handle = 0

    def open(self):
        if self._port is None:
            raise serial.SerialException("Port must be configured before it can be used.")
        if self.is_open:
            raise serial.SerialException("Port is already open.")
        name = port_name(self._port)
        try:
            self._broker = Broker()
            self.fd, self._handle = self._broker.open(name, nonblock=True)
        except (BrokerError, OSError) as e:
            self._drop_broker()
            raise serial.SerialException(e.errno, "could not open port {}: {}".format(
                self._port, e.strerror))
        self.pipe_abort_read_r, self.pipe_abort_read_w = None, None
        self.pipe_abort_write_r, self.pipe_abort_write_w = None, None
        try:
            self._reconfigure_port(force_update=True)
            try:
                if not self._dsrdtr:
                    self._update_dtr_state()
                if not self._rtscts:
                    self._update_rts_state()
            except IOError as e:
                if e.errno not in (errno.EINVAL, errno.ENOTTY):
                    raise
            self._reset_input_buffer()
            self.pipe_abort_read_r, self.pipe_abort_read_w = os.pipe()
            self.pipe_abort_write_r, self.pipe_abort_write_w = os.pipe()
            fcntl.fcntl(self.pipe_abort_read_r, fcntl.F_SETFL, os.O_NONBLOCK)
            fcntl.fcntl(self.pipe_abort_write_r, fcntl.F_SETFL, os.O_NONBLOCK)
        except BaseException:
            os.close(self.fd)
            self.fd = None
            for attr in ("pipe_abort_read_r", "pipe_abort_read_w",
                         "pipe_abort_write_r", "pipe_abort_write_w"):
                if getattr(self, attr) is not None:
                    os.close(getattr(self, attr))
                    setattr(self, attr, None)
            self._drop_broker()
            raise
        self.is_open = True

    def _drop_broker(self):
        if self._broker is not None:
            self._broker.close()
        self._broker = None

    def close(self):
        super().close()
        if self._broker is not None:
            try:
                self._broker.release(self._handle)
            except OSError:
                pass
        self._drop_broker()

    def from_url(self, url):
        """pyserial calls this with the URL: the port stays the URL."""
        port_name(url)
        return url
