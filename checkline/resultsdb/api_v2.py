"""The ``/api/v2.0`` routes: upstream ResultsDB's v2.0 API, request for request.

Each view parses (``parsers``), reads or writes in one transaction (``queries``, ``store``)
and answers with the v2.0 shapes (``serializers``). Upstream's quirks are kept where clients
may rely on them (unknown query parameters filter result data; ``limit=0`` still links a next
page); its 500s are 4xx here (see ``parsers`` and the README), and so are requests past the
bounds ``parsers`` sets (a body's depth, a filter list's length) and text no database can
store, before any database sees them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, or_, select, text

from . import reads
from .config import Settings
from .db import Database, run_again_if_chosen_to_fail
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
from .publish import OutboxRelay
from .queries import MAX_ID, MAX_OFFSET, ResultFilters, data_filter
from .schema import group, testcase
from .serializers import (
    Urls,
    groups_with_counts,
    result_document,
    serialize_group,
    serialize_testcase,
)
from .store import announce, create_group, create_results, create_testcase, store_one

__all__ = ["Service", "create_api"]

M = TypeVar("M", bound=BaseModel)
Reply = Response | tuple[Response, int]

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


@dataclass(frozen=True)
class Service:
    """What the routes need: the settings and the database (no globals, no current_app)."""

    settings: Settings
    db: Database
    #: Publishes the outbox; None when publishing is off (or driven by the caller, in tests).
    relay: OutboxRelay | None = None


class BadRequest(Exception):
    """Answered as 400 ``{"message": ...}``."""


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


def _validation_error(err: ValidationError) -> tuple[Response, int]:
    return jsonify({"validation_error": _validation_errors(err)}), 400


def _refuse_unstorable(text: str, what: str) -> None:
    problem = unstorable(text)
    if problem is not None:
        raise RequestError(f"{what} {problem}")


def _check_request_text() -> None:
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


def _comma_list(key: str) -> list[str]:
    """Every comma-separated part of every value of ``key``, empty ones kept (as upstream
    reads a data filter: ``item=`` is a filter on the empty value)."""
    return [part for value in request.args.getlist(key) for part in value.split(",")]


def _query_args() -> dict[str, Any]:
    """``request.args`` as flask-pydantic hands it to a model: a list only when repeated."""
    return {key: values[0] if len(values) == 1 else values for key, values in request.args.lists()}


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


def create_api(service: Service) -> Blueprint:
    """The v2.0 blueprint, bound to ``service``."""
    api = Blueprint("api_v2", __name__)
    settings, db = service.settings, service.db
    outcomes = settings.outcomes

    def urls() -> Urls:
        return Urls(request.url_root)

    def parse(model: type[M], data: Any) -> M:
        return model.model_validate(data, context={"outcomes": outcomes})

    def body() -> Any:
        try:
            data = request.get_json()  # 415 for another content type, 400 for malformed JSON
        except RecursionError:
            # Deeper than Python's JSON reader goes (~1,000, less the stack in use): too deep.
            raise RequestError(BODY_TOO_DEEP) from None
        check_body_depth(data)
        if not isinstance(data, dict):
            raise BadRequest("Request body must be a JSON object")
        return data

    def write_body() -> dict[str, Any]:
        """The JSON object of a POST, once its write token (if one is configured) checked."""
        data = body()
        check_write_token(data)
        return dict(data)

    def check_write_token(data: Any = None) -> None:
        token = settings.write_token
        if not token:
            return
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not given and isinstance(data, dict):
            given = data.get("_auth_token") or ""
        if not isinstance(given, str) or not token.matches(given):
            raise PermissionError("a valid write token is required to write")

    def window(query: Any) -> tuple[int, int]:
        if query.limit < 0:
            raise BadRequest("limit must not be negative")
        if query.limit > settings.max_limit:
            raise BadRequest(f"limit must be at most {settings.max_limit}")
        return (query.page * query.limit if query.page > 0 else 0), query.limit

    def paged(query: Any, fetch: Callable[[int, int], list[dict[str, Any]]]) -> dict[str, Any]:
        """A page envelope; ``fetch(offset, limit)`` gives the serialized rows."""
        offset, limit = window(query)
        documents = fetch(offset, limit + 1) if offset <= MAX_OFFSET else []
        documents, prev, following = _page_links(documents, limit)
        return {"prev": prev, "next": following, "data": documents}

    def result_filters(query: ResultsQuery, **override: Any) -> ResultFilters:
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

    def store_results(bodies: list[CreateResultBody]) -> list[dict[str, Any]]:
        """Store results (one transaction) and queue their announcements in it; on
        PostgreSQL, one result with nothing to announce is one statement (``store_one``).
        A transaction PostgreSQL failed to break a deadlock is run again."""
        documents = run_again_if_chosen_to_fail(lambda: _store_results(bodies))
        if service.relay is not None and documents:
            service.relay.notify()
        return documents

    def _store_results(bodies: list[CreateResultBody]) -> list[dict[str, Any]]:
        links = urls()
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

    def exists(statement: Select[Any]) -> bool:
        with db.read() as conn:
            return conn.execute(statement.limit(1)).first() is not None

    def results_reply(filters: ResultFilters, query: ResultsQuery) -> dict[str, Any]:
        def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
            with db.read(planned_once=reads.planned_once(filters)) as conn:
                return reads.page(
                    conn, filters, urls(), offset=offset, limit=limit, sort=query.sort
                )

        return paged(query, fetch)

    # -- landing and health ------------------------------------------------------------

    @api.route("", methods=["GET"])
    @api.route("/", methods=["GET"])
    def landing_page() -> Reply:
        links = urls()
        return jsonify(
            {
                "message": _LANDING_MESSAGE,
                "documentation": "http://docs.resultsdb20.apiary.io/",
                "groups": f"{links.api}/groups",
                "results": f"{links.api}/results",
                "testcases": f"{links.api}/testcases",
                "outcomes": list(outcomes),
            }
        ), 300

    @api.route("/healthcheck", methods=["GET"])
    def healthcheck() -> Reply:
        try:
            with db.read() as conn:
                conn.execute(text("SELECT 1 FROM result LIMIT 0")).all()
        except Exception:  # any failure to reach the database is "unhealthy"
            return _message("Unable to communicate with database", 503)
        return _message("Health check OK", 200)

    # -- groups ------------------------------------------------------------------------

    @api.route("/groups", methods=["GET"])
    def get_groups() -> Reply:
        query = parse(GroupsQuery, _query_args())
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

        def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
            with db.read() as conn:
                return reads.groups(
                    conn,
                    urls(),
                    descriptions=descriptions,
                    likes=likes,
                    uuids=uuids,
                    offset=offset,
                    limit=limit,
                )

        return jsonify(paged(query, fetch))

    @api.route("/groups/<group_id>", methods=["GET"])
    def get_group(group_id: str) -> Reply:
        statement = groups_with_counts().where(group.c.uuid == group_id)
        with db.read() as conn:
            row = conn.execute(statement).mappings().first()
        if row is None:
            return _message("Group not found", 404)
        return jsonify(serialize_group(row, row["results_count"], urls()))

    @api.route("/groups", methods=["POST"])
    def post_group() -> Reply:
        parsed = parse(CreateGroupBody, write_body())
        with db.write() as conn:
            uuid = create_group(conn, parsed)["uuid"]
            row = conn.execute(groups_with_counts().where(group.c.uuid == uuid)).mappings().one()
        document = serialize_group(row, row["results_count"], urls())
        return jsonify(document), 201

    # -- results -----------------------------------------------------------------------

    @api.route("/results", methods=["GET"])
    def get_results() -> Reply:
        query = parse(ResultsQuery, _query_args())
        return jsonify(results_reply(result_filters(query), query))

    @api.route("/results/latest", methods=["GET"])
    def get_results_latest() -> Reply:
        query = parse(ResultsQuery, _query_args())
        # Upstream ignores outcome, page, limit and _sort here.
        filters = result_filters(query, outcomes=())
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
        with db.read(planned_once=reads.planned_once(filters, latest=True)) as conn:
            documents = reads.latest(conn, filters, urls(), distinct_on)
        return jsonify({"data": documents})

    @api.route("/groups/<group_id>/results", methods=["GET"])
    def get_group_results(group_id: str) -> Reply:
        query = parse(ResultsQuery, _query_args())
        reply = results_reply(result_filters(query, groups=(group_id,)), query)
        # An empty page needs one more look: is it "no results" or "no such group"?
        if not reply["data"] and not exists(select(group.c.id).where(group.c.uuid == group_id)):
            return _message(f"Group not found: {group_id}", 404)
        return jsonify(reply)

    @api.route("/testcases/<path:testcase_name>/results", methods=["GET"])
    def get_testcase_results(testcase_name: str) -> Reply:
        query = parse(ResultsQuery, _query_args())
        reply = results_reply(result_filters(query, testcases=(testcase_name,)), query)
        if not reply["data"] and not exists(
            select(testcase.c.id).where(testcase.c.name == testcase_name)
        ):
            return _message("Testcase not found", 404)
        return jsonify(reply)

    @api.route("/results/<result_id>", methods=["GET"])
    def get_result(result_id: str) -> Reply:
        if not (result_id.isascii() and result_id.isdigit()) or int(result_id) > MAX_ID:
            return _message("Result not found", 404)
        with db.read() as conn:
            found = reads.single(conn, int(result_id), urls())
        if found is None:
            return _message("Result not found", 404)
        return jsonify(found)

    @api.route("/results", methods=["POST"])
    def post_result() -> Reply:
        parsed = parse(CreateResultBody, write_body())
        colons = [key for key in (parsed.data or {}) if ":" in key]
        if colons:
            return _message(f"Colon not allowed in key name: {colons!r}", 400)
        return jsonify(store_results([parsed])[0]), 201

    @api.route("/results/bulk", methods=["POST"])
    def post_results_bulk() -> Reply:
        """Beyond upstream: ``{"results": [<POST /results bodies>]}`` stored in one
        transaction (all or none); answers ``{"data": [<results>]}`` in the same order."""
        items = write_body().get("results")
        if not isinstance(items, list):
            raise BadRequest('Request body must be {"results": [...]}')
        parsed, errors = [], []
        for index, item in enumerate(items):
            try:
                one = parse(CreateResultBody, item)
            except ValidationError as err:
                errors.extend(_validation_errors(err, ("results", index)))
                continue
            colons = [key for key in (one.data or {}) if ":" in key]
            if colons:
                raise BadRequest(f"results[{index}]: Colon not allowed in key name: {colons!r}")
            parsed.append(one)
        if errors:
            return jsonify({"validation_error": errors}), 400
        return jsonify({"data": store_results(parsed)}), 201

    # -- testcases ---------------------------------------------------------------------

    @api.route("/testcases", methods=["GET"])
    def get_testcases() -> Reply:
        query = parse(TestcasesQuery, _query_args())
        statement = select(testcase).order_by(testcase.c.name.asc())
        if query.name:
            names = [n.strip() for n in query.name.split(",") if n.strip()]
            check_list("name", names)
            if names:
                statement = statement.where(or_(*(testcase.c.name == n for n in names)))
        elif query.name_like:
            likes = [n.strip().replace("*", "%") for n in query.name_like.split(",") if n.strip()]
            check_list("name:like", likes)
            if likes:
                statement = statement.where(or_(*(testcase.c.name.like(p) for p in likes)))

        def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
            with db.read() as conn:
                rows = conn.execute(statement.offset(offset).limit(limit)).mappings().all()
            links = urls()
            return [serialize_testcase(row, links) for row in rows]

        return jsonify(paged(query, fetch))

    @api.route("/testcases/<path:testcase_name>", methods=["GET"])
    def get_testcase(testcase_name: str) -> Reply:
        with db.read() as conn:
            row = (
                conn.execute(select(testcase).where(testcase.c.name == testcase_name))
                .mappings()
                .first()
            )
        if row is None:
            return _message("Testcase not found", 404)
        return jsonify(serialize_testcase(row, urls()))

    @api.route("/testcases", methods=["POST"])
    def post_testcase() -> Reply:
        parsed = parse(CreateTestcaseBody, write_body())
        with db.write() as conn:
            row = create_testcase(conn, parsed)
        return jsonify(serialize_testcase(row, urls())), 201

    @api.before_request
    def check_request_text() -> None:
        _check_request_text()

    @api.errorhandler(ValidationError)
    def on_validation_error(err: ValidationError) -> Reply:
        return _validation_error(err)

    @api.errorhandler(BadRequest)
    @api.errorhandler(RequestError)
    def on_bad_request(err: BadRequest | RequestError) -> Reply:
        return _message(str(err), 400)

    @api.errorhandler(PermissionError)
    def on_unauthorized(err: PermissionError) -> Reply:
        return _message(str(err), 401)

    return api
