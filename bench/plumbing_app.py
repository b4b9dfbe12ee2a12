"""The benchmark's plumbing row: a WSGI app that answers every request at once.

Served by gunicorn with ``checkline resultsdb serve``'s settings and timed by the same
client in the same rounds, it is what HTTP costs here before any application code runs: the
part of each figure that no change to the service can remove.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_BODY = b'{"message": "Health check OK", "status": "OK"}'


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))]
    )
    return [_BODY]
