"""The HTML pages to browse results (upstream ResultsDB has none): the blueprint ``web``.

Server-rendered with Jinja2 (``templates/``, autoescaped: every stored value is text, never
markup) and usable without JavaScript. Pages, each a constant number of SQL statements:

``/``, ``/results``          results, newest first, filtered by ``item``, ``type``, ``arch``
                             (result data), ``testcase``, ``prefix`` (testcase name prefix),
                             ``outcome``, ``since`` (``START`` or ``START,END``, ISO 8601);
                             comma-separated values mean "any of"; ``page``/``limit``.
``/items/<item>?type=T``     the newest result per testcase and arch, then the history.
``/groups/<uuid>``           a group (a job): its build link (``ref_url``) and its results.
``/testcases/<name>``        a testcase and its results.
``/results/<id>``            one result with all its data, its log and its groups.

One module-level function per page, as in ``api_v2``, reading the app's settings and
database through ``service.current_service`` (see ``service`` for why). Data access is
``reads`` (the only SQL: statements built once per filter shape) plus ``serializers`` (the
v2.0 documents, whose data, groups and testcases are loaded for a whole page at once). A stored
URL becomes a link only when it is ``http://`` or ``https://``; anything else (``javascript:``)
is text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from sqlalchemy import Connection
from werkzeug.datastructures import MultiDict

from . import reads
from .parsers import parse_since
from .queries import MAX_ID, MAX_OFFSET, DataFilter, ResultFilters
from .serializers import Urls, serialize_group
from .service import current_service, request_urls

__all__ = [
    "FILTER_FIELDS",
    "BadInput",
    "Window",
    "http_url",
    "outcome_class",
    "parse_filters",
    "parse_window",
    "web",
]

#: The pages' blueprint; mount it at ``/``.
web = Blueprint("web", __name__, template_folder="templates")

#: Rows per page unless ``limit`` says otherwise.
PAGE_LIMIT = 50
#: The results list's filter fields, in the form's order.
FILTER_FIELDS = ("item", "type", "testcase", "prefix", "outcome", "arch", "since")
#: Result data keys filtered on by the form (exact values).
_DATA_FIELDS = ("item", "type", "arch")
_HTTP_URL = re.compile(r"https?://", re.IGNORECASE)
_OUTCOME_CLASSES = {
    "PASSED": "passed",
    "FAILED": "failed",
    "INFO": "info",
    "NEEDS_INSPECTION": "needs-inspection",
}
# No script runs on these pages, whatever a stored value holds (escaping is the first guard).
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class BadInput(ValueError):
    """A query parameter a page cannot use; answered as a 400 page naming it."""


@dataclass(frozen=True)
class Window:
    """Which page of a list: ``page`` counts from 0, ``limit`` rows each."""

    page: int = 0
    limit: int = PAGE_LIMIT

    @property
    def offset(self) -> int:
        return self.page * self.limit


def outcome_class(outcome: object) -> str:
    """The CSS classes of an outcome: one of a fixed set, whatever the outcome's name."""
    return f"outcome outcome-{_OUTCOME_CLASSES.get(str(outcome), 'other')}"


def http_url(value: object) -> bool:
    """True when ``value`` may become a link: an ``http://`` or ``https://`` URL.

    The test is on the raw string, so a leading blank or an obfuscated scheme (which a
    browser would normalise to ``javascript:``) is never a link.
    """
    return isinstance(value, str) and _HTTP_URL.match(value) is not None


def when(iso: str) -> str:
    """``2024-05-31T12:00:00.500000`` -> ``2024-05-31 12:00:00`` (stored times are UTC)."""
    return iso[:19].replace("T", " ")


def _integer(args: Mapping[str, str], key: str, default: int) -> int:
    raw = args.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadInput(f"{key} must be an integer, got {raw!r}") from None


def parse_window(args: Mapping[str, str], max_limit: int) -> Window:
    """``page`` (below 0 is the first page, as in the API) and ``limit`` (1 to ``max_limit``).

    Raises:
        BadInput: a value that is not an integer, or a limit out of range.
    """
    page = max(_integer(args, "page", 0), 0)
    limit = _integer(args, "limit", PAGE_LIMIT)
    if not 1 <= limit <= max_limit:
        raise BadInput(f"limit must be between 1 and {max_limit}, got {limit}")
    return Window(page, limit)


def _values(args: MultiDict[str, str], key: str) -> tuple[str, ...]:
    """Every non-empty value of ``key``, repeated or comma-separated."""
    return tuple(
        part.strip() for value in args.getlist(key) for part in value.split(",") if part.strip()
    )


def _like(name: str, pattern: str) -> bool:
    """``name`` matches ``pattern``, whose ``*`` is any text (as in the queries' LIKE)."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), name) is not None


def parse_filters(args: MultiDict[str, str], outcomes: Sequence[str]) -> ResultFilters | None:
    """The results list's filters from its query string (see the module docstring).

    Every field narrows the list: ``testcase`` and ``prefix`` together keep the named
    testcases that start with the prefix. Returns None when no result can match.

    Raises:
        BadInput: an unknown outcome or a ``since`` that is not ISO 8601.
    """
    wanted = tuple(o.upper() for o in _values(args, "outcome"))
    unknown = [o for o in wanted if o not in outcomes]
    if unknown:
        raise BadInput(f"unknown outcome {unknown[0]!r}; known: {', '.join(outcomes)}")
    since: tuple[dt.datetime | None, dt.datetime | None] = (None, None)
    raw_since = args.get("since", "").strip()
    if raw_since:
        try:
            since = parse_since(raw_since)
        except ValueError:
            raise BadInput(
                f"since must be a time in ISO 8601 (2024-05-31 or 2024-05-31T12:00), "
                f"or two separated by a comma; got {raw_since!r}"
            ) from None
    names = _values(args, "testcase")
    prefix = args.get("prefix", "").strip()
    likes: tuple[str, ...] = (f"{prefix}*",) if prefix else ()
    if names and prefix:
        # The query ORs names and patterns; the form means AND, so apply the prefix here.
        names = tuple(name for name in names if _like(name, f"{prefix}*"))
        likes = ()
        if not names:
            return None
    return ResultFilters(
        since=since[0],
        until=since[1],
        outcomes=wanted,
        testcases=names,
        testcases_like=likes,
        data=tuple(
            DataFilter(key, _values(args, key)) for key in _DATA_FIELDS if _values(args, key)
        ),
    )


def _page_url(page: int, keep: Sequence[str]) -> str:
    """This page's URL at ``page``, keeping only the ``keep`` query parameters (never an
    arbitrary one: ``url_for`` reads ``_external``/``_scheme``/``_anchor`` as options)."""
    params: dict[str, Any] = {
        key: [value for value in request.args.getlist(key) if value.strip()] for key in keep
    }
    params.update(request.view_args or {})
    params["page"] = page
    return url_for(str(request.endpoint), **params)


@dataclass(frozen=True)
class Pager:
    page: int
    prev: str | None
    next: str | None


def _paged(rows: list[Any], window: Window, keep: Sequence[str]) -> tuple[list[Any], Pager]:
    """The page's rows (``rows`` holds one more when a next page exists) and its links."""
    prev = _page_url(window.page - 1, keep) if window.page > 0 else None
    following = _page_url(window.page + 1, keep) if len(rows) > window.limit else None
    return rows[: window.limit], Pager(window.page, prev, following)


def _page_documents(
    conn: Connection, filters: ResultFilters | None, window: Window, urls: Urls
) -> list[dict[str, Any]]:
    """One page of results, serialized, plus one to tell whether another page follows."""
    if filters is None or window.offset > MAX_OFFSET:
        return []
    return reads.page(conn, filters, urls, offset=window.offset, limit=window.limit + 1)


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def _not_found(what: str) -> tuple[str, int]:
    return _render("error.html", 404, title="Not found", message=f"{what} not found")


@web.errorhandler(BadInput)
def bad_input(err: BadInput) -> tuple[str, int]:
    """A page's bad query (a limit out of range, a page that is no integer): 400, saying
    which. The results page catches its own, to show the form again."""
    return _render("error.html", 400, title="Bad request", message=str(err))


@web.context_processor
def helpers() -> dict[str, Any]:
    return {"outcome_class": outcome_class, "http_url": http_url, "when": when}


@web.after_request
def security_headers(response: Response) -> Response:
    for key, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


@web.route("/")
@web.route("/results")
def results() -> tuple[str, int]:
    service = current_service()
    settings, db = service.settings, service.db
    form = {key: ", ".join(request.args.getlist(key)) for key in FILTER_FIELDS}
    form["limit"] = request.args.get("limit", "")
    try:
        window = parse_window(request.args, settings.max_limit)
        filters = parse_filters(request.args, settings.outcomes)
    except BadInput as err:
        return _render(
            "results.html",
            400,
            form=form,
            outcomes=settings.outcomes,
            error=str(err),
            results=[],
            pager=None,
        )
    with db.read(planned_once=filters is not None and reads.planned_once(filters)) as conn:
        documents, pager = _paged(
            _page_documents(conn, filters, window, request_urls()),
            window,
            (*FILTER_FIELDS, "limit"),
        )
    return _render(
        "results.html",
        form=form,
        outcomes=settings.outcomes,
        error=None,
        results=documents,
        pager=pager,
    )


@web.route("/items/<path:item>", merge_slashes=False)
def item_page(item: str) -> tuple[str, int]:
    service = current_service()
    settings, db = service.settings, service.db
    item_type = request.args.get("type", "").strip()
    window = parse_window(request.args, settings.max_limit)
    data = [DataFilter("item", (item,))]
    if item_type:
        data.append(DataFilter("type", (item_type,)))
    filters = ResultFilters(data=tuple(data))
    links = request_urls()
    with db.read(planned_once=reads.planned_once(filters)) as conn:
        newest = reads.latest(conn, filters, links, ("type", "arch"))
        if not newest:
            return _not_found(f"Results of item {item!r}")
        history, pager = _paged(
            _page_documents(conn, filters, window, links), window, ("type", "limit")
        )
    latest = sorted(
        newest,
        key=lambda doc: (
            doc["testcase"]["name"],
            doc["data"].get("arch", [""]),
            doc["data"].get("type", [""]),
        ),
    )
    return _render(
        "item.html",
        item=item,
        item_type=item_type,
        latest=latest,
        results=history,
        pager=pager,
    )


@web.route("/groups/<path:uuid>", merge_slashes=False)
def group_page(uuid: str) -> tuple[str, int]:
    service = current_service()
    settings, db = service.settings, service.db
    window = parse_window(request.args, settings.max_limit)
    links = request_urls()
    with db.read() as conn:
        row = reads.group_with_count(conn, uuid)
        if row is None:
            return _not_found(f"Group {uuid!r}")
        document = serialize_group(row, row["results_count"], links)
        documents, pager = _paged(
            _page_documents(conn, ResultFilters(groups=(uuid,)), window, links),
            window,
            ("limit",),
        )
    return _render("group.html", group=document, results=documents, pager=pager)


@web.route("/testcases/<path:name>", merge_slashes=False)
def testcase_page(name: str) -> tuple[str, int]:
    service = current_service()
    settings, db = service.settings, service.db
    window = parse_window(request.args, settings.max_limit)
    with db.read() as conn:
        row = reads.testcase_row(conn, name)
        if row is None:
            return _not_found(f"Testcase {name!r}")
        documents, pager = _paged(
            _page_documents(conn, ResultFilters(testcases=(name,)), window, request_urls()),
            window,
            ("limit",),
        )
    return _render("testcase.html", testcase=row, results=documents, pager=pager)


@web.route("/results/<result_id>")
def result_page_view(result_id: str) -> tuple[str, int]:
    # Any id (not just <int:>), so that a bad one gets this 404 page too. isascii: "²"
    # is a digit to isdigit() but not to int().
    if not (result_id.isascii() and result_id.isdigit()) or int(result_id) > MAX_ID:
        return _not_found(f"Result {result_id!r}")
    with current_service().db.read() as conn:
        document = reads.single(conn, int(result_id), request_urls())
        if document is None:
            return _not_found(f"Result {result_id!r}")
        groups = reads.groups_by_uuid(conn, document["groups"])
    return _render("result.html", result=document, groups=groups)
