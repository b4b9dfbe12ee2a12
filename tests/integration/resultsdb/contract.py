"""Helpers shared by the v2.0 contract tests (test_api_v2_*.py): bodies, posts, checks."""

from __future__ import annotations

from typing import Any

OUTCOMES = [
    "PASSED",
    "INFO",
    "FAILED",
    "NEEDS_INSPECTION",
    "ABORTED",
    "CRASHED",
    "QUEUED",
    "RUNNING",
    "ERROR",
]


OUTCOME_MSG = f"Value error, must be one of: {', '.join(OUTCOMES)}"


def make_result(**overrides: Any) -> dict[str, Any]:
    """A minimal valid POST /results body, with ``overrides`` applied."""
    body: dict[str, Any] = {"outcome": "PASSED", "testcase": "dist.rpmlint"}
    body.update(overrides)
    return body


def post_result(rdb: Any, **overrides: Any) -> dict[str, Any]:
    resp = rdb.post("/results", json=make_result(**overrides))
    assert resp.status_code == 201, resp.text
    return resp.json()


def assert_validation_error(resp: Any, *expected: tuple[list[Any], str, str]) -> list[Any]:
    """Assert a 400 with upstream's validation_error list holding exactly ``expected``.

    ``expected`` are (loc, msg, type) triples, in any order.
    """
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert list(body) == ["validation_error"]
    errors = body["validation_error"]
    assert isinstance(errors, list)
    for error in errors:
        assert {"loc", "msg", "type", "input", "url"} <= set(error), error
        assert error["url"].startswith("https://errors.pydantic.dev/"), error
    got = sorted((error["loc"], error["msg"], error["type"]) for error in errors)
    assert got == sorted((list(loc), msg, kind) for loc, msg, kind in expected)
    return errors
