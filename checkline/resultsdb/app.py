"""``create_app(settings)``: the WSGI application (API v2.0, and the pages in ``web``).

Both are module-level blueprints; what they need of this app (settings, database, relay) is
its ``service.Service``, installed here once.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge

from .api_v2 import api
from .config import ResultsDBSettings
from .db import Database
from .publish import FedoraMessagingPublisher, OutboxRelay, Publisher
from .service import Service, install
from .web import web

__all__ = ["create_app"]

#: Largest request body accepted (upstream has none; a huge body is a 413 here).
MAX_BODY_BYTES = 16 * 1024 * 1024


class ReverseProxied:
    """Honour the proxy headers upstream honours: X-Script-Name (mount point),
    X-Forwarded-Host and X-Forwarded-Scheme, so absolute URLs point at the proxy."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        script_name = environ.get("HTTP_X_SCRIPT_NAME", "")
        if script_name:
            environ["SCRIPT_NAME"] = script_name
            path_info = environ.get("PATH_INFO", "")
            if path_info.startswith(script_name):
                environ["PATH_INFO"] = path_info[len(script_name) :]
        host = environ.get("HTTP_X_FORWARDED_HOST", "")
        if host:
            environ["HTTP_HOST"] = host
        scheme = environ.get("HTTP_X_FORWARDED_SCHEME", "")
        if scheme:
            environ["wsgi.url_scheme"] = scheme
        return self.app(environ, start_response)


def _json(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"message": message}), status


def create_app(
    settings: ResultsDBSettings,
    *,
    database: Database | None = None,
    publisher: Publisher | None = None,
    start_relay: bool = True,
) -> Flask:
    """Build the app for ``settings``.

    Args:
        database: share one (tests); else one is made from ``settings.db``.
        publisher: where announcements go when ``settings.publish`` is on (default:
            fedora-messaging); the relay that feeds it runs in a thread unless
            ``start_relay`` is false (then ``app.extensions["outbox_relay"].drain_once()``).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.wsgi_app = ReverseProxied(app.wsgi_app)  # type: ignore[method-assign]
    db = database or Database(settings.db)
    relay = None
    if settings.publish:
        relay = OutboxRelay(db, publisher or FedoraMessagingPublisher())
        app.extensions["outbox_relay"] = relay
        if start_relay:
            relay.start()
    install(app, Service(settings, db, relay))
    app.register_blueprint(api, url_prefix="/api/v2.0")
    app.register_blueprint(web)

    @app.errorhandler(BadRequest)
    def bad_request(_err: BadRequest) -> tuple[Response, int]:
        return _json("Bad request", 400)

    @app.errorhandler(NotFound)
    def not_found(_err: NotFound) -> tuple[Response, int]:
        return _json("Not found", 404)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_err: RequestEntityTooLarge) -> tuple[Response, int]:
        return _json(f"Request body too large (at most {MAX_BODY_BYTES} bytes)", 413)

    @app.errorhandler(DataError)
    def data_error(err: DataError) -> tuple[Response, int]:
        # e.g. a NUL character, which PostgreSQL text cannot hold: bad input, not a crash.
        detail = str(err.orig).splitlines()[0] if err.orig else "invalid value"
        return _json(f"Value rejected by the database: {detail}", 400)

    @app.errorhandler(OperationalError)
    def unavailable(_err: OperationalError) -> tuple[Response, int]:
        app.logger.exception("database error")
        return _json("Unable to communicate with database", 503)

    @app.errorhandler(500)
    def internal_error(_err: Any) -> tuple[Response, int]:
        return _json("Internal Server Error", 500)

    return app
