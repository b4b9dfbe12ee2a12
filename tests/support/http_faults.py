"""An HTTP proxy that loses answers: the server commits, the client never hears it.

One request per connection (the servers under test close theirs after each answer, as
gunicorn's sync workers do). For each POST while ``drop_posts`` > 0 the proxy forwards the
request, waits for the server's whole answer, then closes the client's connection without
sending it: the ambiguous failure a retry must not turn into a duplicate.
"""

from __future__ import annotations

import socket
import threading


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length, lines = 0, head.split(b"\r\n")
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() != b"connection":
            kept.append(line)
    # The server must close after answering: the proxy reads its answer to the end.
    head = b"\r\n".join([*kept, b"Connection: close"])
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class AnswerDroppingProxy:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self.drop_posts = 0
        self.dropped = 0
        self.lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            request = _read_request(conn)
            if not request:
                return
            # The server answers with absolute URLs built from Host: keep them pointing here.
            with socket.create_connection(self.target) as upstream:
                upstream.sendall(request)
                answer = b""
                while chunk := upstream.recv(65536):
                    answer += chunk
            with self.lock:
                drop = request.startswith(b"POST") and self.drop_posts > 0
                if drop:
                    self.drop_posts -= 1
                    self.dropped += 1
            if not drop:
                conn.sendall(answer)

    def close(self) -> None:
        self._closed = True
        self.listener.close()
