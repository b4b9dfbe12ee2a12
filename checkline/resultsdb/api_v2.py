"""The ``/api/v2.0`` routes: upstream ResultsDB's v2.0 API, request for request.

``api`` is a module-level blueprint with one function per endpoint, as upstream writes it;
the app's settings and database come from ``service.current_service`` (see ``service`` for
why). Each view parses (``parsers``), reads or writes in one transaction through the data
layer (``reads``, ``store``: the only modules with SQL) and answers with the v2.0 shapes
(``serializers``). Upstream's quirks are kept where clients may rely on them (unknown query
parameters filter result data; ``limit=0`` still links a next page); its 500s are 4xx here
(see ``parsers`` and the README), and so are requests past the bounds ``parsers`` sets (a
body's depth, a filter list's length) and text no database can store, before any database
sees them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError

from . import reads
from .db import run_again_if_chosen_to_fail
from .parsers import (
    BODY_TOO_DEEP,
    MAX_DISTINCT_ON,
    RESULTS_RESERVED,
    CreateGroupBody,
    CreateResultBody,
    CreateTestcaseBody,
    GroupsQuery,
    RequestError,
    ResultsQuery,
    TestcasesQuery,
    check_body_depth,
    check_data_filters,
    check_list,
    unstorable,
)
from .queries import MAX_ID, MAX_OFFSET, ResultFilters, data_filter
from .serializers import result_document, serialize_group, serialize_testcase
from .service import current_service, request_urls
from .store import announce, create_group_counted, create_results, create_testcase, store_one

__all__ = ["api"]

M = TypeVar("M", bound=BaseModel)
Reply = Response | tuple[Response, int]

#: The v2.0 blueprint; mount it at ``/api/v2.0``.
api = Blueprint("api_v2", __name__)

_VALIDATION_KEYS = ("input", "loc", "msg", "type", "url")
_RE_PAGE = re.compile(r"([?&])page=([0-9]+)")
_RE_CALLBACK = re.compile(r"([?&])callback=[^&]*&?")
_RE_AMPERSANDS = re.compile(r"&+")
_PLACEHOLDER = "[!@#$%^&*PLACEHOLDER*&^%$#@!]"
#: Path parts the routes look up as text, as a message names them.
_PATH_TEXT = {"group_id": "Group uuid", "testcase_name": "Testcase name"}
_LANDING_MESSAGE = (
    "Everything is fine. But choose wisely, for while the true Grail will bring you life, "
    "the false Grail will take it from you."
)


class BadRequest(Exception):
    """Answered as 400 ``{"message": ...}``."""


# -- requests: parsing, checking, paging ------------------------------------------------


def _message(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"message": message}), status


def _validation_errors(
    err: ValidationError, prefix: tuple[str | int, ...] = ()
) -> list[dict[str, Any]]:
    """Upstream's ``validation_error`` items, their ``loc`` under ``prefix`` (bulk bodies)."""
    errors = []
    for error in err.errors(include_context=False):
        item: dict[str, Any] = {key: error[key] for key in _VALIDATION_KEYS if key in error}  # type: ignore[literal-required]
        item["loc"] = (*prefix, *error["loc"])
        errors.append(item)
    return errors


def _refuse_unstorable(text: str, what: str) -> None:
    problem = unstorable(text)
    if problem is not None:
        raise RequestError(f"{what} {problem}")


def _comma_list(key: str) -> list[str]:
    """Every comma-separated part of every value of ``key``, empty ones kept (as upstream
    reads a data filter: ``item=`` is a filter on the empty value)."""
    return [part for value in request.args.getlist(key) for part in value.split(",")]


def _query_args() -> dict[str, Any]:
    """``request.args`` as flask-pydantic hands it to a model: a list only when repeated."""
    return {key: values[0] if len(values) == 1 else values for key, values in request.args.lists()}


def _parse(model: type[M], data: Any) -> M:
    """``data`` as ``model``, outcomes checked against the configured ones."""
    return model.model_validate(data, context={"outcomes": current_service().settings.outcomes})


def _body() -> Any:
    try:
        data = request.get_json()  # 415 for another content type, 400 for malformed JSON
    except RecursionError:
        # Deeper than Python's JSON reader goes (~1,000, less the stack in use): too deep.
        raise RequestError(BODY_TOO_DEEP) from None
    check_body_depth(data)
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object")
    return data


def _check_write_token(data: Any = None) -> None:
    """Raises PermissionError (401) unless the request carries the write token, when one is
    configured: as a bearer token, or (as upstream's clients send it) ``_auth_token``."""
    token = current_service().settings.write_token
    if not token:
        return
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not given and isinstance(data, dict):
        given = data.get("_auth_token") or ""
    if not isinstance(given, str) or not token.matches(given):
        raise PermissionError("a valid write token is required to write")


def _write_body() -> dict[str, Any]:
    """The JSON object of a POST, once its write token (if one is configured) checked."""
    data = _body()
    _check_write_token(data)
    return dict(data)


def _page_links(rows: list[Any], limit: int) -> tuple[list[Any], str | None, str | None]:
    """Upstream's prev/next: the request URL with its ``page=`` replaced (or added)."""
    url = request.url
    match = _RE_PAGE.search(url)
    if match is None:
        base = f"{url}{'&' if '?' in url else '?'}page={_PLACEHOLDER}"
        page = 0
    else:
        base = _RE_PAGE.sub(f"{match.group(1)}page={_PLACEHOLDER}", url)
        page = int(match.group(2))
    base = _RE_AMPERSANDS.sub("&", _RE_CALLBACK.sub(r"\1", base))
    prev = base.replace(_PLACEHOLDER, str(page - 1)) if page > 0 else None
    following = base.replace(_PLACEHOLDER, str(page + 1)) if len(rows) > limit else None
    return rows[:limit], prev, following


def _window(query: Any) -> tuple[int, int]:
    """The (offset, limit) of a query's ``page`` and ``limit``, the limit within bounds."""
    max_limit = current_service().settings.max_limit
    if query.limit < 0:
        raise BadRequest("limit must not be negative")
    if query.limit > max_limit:
        raise BadRequest(f"limit must be at most {max_limit}")
    return (query.page * query.limit if query.page > 0 else 0), query.limit


def _paged(query: Any, fetch: Callable[[int, int], list[dict[str, Any]]]) -> dict[str, Any]:
    """A page envelope; ``fetch(offset, limit)`` gives the serialized rows (one more than
    the page holds when a next page exists). Past ``MAX_OFFSET`` no database is asked."""
    offset, limit = _window(query)
    documents = fetch(offset, limit + 1) if offset <= MAX_OFFSET else []
    documents, prev, following = _page_links(documents, limit)
    return {"prev": prev, "next": following, "data": documents}


def _result_filters(query: ResultsQuery, **override: Any) -> ResultFilters:
    """The filters of a results query, ``override`` replacing some (the path's group or
    testcase). Raises RequestError when a list, or the number of data filters, is past
    its bound (``parsers``): each is a term or a subquery of one SQL statement."""
    keys = [key for key in request.args if key not in RESULTS_RESERVED]
    check_data_filters(keys)
    data = tuple(data_filter(key, _comma_list(key)) for key in keys)
    for key, wanted in zip(keys, data, strict=True):
        check_list(key, wanted.values)
    for name, values in (
        ("outcome", query.outcome),
        ("groups", query.groups),
        ("testcases", query.testcases),
        ("testcases:like", query.testcases_like),
    ):
        check_list(name, values or ())
    filters = ResultFilters(
        since=query.since[0],
        until=query.since[1],
        outcomes=tuple(query.outcome or ()),
        groups=tuple(query.groups or ()),
        testcases=tuple(query.testcases or ()),
        testcases_like=tuple(query.testcases_like or ()),
        data=data,
    )
    return replace(filters, **override)


def _results_reply(filters: ResultFilters, query: ResultsQuery) -> dict[str, Any]:
    """A page of results matching ``filters``, paged and sorted as ``query`` says."""
    db = current_service().db

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        with db.read(planned_once=reads.planned_once(filters)) as conn:
            return reads.page(
                conn, filters, request_urls(), offset=offset, limit=limit, sort=query.sort
            )

    return _paged(query, fetch)


def _colons(parsed: CreateResultBody) -> list[str]:
    """The data keys with a colon, which upstream refuses (a colon is a filter's modifier)."""
    return [key for key in (parsed.data or {}) if ":" in key]


def _store_results(bodies: list[CreateResultBody]) -> list[dict[str, Any]]:
    """Store results (one transaction) and queue their announcements in it; on
    PostgreSQL, one result with nothing to announce is one statement (``store_one``).
    A transaction PostgreSQL failed to break a deadlock is run again."""
    documents = run_again_if_chosen_to_fail(lambda: _store_results_once(bodies))
    relay = current_service().relay
    if relay is not None and documents:
        relay.notify()
    return documents


def _store_results_once(bodies: list[CreateResultBody]) -> list[dict[str, Any]]:
    """One try of ``_store_results``: the documents of the stored results."""
    service = current_service()
    settings, db = service.settings, service.db
    links = request_urls()
    if len(bodies) == 1 and db.dialect == "postgresql" and not settings.publish:
        # Nothing to announce: the result is one statement, with no transaction around it.
        with db.write_one() as conn:
            one = store_one(conn, bodies[0])
        if one is not None:
            return [result_document(*one, links)]
    with db.write() as conn:
        stored = create_results(conn, bodies)
        documents = [result_document(*one, links) for one in stored]
        if settings.publish:
            announce(conn, stored, documents, changed_only=settings.publish_changed_only)
    return documents


# -- landing and health ------------------------------------------------------------------


@api.route("", methods=["GET"])
@api.route("/", methods=["GET"])
def landing_page() -> Reply:
    links = request_urls()
    return jsonify(
        {
            "message": _LANDING_MESSAGE,
            "documentation": "http://docs.resultsdb20.apiary.io/",
            "groups": f"{links.api}/groups",
            "results": f"{links.api}/results",
            "testcases": f"{links.api}/testcases",
            "outcomes": list(current_service().settings.outcomes),
        }
    ), 300


@api.route("/healthcheck", methods=["GET"])
def healthcheck() -> Reply:
    try:
        with current_service().db.read() as conn:
            reads.ping(conn)
    except Exception:  # any failure to reach the database is "unhealthy"
        return _message("Unable to communicate with database", 503)
    return _message("Health check OK", 200)


# -- groups ------------------------------------------------------------------------------


@api.route("/groups", methods=["GET"])
def get_groups() -> Reply:
    query = _parse(GroupsQuery, _query_args())
    descriptions: list[str] = []
    likes: list[str] = []
    if query.description:
        descriptions = [d for d in query.description.split(",") if d.strip()]
    elif query.description_like:
        likes = [d.replace("*", "%") for d in query.description_like.split(",") if d.strip()]
    uuids = query.uuid.split(",") if query.uuid else []
    check_list("description", descriptions)
    check_list("description:like", likes)
    check_list("uuid", uuids)
    db = current_service().db

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        with db.read() as conn:
            return reads.groups(
                conn,
                request_urls(),
                descriptions=descriptions,
                likes=likes,
                uuids=uuids,
                offset=offset,
                limit=limit,
            )

    return jsonify(_paged(query, fetch))


@api.route("/groups/<group_id>", methods=["GET"])
def get_group(group_id: str) -> Reply:
    with current_service().db.read() as conn:
        row = reads.group_with_count(conn, group_id)
    if row is None:
        return _message("Group not found", 404)
    return jsonify(serialize_group(row, row["results_count"], request_urls()))


@api.route("/groups", methods=["POST"])
def post_group() -> Reply:
    parsed = _parse(CreateGroupBody, _write_body())
    with current_service().db.write() as conn:
        row = create_group_counted(conn, parsed)
    return jsonify(serialize_group(row, row["results_count"], request_urls())), 201


# -- results -----------------------------------------------------------------------------


@api.route("/results", methods=["GET"])
def get_results() -> Reply:
    query = _parse(ResultsQuery, _query_args())
    return jsonify(_results_reply(_result_filters(query), query))


@api.route("/results/latest", methods=["GET"])
def get_results_latest() -> Reply:
    query = _parse(ResultsQuery, _query_args())
    # Upstream ignores outcome, page, limit and _sort here.
    filters = _result_filters(query, outcomes=())
    distinct_on = tuple(query.distinct_on or ())
    check_list("_distinct_on", distinct_on, MAX_DISTINCT_ON)
    if distinct_on and not any(
        (
            filters.testcases,
            filters.testcases_like,
            filters.since,
            filters.until,
            filters.groups,
            filters.data,
        )
    ):
        return _message("Please, provide at least one filter beside '_distinct_on'", 400)
    with current_service().db.read(planned_once=reads.planned_once(filters, latest=True)) as conn:
        documents = reads.latest(conn, filters, request_urls(), distinct_on)
    return jsonify({"data": documents})


@api.route("/groups/<group_id>/results", methods=["GET"])
def get_group_results(group_id: str) -> Reply:
    query = _parse(ResultsQuery, _query_args())
    reply = _results_reply(_result_filters(query, groups=(group_id,)), query)
    if not reply["data"]:
        # An empty page needs one more look: is it "no results" or "no such group"?
        with current_service().db.read() as conn:
            if not reads.group_exists(conn, group_id):
                return _message(f"Group not found: {group_id}", 404)
    return jsonify(reply)


@api.route("/testcases/<path:testcase_name>/results", methods=["GET"])
def get_testcase_results(testcase_name: str) -> Reply:
    query = _parse(ResultsQuery, _query_args())
    reply = _results_reply(_result_filters(query, testcases=(testcase_name,)), query)
    if not reply["data"]:
        with current_service().db.read() as conn:
            if not reads.testcase_exists(conn, testcase_name):
                return _message("Testcase not found", 404)
    return jsonify(reply)


@api.route("/results/<result_id>", methods=["GET"])
def get_result(result_id: str) -> Reply:
    if not (result_id.isascii() and result_id.isdigit()) or int(result_id) > MAX_ID:
        return _message("Result not found", 404)
    with current_service().db.read() as conn:
        found = reads.single(conn, int(result_id), request_urls())
    if found is None:
        return _message("Result not found", 404)
    return jsonify(found)


@api.route("/results", methods=["POST"])
def post_result() -> Reply:
    parsed = _parse(CreateResultBody, _write_body())
    colons = _colons(parsed)
    if colons:
        return _message(f"Colon not allowed in key name: {colons!r}", 400)
    return jsonify(_store_results([parsed])[0]), 201


@api.route("/results/bulk", methods=["POST"])
def post_results_bulk() -> Reply:
    """Beyond upstream: ``{"results": [<POST /results bodies>]}`` stored in one
    transaction (all or none); answers ``{"data": [<results>]}`` in the same order."""
    items = _write_body().get("results")
    if not isinstance(items, list):
        raise BadRequest('Request body must be {"results": [...]}')
    parsed, errors = [], []
    for index, item in enumerate(items):
        try:
            one = _parse(CreateResultBody, item)
        except ValidationError as err:
            errors.extend(_validation_errors(err, ("results", index)))
            continue
        colons = _colons(one)
        if colons:
            raise BadRequest(f"results[{index}]: Colon not allowed in key name: {colons!r}")
        parsed.append(one)
    if errors:
        return jsonify({"validation_error": errors}), 400
    return jsonify({"data": _store_results(parsed)}), 201


# -- testcases ---------------------------------------------------------------------------


@api.route("/testcases", methods=["GET"])
def get_testcases() -> Reply:
    query = _parse(TestcasesQuery, _query_args())
    names: list[str] = []
    likes: list[str] = []
    if query.name:
        names = [n.strip() for n in query.name.split(",") if n.strip()]
        check_list("name", names)
    elif query.name_like:
        likes = [n.strip().replace("*", "%") for n in query.name_like.split(",") if n.strip()]
        check_list("name:like", likes)
    db = current_service().db

    def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        with db.read() as conn:
            rows = reads.testcases(conn, names=names, likes=likes, offset=offset, limit=limit)
        links = request_urls()
        return [serialize_testcase(row, links) for row in rows]

    return jsonify(_paged(query, fetch))


@api.route("/testcases/<path:testcase_name>", methods=["GET"])
def get_testcase(testcase_name: str) -> Reply:
    with current_service().db.read() as conn:
        row = reads.testcase_row(conn, testcase_name)
    if row is None:
        return _message("Testcase not found", 404)
    return jsonify(serialize_testcase(row, request_urls()))


@api.route("/testcases", methods=["POST"])
def post_testcase() -> Reply:
    parsed = _parse(CreateTestcaseBody, _write_body())
    with current_service().db.write() as conn:
        row = create_testcase(conn, parsed)
    return jsonify(serialize_testcase(row, request_urls())), 201


# -- every request -----------------------------------------------------------------------


@api.before_request
def check_request_text() -> None:
    """Refuse a NUL in a query parameter (name or value) or in a path part that is looked up:
    PostgreSQL would refuse it (a 400 naming no parameter), SQLite match nothing; either
    way the request is wrong, so it is said before any database sees it. (No lone surrogate
    gets here: werkzeug decodes URLs as UTF-8, replacing what is not.)"""
    for key, value in request.args.items(multi=True):
        _refuse_unstorable(key, f"Query parameter name {key!r}")
        _refuse_unstorable(value, f"Query parameter {key!r}")
    for name, value in (request.view_args or {}).items():
        if name in _PATH_TEXT:
            _refuse_unstorable(value, f"{_PATH_TEXT[name]} in the path")


@api.errorhandler(ValidationError)
def on_validation_error(err: ValidationError) -> Reply:
    return jsonify({"validation_error": _validation_errors(err)}), 400


@api.errorhandler(BadRequest)
@api.errorhandler(RequestError)
def on_bad_request(err: BadRequest | RequestError) -> Reply:
    return _message(str(err), 400)


@api.errorhandler(PermissionError)
def on_unauthorized(err: PermissionError) -> Reply:
    return _message(str(err), 401)
