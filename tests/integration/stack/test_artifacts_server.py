"""``python -m checkline.stack.artifacts_server`` as a real process on 127.0.0.1: what it serves
of a run's folder, what it refuses (symlinks out of the run, the root's listing, traversal),
and the headers that keep a check's HTML or SVG from running script on the artifacts origin.

Requests go over a raw socket: HTTP clients normalize ``..`` and refuse a NUL or a backslash,
and these tests need the bytes exactly as written.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdb_server import free_port

PASSWD = Path("/etc/passwd")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Server:
    port: int
    root: Path

    def get(self, path: str | bytes, method: str = "GET") -> Response:
        raw = path if isinstance(path, bytes) else path.encode("utf-8")
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(method.encode() + b" " + raw + b" HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return Response(int(status_line.split()[1]), headers, body)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    state = tmp_path_factory.mktemp("state")  # as `checkline stack up`: stack.json beside
    (state / "stack.json").write_text('{"secret": "stack-state"}\n')
    root = state / "artifacts"
    run, other = root / "run1", root / "run2"
    (run / "sub").mkdir(parents=True)
    other.mkdir()
    (root / ".report-spool").mkdir()
    (root / ".report-spool" / "pending.json").write_text('{"spooled": true}\n')
    (root / "loose.txt").write_text("a file in the root, in no run\n")
    (run / "runner.log").write_text("the runner's log\n")
    (run / "sub" / "deep.log").write_text("deep\n")
    (run / "x.html").write_text("<html><script>alert(document.domain)</script></html>\n")
    (run / "x.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n'
    )
    (run / "x.js").write_text("alert(1)\n")
    (run / "noext").write_text("<script>alert(1)</script>\n")
    (run / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (other / "secret.txt").write_text("run2's own file\n")
    (run / "passwd").symlink_to(PASSWD)
    (run / "etc").symlink_to("/etc")
    (run / "up").symlink_to("../..")
    (run / "stack").symlink_to("../../stack.json")
    (run / "run2").symlink_to("../run2")
    (run / "run2-secret").symlink_to("../run2/secret.txt")
    (run / "sub" / "root").symlink_to("../../")
    (run / "dangling").symlink_to("/nonexistent/x")
    (run / "latest.log").symlink_to("runner.log")  # stays in the run: served
    (run / "sub" / "up.log").symlink_to("../runner.log")  # stays in the run: served
    (root / "linked-run").symlink_to(run)  # a run folder that is a link: refused
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "checkline.stack.artifacts_server", "--directory", str(root),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    served = Server(port, root)
    deadline = time.monotonic() + 30
    while True:
        try:
            served.get("/run1/runner.log")
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the artifacts server did not start") from None
            time.sleep(0.05)
    yield served
    proc.terminate()
    proc.wait(timeout=10)


def assert_refused(response: Response) -> None:
    assert response.status == 404, (response.status, response.text[:300])
    assert "root:" not in response.text
    assert "stack-state" not in response.text
    assert "run2's own file" not in response.text


def test_assert_run_file_served(server: Server) -> None:
    response = server.get("/run1/runner.log")
    assert response.status == 200 and response.text == "the runner's log\n"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    "path",
    ["/run1/passwd", "/run1/etc", "/run1/etc/", "/run1/etc/passwd", "/run1/up/",
     "/run1/up/etc/passwd", "/run1/stack", "/run1/sub/root/", "/run1/sub/root/run2/secret.txt",
     "/run1/dangling"],
)  # fmt: skip
def test_assert_symlink_out_of_the_root_refused(server: Server, path: str) -> None:
    assert_refused(server.get(path))


@pytest.mark.parametrize("path", ["/run1/run2", "/run1/run2/", "/run1/run2/secret.txt",
                                  "/run1/run2-secret", "/linked-run/runner.log"])  # fmt: skip
def test_assert_symlink_to_another_run_refused(server: Server, path: str) -> None:
    assert_refused(server.get(path))


def test_assert_symlink_inside_the_run_served(server: Server) -> None:
    assert server.get("/run1/latest.log").text == "the runner's log\n"
    assert server.get("/run1/sub/up.log").text == "the runner's log\n"


@pytest.mark.parametrize("path", ["/", "/?C=M", "/.report-spool/", "/.report-spool/pending.json",
                                  "/loose.txt", "/run1/..", "/run1/../", "/.", "/./"])  # fmt: skip
def test_assert_root_not_listed(server: Server, path: str) -> None:
    response = server.get(path)
    assert "run1" not in response.text and "run2" not in response.text
    assert "spooled" not in response.text and "report-spool" not in response.text
    assert "loose" not in response.text


def test_assert_run_folder_listed_without_escaping_links(server: Server) -> None:
    response = server.get("/run1/")
    assert response.status == 200
    for shown in ("runner.log", "x.html", "sub/", "latest.log"):
        assert shown in response.text, shown
    for hidden in ("passwd", "etc", "up", "stack", "run2", "dangling"):
        assert f'href="{hidden}' not in response.text, hidden
        assert f">{hidden}" not in response.text, hidden
    sub = server.get("/run1/sub/")
    assert sub.status == 200 and "deep.log" in sub.text and "up.log" in sub.text
    assert 'href="root' not in sub.text


def test_assert_run_folder_without_slash_redirected_to_itself(server: Server) -> None:
    response = server.get("/run1")
    assert response.status == 301 and response.headers["location"] == "/run1/"


@pytest.mark.parametrize("name", ["x.html", "x.svg", "x.js", "noext"])
def test_assert_script_files_served_as_text(server: Server, name: str) -> None:
    response = server.get(f"/run1/{name}")
    assert response.status == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/run1/image.png", "/run1/", "/run1/passwd", "/", "/nothing"])
def test_assert_every_response_sandboxed_and_nosniff(server: Server, path: str) -> None:
    response = server.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"].split(";")[0]
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_assert_head_refused_like_get(server: Server) -> None:
    assert server.get("/run1/passwd", method="HEAD").status == 404
    assert server.get("/run1/runner.log", method="HEAD").status == 200


TRAVERSALS = [
    "/../etc/passwd",
    "/../../../../../../etc/passwd",
    "/run1/../../etc/passwd",
    "/run1/./../../etc/passwd",
    "/%2e%2e/etc/passwd",
    "/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
    "/.%2e/.%2e/etc/passwd",
    "/..%2fetc%2fpasswd",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/run1/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/%252e%252e/%252e%252e/etc/passwd",
    "/..%252f..%252f..%252fetc%252fpasswd",
    "/..\\..\\..\\etc\\passwd",
    "/run1/..\\..\\..\\etc\\passwd",
    "/%5c..%5c..%5c..%5cetc%5cpasswd",
    "/run1/..%5c..%5c..%5cetc%5cpasswd",
    "//etc/passwd",
    "///etc/passwd",
    "/etc/passwd",
    "http://127.0.0.1/../../etc/passwd",
    "/run1/runner.log%00/../../../etc/passwd",
    "/%00/../../etc/passwd",
    "/..;/..;/etc/passwd",
    "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/....//....//....//etc/passwd",
    "/run1/..%00/..%00/etc/passwd",
    str(PASSWD.resolve()),
    "/run1//etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_assert_traversal_spellings_answer_404(server: Server, path: str) -> None:
    assert_refused(server.get(path))


def test_assert_raw_nul_byte_refused(server: Server) -> None:
    response = server.get(b"/run1/runner.log\x00/../../../etc/passwd")
    assert response.status in (400, 404)
    assert "root:" not in response.text


def test_assert_fifo_not_opened(server: Server) -> None:
    fifo = server.root / "run1" / "pipe"
    os.mkfifo(fifo)
    try:
        started = time.monotonic()
        assert server.get("/run1/pipe").status == 404
        assert time.monotonic() - started < 5
    finally:
        fifo.unlink()
