"""A loopback TCP relay that notes when each piece of a streamed answer came off the network.

It sits between termchat and the fake server and forwards bytes both ways at once. For the
server's side it parses the NDJSON lines of /api/chat as they pass and records, per line,
`(time.monotonic(), answer characters so far)` taken just after the bytes were written to
termchat's socket: the moment the text reached the client's side of the network, against
which the frame log's times are compared.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from urllib.parse import urlsplit


class Relay:
    """Listens on 127.0.0.1 and forwards each connection to `upstream` (a base URL).

    Attributes:
        url: The relay's own base URL.
        arrivals: (monotonic time, cumulative answer characters) per NDJSON chunk seen.
    """

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.arrivals: list[tuple[float, int]] = []
        self._content = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def reset(self) -> None:
        """Forget the arrivals (before the next measured run)."""
        self.arrivals = []
        self._content = 0

    def close(self) -> None:
        """Stop accepting and end every connection."""
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def _accept(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.1)
            if not ready:
                continue
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._pipe, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pipe(self, client: socket.socket) -> None:
        server = socket.create_connection(self._upstream)
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([client, server], [], [], 0.1)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is server:
                        client.sendall(data)
                        # stamped once handed to termchat's socket: the relay's own delays
                        # (it shares the machine) are not termchat's
                        pending = self._note(pending + data, time.monotonic())
                    else:
                        server.sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def _note(self, data: bytes, now: float) -> bytes:
        """Record the answer text in the complete lines of `data`; the incomplete rest."""
        lines = data.split(b"\n")
        rest = lines.pop()
        for line in lines:
            if not line.startswith(b'{"model"'):
                continue  # chunked-encoding sizes, headers, other responses
            try:
                chunk = json.loads(line)
            except ValueError:
                continue
            content = (chunk.get("message") or {}).get("content") or ""
            if content:
                self._content += len(content)
                self.arrivals.append((now, self._content))
        return rest
