"""Serve the artifacts directory over HTTP, every run's files as inert text. For one machine; at
scale, any web server configured the same way does this.

    python -m checkline.stack.artifacts_server --directory DIR --port 8011 [--bind 127.0.0.1]

A run's folder ``<DIR>/<uuid>/`` is written by the check it ran, which is untrusted code (and so
is the package it tested), so the server treats every file and link in it as hostile:

* **A path is served only if it resolves inside its own run's folder.** The URL's first
  segment names the run (a real folder directly under ``DIR``, not a symlink, not hidden);
  the whole path is resolved (``os.path.realpath(strict=True)``: every symlink followed, a
  missing or unresolvable component refused) and answers 404 unless the real path is that
  run's real folder or below it. A link leaving the artifacts root (``/etc/passwd``, ``/etc``,
  ``../..``, the stack's ``stack.json``) is refused; so is a link into *another* run's folder,
  although it stays under ``DIR``: one check could otherwise publish another job's files
  under its own run's name and URL. A link that stays in its run (``latest.log ->
  runner.log``) is served. The file opened is the resolved path, with ``O_NOFOLLOW`` and
  ``O_NONBLOCK`` (a link swapped in meanwhile fails; a FIFO never blocks a thread), and only a
  regular file is sent.
* **No traversal.** The path is percent-decoded once (invalid UTF-8 refused); a NUL, a
  backslash, an empty segment (``//``), ``.`` or ``..`` anywhere answers 404, as does a
  request target that is not a path (``http://host/...``).
* **No listing of the root.** ``/`` answers a fixed line of text (a ``200``, which is what
  ``checkline stack up`` waits for) and lists nothing: which uuids exist is not published,
  nor ``.report-spool``. A run's folder, and folders below it, are listed, without the
  entries that do not resolve inside the run.
* **Nothing a check wrote runs in a browser.** Every response carries
  ``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: sandbox; default-src
  'none'``; every file is ``text/plain; charset=utf-8`` except a few types no browser runs
  script from (images other than SVG, archives, JSON), so an ``.html``, ``.svg``, ``.xml`` or
  ``.js`` a check wrote shows as its source.
"""

from __future__ import annotations

import argparse
import email.utils
import functools
import html
import http.server
import io
import os
import stat
import urllib.parse
from http import HTTPStatus
from typing import Any, BinaryIO

from checkline.master.artifacts import inside, resolves_inside

TEXT = "text/plain; charset=utf-8"
#: The only types served as themselves: no browser runs script from them (not SVG, not HTML,
#: not XML, not PDF). Every other file is text.
INERT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".json": "application/json",
    ".gz": "application/gzip",
    ".tgz": "application/gzip",
    ".xz": "application/x-xz",
    ".bz2": "application/x-bzip2",
    ".zst": "application/zstd",
    ".tar": "application/x-tar",
    ".zip": "application/zip",
    ".rpm": "application/x-rpm",
}
#: On every response, errors and listings included.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}
ROOT_TEXT = "Checkline artifacts: each run's files are under /<uuid>/ (the root is not listed).\n"


def resolve(root: str, url_path: str) -> tuple[str, str] | None:
    """``(real path, its run's real folder)`` for a request's path (query removed, still
    percent-encoded), or None (answer 404): see the module's docstring for the rules."""
    try:
        path = urllib.parse.unquote(url_path, errors="strict")
    except UnicodeDecodeError:
        return None
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return None
    segments = path[1:].split("/")
    if segments[-1] == "":  # a trailing slash
        segments.pop()
    if not segments or any(segment in ("", ".", "..") for segment in segments):
        return None
    if segments[0].startswith("."):
        return None
    try:
        real_root = os.path.realpath(root, strict=True)
        run = os.path.join(real_root, segments[0])
        if not stat.S_ISDIR(os.lstat(run).st_mode):  # a run folder that is a link: refused
            return None
        real = os.path.realpath(os.path.join(run, *segments[1:]), strict=True)
    except (OSError, ValueError):  # missing, a loop, a name too long
        return None
    return (real, run) if inside(real, run) else None


class ArtifactsHandler(http.server.SimpleHTTPRequestHandler):
    server_version = "checkline-artifacts"

    def end_headers(self) -> None:
        for name, value in HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return INERT_TYPES.get(os.path.splitext(os.fspath(path))[1].lower(), TEXT)

    def translate_path(self, path: str) -> str:
        """The resolved path ``path`` may serve, or "" (which nothing opens)."""
        resolved = resolve(self.directory, path.split("?", 1)[0].split("#", 1)[0])
        return resolved[0] if resolved else ""

    def send_head(self) -> BinaryIO | None:
        url_path = self.path.split("?", 1)[0].split("#", 1)[0]
        if url_path == "/":
            return self._send_text(ROOT_TEXT)
        resolved = resolve(self.directory, url_path)
        if resolved is None:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        real, run = resolved
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                if not url_path.endswith("/"):  # a path checked above: never "//host"
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", url_path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                try:
                    return self._send_listing(real, run, url_path)
                except OSError:  # an unreadable folder
                    self.send_error(HTTPStatus.NOT_FOUND, "File not found")
                    return None
            if not stat.S_ISREG(info.st_mode) or url_path.endswith("/"):
                self.send_error(HTTPStatus.NOT_FOUND, "File not found")
                return None
            os.set_blocking(fd, True)
            f = os.fdopen(fd, "rb")
            fd = -1  # owned by f now
        finally:
            if fd >= 0:
                os.close(fd)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-type", self.guess_type(real))
        self.send_header("Content-Length", str(info.st_size))
        self.send_header("Last-Modified", email.utils.formatdate(info.st_mtime, usegmt=True))
        self.end_headers()
        return f

    def list_directory(self, path: str | os.PathLike[str]) -> io.BytesIO | None:
        """Only through :meth:`send_head`, which lists a run's folder, never the root."""
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

    def _send_listing(self, folder: str, run: str, url_path: str) -> BinaryIO:
        """The entries of ``folder`` (in ``run``) that resolve inside ``run``, as HTML (inert
        under the sandbox CSP): a link out of the run is neither shown nor said to exist."""
        entries = []
        for name in sorted(os.listdir(folder), key=str.lower):
            path = os.path.join(folder, name)
            if not resolves_inside(path, run):
                continue
            shown = name + "/" if os.path.isdir(path) else name
            entries.append(
                f'<li><a href="{urllib.parse.quote(shown, errors="surrogatepass")}">'
                f"{html.escape(shown)}</a></li>"
            )
        title = html.escape(f"Artifacts {urllib.parse.unquote(url_path)}")
        page = (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}'
            f"</title></head>\n<body><h1>{title}</h1>\n<ul>\n" + "\n".join(entries) + "\n</ul>"
            "</body></html>\n"
        )
        return self._send_text(page, "text/html; charset=utf-8")

    def _send_text(self, text: str, ctype: str = TEXT) -> BinaryIO:
        body = text.encode("utf-8", "surrogateescape")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", required=True)
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--bind", default="127.0.0.1")
    args = parser.parse_args()
    handler: Any = functools.partial(ArtifactsHandler, directory=args.directory)
    with http.server.ThreadingHTTPServer((args.bind, args.port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
