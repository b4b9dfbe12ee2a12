"""A dist-git stand-in (TEST TOOL): Pagure's raw file URLs over a directory.

``GET /<namespace>/<package>/raw/<gitref>/f/<path>`` answers the file
``<root>/<namespace>/<package>/<gitref>/<path>`` (404 otherwise), as
https://src.fedoraproject.org does for a repository at a ref. ``populate(root)`` puts each
stand-in spec in ``rpms/<name>/{rawhide,f40}/<name>.spec``. Requests are recorded in
``server.requests``. From a shell::

    python -m tests.standins.distgit --root DIR [--populate] --port 0

It prints ``distgit=<url>`` once it listens.
"""

from __future__ import annotations

import argparse
import shutil
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .rpms import SPECS

__all__ = ["DistgitStandin", "main", "populate"]


def populate(root: Path, refs: tuple[str, ...] = ("rawhide", "f40")) -> Path:
    """Each stand-in spec as ``rpms/<name>/<ref>/<name>.spec`` under ``root``."""
    for spec in SPECS.glob("*.spec"):
        for ref in refs:
            repo = root / "rpms" / spec.stem / ref
            repo.mkdir(parents=True, exist_ok=True)
            shutil.copy2(spec, repo / spec.name)
    return root


class DistgitStandin:
    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = root.resolve()
        self.requests: list[str] = []
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DistgitStandin:
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

    def file_for(self, raw_path: str) -> Path | None:
        """The file a raw URL path names, or None (never anything outside ``root``)."""
        path = urlsplit(raw_path).path
        repo, sep, rest = path.partition("/raw/")
        ref, sep2, inner = rest.partition("/f/")
        if not (sep and sep2):
            return None
        parts = [unquote(p) for p in (*repo.strip("/").split("/"), ref, *inner.split("/"))]
        target = self.root.joinpath(*parts).resolve()
        if self.root not in target.parents or not target.is_file():
            return None
        return target

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                standin.requests.append(self.path)
                target = standin.file_for(self.path)
                body = target.read_bytes() if target else b"Page not found\n"
                self.send_response(HTTPStatus.OK if target else HTTPStatus.NOT_FOUND)
                self.send_header("Content-Type", "text/plain; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.standins.distgit",
        description="Offline dist-git stand-in (a test tool): Pagure raw file URLs.",
    )
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--populate", action="store_true", help="first copy the test specs in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    options = parser.parse_args(argv)
    if options.populate:
        populate(options.root)
    server = DistgitStandin(options.root, options.host, options.port)
    print(f"distgit={server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


if __name__ == "__main__":
    main()
