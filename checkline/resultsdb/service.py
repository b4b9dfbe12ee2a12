"""What the views need from the app they run in: ``Service``, stored once per app.

The API (``api_v2``) and the pages (``web``) are module-level blueprints with one function
per endpoint, as upstream ResultsDB writes them. Their collaborators (settings, database,
outbox relay) differ per app (the tests build dozens of apps in one process), so they can be
neither module globals nor closure variables: ``install`` stores them on the app as one typed
object (``app.extensions``), and ``current_service`` is the one place a view reads them
from. This keeps each endpoint a plain function, typed, without a ``current_app.config``
lookup (and its string keys) in every view; class-based views would do the same with a
class and an ``as_view`` call per endpoint, for no gain here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request

from .config import ResultsDBSettings
from .db import Database
from .publish import OutboxRelay
from .serializers import Urls

__all__ = ["Service", "current_service", "install", "request_urls"]

#: The key of the app's ``Service`` in ``app.extensions``.
EXTENSION = "checkline_resultsdb"


@dataclass(frozen=True)
class Service:
    """What the routes need: the settings and the database (no globals)."""

    settings: ResultsDBSettings
    db: Database
    #: Publishes the outbox; None when publishing is off (or driven by the caller, in tests).
    relay: OutboxRelay | None = None


def install(app: Flask, service: Service) -> None:
    """Make ``service`` the one ``current_service`` returns in ``app``'s requests."""
    app.extensions[EXTENSION] = service


def current_service() -> Service:
    """The ``Service`` of the app handling the current request (see ``install``)."""
    service: Service = current_app.extensions[EXTENSION]
    return service


def request_urls() -> Urls:
    """Absolute URLs of the documents, under the current request's root (proxies included)."""
    return Urls(request.url_root)
