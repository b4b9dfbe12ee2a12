"""Serve the artifacts directory over HTTP, logs as UTF-8 text (so a log URL opens in a
browser instead of downloading). For one machine; at scale, any web server does this.

    python -m checkline.stack.artifacts_server --directory DIR --port 8011 [--bind 127.0.0.1]
"""

from __future__ import annotations

import argparse
import functools
import http.server

TEXT = "text/plain; charset=utf-8"


class ArtifactsHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 - the base class's own class attribute, extended
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".log": TEXT,
        ".tap": TEXT,
        ".txt": TEXT,
        ".spec": TEXT,
        ".json": "application/json",
        ".yml": TEXT,
        ".yaml": TEXT,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", required=True)
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--bind", default="127.0.0.1")
    args = parser.parse_args()
    handler = functools.partial(ArtifactsHandler, directory=args.directory)
    with http.server.ThreadingHTTPServer((args.bind, args.port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
