"""A Koji hub stand-in (TEST TOOL): Koji's XML-RPC calls the directives make, and the files.

One HTTP server answers both halves of a Koji instance:

* ``POST /kojihub``: XML-RPC, marshalled with koji's own ``koji.xmlrpcplus`` (as the real hub
  does), keyword arguments decoded with ``koji.decode_args``. Methods: ``getAPIVersion``,
  ``getKojiVersion``, ``getBuild``, ``getTag``, ``listRPMs``, ``listTagged``,
  ``getLatestBuilds``. Errors are Koji faults (``koji.GenericError``, code 1000), as the hub
  sends them. Every answer carries the ``Koji-Version`` header.
* ``GET /kojifiles/...``: the files of ``--root`` in Koji's layout (the hub's "topurl"),
  with ``Range`` requests (206) as kojipkgs serves them.

The data comes from the tree itself: each ``packages/<name>/<version>/<release>`` directory
is a build, each RPM in its ``<arch>`` directories one of its RPMs (``rpm -qp`` reads the
header fields: epoch, payloadhash = SIGMD5, buildtime), ``tags.json`` the tags.

Tests inject faults through ``server.faults`` (cut a download after N bytes, corrupt a file,
answer some statuses first) and read ``server.requests``; they may add or change builds and
RPMs in ``server.data``. Run it alone::

    python -m tests.standins.koji --root DIR [--build-rpms] [--host 127.0.0.1] [--port 0]

It prints ``hub=<url> topurl=<url>`` once it listens (the demo and the CLI tests read it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import koji
from koji.xmlrpcplus import Fault, dumps, loads

__all__ = ["Faults", "KojiData", "KojiStandin", "main"]

KOJI_VERSION = "1.35.0"
HUB_PATH = "/kojihub"
FILES_PATH = "/kojifiles"
_BUILD_COMPLETE = koji.BUILD_STATES["COMPLETE"]
_QF = "%{EPOCH}\t%{SIGMD5}\t%{BUILDTIME}\t%{NAME}\t%{VERSION}\t%{RELEASE}\n"


@dataclass
class KojiData:
    """Builds (by id), their RPMs (by build id) and tags (name -> NVRs, oldest first)."""

    builds: dict[int, dict[str, Any]] = field(default_factory=dict)
    rpms: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_tree(cls, root: Path) -> KojiData:
        data = cls()
        tags_file = root / "tags.json"
        if tags_file.is_file():
            data.tags = json.loads(tags_file.read_text(encoding="utf-8"))
        rpm_id = 1
        builddirs = sorted((root / "packages").glob("*/*/*"))
        for build_id, builddir in enumerate(builddirs, start=1):
            name, version, release = builddir.relative_to(root / "packages").parts
            data.builds[build_id] = {
                "id": build_id,
                "build_id": build_id,
                "name": name,
                "package_name": name,
                "package_id": build_id,
                "version": version,
                "release": release,
                "epoch": None,
                "nvr": f"{name}-{version}-{release}",
                "state": _BUILD_COMPLETE,
                "volume_id": 0,
                "volume_name": "DEFAULT",
                "owner_name": "checkline",
                "task_id": 1000 + build_id,
                "draft": False,
                "extra": None,
            }
            files = sorted(p for p in builddir.glob("*/*.rpm") if p.parent.name != "data")
            data.rpms[build_id] = []
            if not files:
                continue
            out = subprocess.run(
                ["rpm", "-qp", "--qf", _QF, *map(str, files)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.splitlines()
            for path, line in zip(files, out, strict=True):
                epoch, sigmd5, buildtime, rname, rversion, rrelease = line.split("\t")
                data.rpms[build_id].append(
                    {
                        "id": rpm_id,
                        "build_id": build_id,
                        "name": rname,
                        "version": rversion,
                        "release": rrelease,
                        "epoch": None if epoch == "(none)" else int(epoch),
                        "arch": path.parent.name,  # Koji's arch: 'src' for the SRPM
                        "nvr": f"{rname}-{rversion}-{rrelease}",
                        "payloadhash": sigmd5,
                        "size": path.stat().st_size,
                        "buildtime": int(buildtime),
                        "buildroot_id": 1,
                        "external_repo_id": 0,
                        "external_repo_name": "INTERNAL",
                        "metadata_only": False,
                        "extra": None,
                    }
                )
                rpm_id += 1
            if data.builds[build_id]["epoch"] is None:
                epochs = {r["epoch"] for r in data.rpms[build_id]}
                data.builds[build_id]["epoch"] = epochs.pop() if len(epochs) == 1 else None
        return data

    def build(self, info: int | str) -> dict[str, Any] | None:
        for build in self.builds.values():
            if info in (build["id"], build["nvr"]):
                return build
        return None


@dataclass
class Faults:
    """Faults to inject into file downloads, keyed by path under ``/kojifiles/``."""

    #: Send the headers and this many bytes, then cut the connection (once per entry).
    cut_after: dict[str, int] = field(default_factory=dict)
    #: Serve these files with their last byte changed (in the payload, which Koji's
    #: payloadhash covers; the size stays right).
    corrupt: set[str] = field(default_factory=set)
    #: Answer these HTTP statuses first, one per request, before serving the file.
    statuses: dict[str, list[int]] = field(default_factory=dict)
    #: Answer a Range request for these with the whole file (200), as some servers do.
    ignore_range: set[str] = field(default_factory=set)
    #: Answer a Range request for these with 206 and the whole file (a wrong Content-Range).
    wrong_range: set[str] = field(default_factory=set)
    #: Hub calls answered first, one per call, with this raw (status, body) instead.
    hub_answers: list[tuple[int, bytes]] = field(default_factory=list)
    #: Hub methods that answer a Koji fault (koji.GenericError) with this message.
    method_faults: dict[str, str] = field(default_factory=dict)


class _GenericError(Exception):
    """Becomes a Koji fault (code 1000, koji.GenericError on the client)."""


class KojiStandin:
    """The stand-in server; ``start()`` serves in a thread, ``serve_forever()`` in this one."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = root.resolve()
        self.data = KojiData.from_tree(self.root)
        self.faults = Faults()
        self.requests: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def hub_url(self) -> str:
        return self.url + HUB_PATH

    @property
    def topurl(self) -> str:
        return self.url + FILES_PATH

    def start(self) -> KojiStandin:
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

    def file_requests(self, name: str) -> list[str | None]:
        """The ``Range`` header of each GET of a file whose path ends in ``name``."""
        gets = [(path, rng) for method, path, rng in self.requests if method == "GET"]
        return [rng for path, rng in gets if path.endswith(name)]

    # -- XML-RPC methods (Koji's names and signatures) -----------------------------------

    def getAPIVersion(self) -> int:
        return 1

    def getKojiVersion(self) -> str:
        return KOJI_VERSION

    def getBuild(self, buildInfo: int | str, strict: bool = False) -> Any:
        build = self.data.build(buildInfo)
        if build is None and strict:
            raise _GenericError(f"No such build: {buildInfo!r}")
        return build

    def getTag(self, tagInfo: str | int, strict: bool = False, **_: Any) -> Any:
        names = list(self.data.tags)
        if tagInfo in names:
            return {"id": names.index(tagInfo) + 1, "name": tagInfo, "arches": None}
        if strict:
            raise _GenericError(f"No such tagInfo: {tagInfo!r}")
        return None

    def listRPMs(
        self,
        buildID: int | None = None,
        buildrootID: int | None = None,
        imageID: int | None = None,
        componentBuildrootID: int | None = None,
        hostID: int | None = None,
        arches: str | list[str] | None = None,
        queryOpts: dict[str, Any] | None = None,
        draft: bool | None = None,
    ) -> list[dict[str, Any]]:
        rpms = self.data.rpms.get(buildID or 0, []) if buildID else []
        if arches is not None:
            wanted = [arches] if isinstance(arches, str) else list(arches)
            rpms = [r for r in rpms if r["arch"] in wanted]
        return rpms

    def _tagged(self, tag: str, package: str | None) -> list[dict[str, Any]]:
        if tag not in self.data.tags:
            raise _GenericError(f"No such tagInfo: {tag!r}")
        builds = [self.data.build(nvr) for nvr in self.data.tags[tag]]
        found = [dict(b, tag_name=tag) for b in builds if b is not None]
        if package is not None:
            found = [b for b in found if b["package_name"] == package]
        return found

    def listTagged(
        self,
        tag: str,
        event: int | None = None,
        inherit: bool = False,
        prefix: str | None = None,
        latest: bool = False,
        package: str | None = None,
        **_: Any,
    ) -> list[dict[str, Any]]:
        builds = self._tagged(tag, package)
        if latest:
            newest: dict[str, dict[str, Any]] = {}
            for build in builds:  # tagged oldest first: the last one of a package wins
                newest[build["package_name"]] = build
            builds = list(newest.values())
        return builds[::-1]  # Koji lists the newest first

    def getLatestBuilds(
        self, tag: str, event: int | None = None, package: str | None = None, **_: Any
    ) -> list[dict[str, Any]]:
        return self.listTagged(tag, latest=True, package=package)

    _METHODS = (
        "getAPIVersion",
        "getKojiVersion",
        "getBuild",
        "getTag",
        "listRPMs",
        "listTagged",
        "getLatestBuilds",
    )

    def call(self, method: str, params: tuple[Any, ...]) -> Any:
        if method not in self._METHODS:
            raise _GenericError(f"Invalid method: {method}")
        if method in self.faults.method_faults:
            raise _GenericError(self.faults.method_faults[method])
        args, kwargs = koji.decode_args(*params)
        return getattr(self, method)(*args, **kwargs)

    # -- HTTP ----------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read server.requests instead

            def do_POST(self) -> None:
                standin._record("POST", self.path, None)
                if urlsplit(self.path).path != HUB_PATH:
                    self._plain(HTTPStatus.NOT_FOUND, b"not found\n")
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                injected = standin._next_hub_answer()
                if injected is not None:
                    status, raw = injected
                    self.send_response(HTTPStatus(status))
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return
                try:
                    params, method = loads(body)
                    result = dumps((standin.call(method, params),), methodresponse=1, allow_none=1)
                except _GenericError as err:
                    result = dumps(Fault(koji.GenericError.faultCode, str(err)), allow_none=1)
                except TypeError as err:  # wrong arguments, as Koji's ParameterError
                    result = dumps(Fault(koji.ParameterError.faultCode, str(err)), allow_none=1)
                payload = result.encode("utf-8")
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Koji-Version", KOJI_VERSION)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                rng = self.headers.get("Range")
                standin._record("GET", self.path, rng)
                path = unquote(urlsplit(self.path).path)
                if not path.startswith(FILES_PATH + "/"):
                    self._plain(HTTPStatus.NOT_FOUND, b"not found\n")
                    return
                rel = path[len(FILES_PATH) + 1 :]
                status = standin._next_status(rel)
                if status is not None:
                    self._plain(HTTPStatus(status), f"injected {status}\n".encode())
                    return
                target = (standin.root / rel).resolve()
                if standin.root not in target.parents or not target.is_file():
                    self._plain(HTTPStatus.NOT_FOUND, b"not found\n")
                    return
                content = target.read_bytes()
                if rel in standin.faults.corrupt:
                    flipped = bytearray(content)
                    flipped[-1] ^= 0xFF
                    content = bytes(flipped)
                start = 0
                if rng and rng.startswith("bytes=") and rng.endswith("-"):
                    start = int(rng[len("bytes=") : -1])
                    if start >= len(content):
                        self._plain(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"")
                        return
                if rel in standin.faults.ignore_range:
                    start = 0
                partial = bool(start) or (rng is not None and rel in standin.faults.wrong_range)
                if rel in standin.faults.wrong_range:
                    start = 0
                body = content[start:]
                self.send_response(HTTPStatus.PARTIAL_CONTENT if partial else HTTPStatus.OK)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                if partial:
                    self.send_header(
                        "Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}"
                    )
                self.end_headers()
                cut = standin._take_cut(rel)
                if cut is not None:
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def _plain(self, status: HTTPStatus, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _record(self, method: str, path: str, rng: str | None) -> None:
        with self._lock:
            self.requests.append((method, path, rng))

    def _next_status(self, rel: str) -> int | None:
        with self._lock:
            queue = self.faults.statuses.get(rel)
            return queue.pop(0) if queue else None

    def _next_hub_answer(self) -> tuple[int, bytes] | None:
        with self._lock:
            return self.faults.hub_answers.pop(0) if self.faults.hub_answers else None

    def _take_cut(self, rel: str) -> int | None:
        with self._lock:
            return self.faults.cut_after.pop(rel, None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.standins.koji",
        description="Offline Koji hub stand-in (a test tool): XML-RPC hub + files of --root.",
    )
    parser.add_argument("--root", type=Path, required=True, help="Koji-layout tree to serve")
    parser.add_argument(
        "--build-rpms", action="store_true", help="first build the test RPMs into --root"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    options = parser.parse_args(argv)
    if options.build_rpms:
        from .rpms import build_koji_tree

        build_koji_tree(options.root)
    server = KojiStandin(options.root, options.host, options.port)
    print(f"hub={server.hub_url} topurl={server.topurl}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop() if server._thread else server._httpd.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
