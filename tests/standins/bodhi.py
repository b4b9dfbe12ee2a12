"""A Bodhi stand-in (TEST TOOL): ``GET /updates/<alias>`` in Bodhi's JSON shape.

Bodhi's REST API answers ``GET /updates/<alias>`` with ``{"update": {...}, "can_edit":
false}``, the update holding ``alias``, ``title``, ``status``, ``type``, ``release`` and
``builds`` (each ``{"nvr", "epoch", "release_id", "signed", "type": "rpm"}``), and an
unknown alias with a 404 carrying Cornice's error body (``{"status": "error", "errors":
[{"location": "url", "name": "id", "description": "Invalid update id"}]}``). This serves
exactly that from a dict ``{alias: [nvr, ...]}``; tests may inject statuses
(``server.statuses[alias] = [503]``) or raw answers (``server.raw[alias] = (200, b"...")``)
and read ``server.requests`` (raw request paths).

From a shell::

    python -m tests.standins.bodhi --port 0 --update FEDORA-2024-0001=nvr1,nvr2 [...]

It prints ``bodhi=<url>`` once it listens.
"""

from __future__ import annotations

import argparse
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["BodhiStandin", "main", "update_json"]


def update_json(alias: str, nvrs: list[str]) -> dict[str, Any]:
    """An update as Bodhi's ``GET /updates/<alias>`` gives it (the fields that matter here)."""
    dist = "f40"
    return {
        "update": {
            "alias": alias,
            "title": " ".join(nvrs),
            "status": "testing",
            "type": "bugfix",
            "request": None,
            "severity": "unspecified",
            "notes": "Stand-in update",
            "user": {"name": "checkline"},
            "release": {
                "name": dist.upper(),
                "long_name": "Fedora 40",
                "dist_tag": dist,
                "id_prefix": "FEDORA",
                "branch": dist,
            },
            "builds": [
                {"nvr": nvr, "epoch": 0, "release_id": 1, "signed": True, "type": "rpm"}
                for nvr in nvrs
            ],
            "url": f"https://bodhi.example.org/updates/{alias}",
        },
        "can_edit": False,
    }


class BodhiStandin:
    def __init__(
        self, updates: dict[str, list[str]], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.updates = updates
        self.statuses: dict[str, list[int]] = {}
        #: Raw answers (status, body) for an alias, instead of its update JSON.
        self.raw: dict[str, tuple[int, bytes]] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> BodhiStandin:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(5)

    def answer(self, raw_path: str) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(raw_path)
        path = urlsplit(raw_path).path
        if not path.startswith("/updates/"):
            return 404, {"status": "error", "errors": [{"description": "Not Found"}]}
        alias = unquote(path.removeprefix("/updates/").rstrip("/"))
        with self._lock:
            queue = self.statuses.get(alias)
            injected = queue.pop(0) if queue else None
        if injected is not None:
            return injected, {"status": "error", "errors": [{"description": "injected"}]}
        if alias in self.raw:
            return self.raw[alias]
        if alias not in self.updates:
            error = {"location": "url", "name": "id", "description": "Invalid update id"}
            return 404, {"status": "error", "errors": [error]}
        return 200, update_json(alias, self.updates[alias])

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, body = standin.answer(self.path)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
                self.send_response(HTTPStatus(status))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.standins.bodhi",
        description="Offline Bodhi stand-in (a test tool): GET /updates/<alias>.",
    )
    parser.add_argument(
        "--update",
        action="append",
        default=[],
        metavar="ALIAS=NVR[,NVR...]",
        help="an update and its builds (repeatable)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    options = parser.parse_args(argv)
    updates: dict[str, list[str]] = {}
    for spec in options.update:
        alias, _, nvrs = spec.partition("=")
        updates[alias] = [nvr for nvr in nvrs.split(",") if nvr]
    server = BodhiStandin(updates, options.host, options.port)
    print(f"bodhi={server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


if __name__ == "__main__":
    main()
