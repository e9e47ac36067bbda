"""A TCP proxy in front of the test PostgreSQL (tests/pg.py), to drop the
network under a client (issue 15, faults): it listens on 127.0.0.1 on a free
port and relays each connection to the server's Unix socket, counting the
bytes each connection sends up. Told to, it acts once a connection has sent
``after_bytes`` up (so the fault lands in the middle of whatever the client
was sending, a COPY of samples when it is big enough):

- ``cut``: the client's socket closed with SO_LINGER 0 (an RST, no message
  from the server) and the server's closed too (its backend sees EOF);
- ``silent``: nothing relayed either way any more, and nothing closed, as a
  network that went away without a word; the proxy stops reading, so a
  client with more to send fills the (small) window and waits for acks.

The server sees a Unix-socket client (``local`` in pg_hba: trust, as every
test login), so the server itself opens no TCP port. One thread relays every
connection (selectors); ``close()`` stops and joins it and closes every socket.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

JOIN_TIMEOUT_S = 5.0
RECEIVE_BUFFER_BYTES = 4096      # the window a silent proxy leaves a client to fill
_CHUNK_BYTES = 65536


@dataclass
class _Link:
    client: socket.socket
    server: socket.socket
    up_bytes: int = 0
    silent: bool = False


@dataclass
class TcpProxy:
    """``fault`` (None, "cut" or "silent") applies to a connection once it has
    sent ``after_bytes`` up; ``faults`` counts the connections it struck."""

    target: Path                                 # the server's Unix socket
    fault: str | None = None
    after_bytes: int = 0
    faults: int = 0
    up_bytes: int = 0                            # every connection's, client -> server
    _links: list[_Link] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Set before listen: accepted sockets inherit it, and so their window.
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._wake_read, self._wake_write = socket.socketpair()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._relay, name="tcp-proxy", daemon=True)
        self._thread.start()

    def strike(self, fault: str | None, after_bytes: int = 0) -> None:
        """Cut or silence each connection from now on once it has sent
        ``after_bytes`` up; None: relay faithfully (connections already
        silenced stay so)."""
        assert fault in (None, "cut", "silent")
        with self._lock:
            self.fault, self.after_bytes = fault, after_bytes

    def end_silenced(self) -> None:
        """Close the connections it silenced: their server backends see EOF and
        roll back. A real server notices a station gone silent only by its own
        TCP keepalives (hours by default; docs/team.md); here it sees a Unix
        socket, so the proxy ends them."""
        with self._lock:
            for link in self._links:
                if link.silent:
                    link.client.close()
                    link.server.close()

    def close(self) -> None:
        self._stop.set()
        self._wake_write.send(b"x")
        self._thread.join(JOIN_TIMEOUT_S)
        assert not self._thread.is_alive(), "the TCP proxy's thread did not stop"
        for link in self._links:
            link.client.close()
            link.server.close()
        for sock in (self._listener, self._wake_read, self._wake_write):
            sock.close()
        self._selector.close()

    def _relay(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select():
                if key.fileobj is self._listener:
                    self._accept()
                elif key.data is not None:
                    link, upward = key.data
                    self._pass_on(link, upward)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.connect(str(self.target))
        client.setblocking(True)
        link = _Link(client, server)
        self._links.append(link)
        self._selector.register(client, selectors.EVENT_READ, (link, True))
        self._selector.register(server, selectors.EVENT_READ, (link, False))

    def _pass_on(self, link: _Link, upward: bool) -> None:
        source, sink = (link.client, link.server) if upward else (link.server, link.client)
        try:
            data = source.recv(_CHUNK_BYTES)
        except OSError:
            data = b""
        with self._lock:
            fault, after = self.fault, self.after_bytes
        if upward and fault is not None and link.up_bytes + len(data) >= after:
            data = data[:max(0, after - link.up_bytes)]
            self._send(sink, data)
            link.up_bytes += len(data)
            self.up_bytes += len(data)
            self.faults += 1
            if fault == "cut":
                self._cut(link)
            else:
                self._silence(link)
            return
        if not data:
            self._end(link)
            return
        if upward:
            link.up_bytes += len(data)
            self.up_bytes += len(data)
        if not self._send(sink, data):
            self._end(link)

    @staticmethod
    def _send(sink: socket.socket, data: bytes) -> bool:
        try:
            sink.sendall(data)
            return True
        except OSError:
            return False

    def _unregister(self, link: _Link) -> None:
        for sock in (link.client, link.server):
            try:
                self._selector.unregister(sock)
            except (KeyError, ValueError):
                pass

    def _cut(self, link: _Link) -> None:
        """An RST to the client (no FIN, no message), EOF to the server."""
        self._unregister(link)
        link.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        link.client.close()
        link.server.close()

    def _silence(self, link: _Link) -> None:
        self._unregister(link)
        link.silent = True

    def _end(self, link: _Link) -> None:
        """One side closed: the other is closed too, as a plain relay does."""
        self._unregister(link)
        link.client.close()
        link.server.close()


@pytest.fixture
def tcp_proxy(pg_server):
    """A ``TcpProxy`` to the run's test server, relaying faithfully until told
    to strike; stopped and joined after the test."""
    proxy = TcpProxy(pg_server.socket_dir / ".s.PGSQL.5432")
    try:
        yield proxy
    finally:
        proxy.close()
