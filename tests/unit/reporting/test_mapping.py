"""Verdicts + job -> ResultsDB result bodies: pure functions over plain dicts."""

from __future__ import annotations

from typing import Any

import pytest

from checkline.reporting.mapping import (
    ORIGINAL_OUTCOME_KEY,
    REPORT_KEY,
    ReportedRun,
    accept_outcomes,
    crashed_body,
    group_body,
    no_result_body,
    result_bodies,
    status_bodies,
)
from checkline.reporting.mapping import (
    testcase_name as name_testcase,  # not 'test*': pytest would collect it
)
from checkline.reporting.verdicts import Problem

JOB = ReportedRun(
    uuid="8d3b3a4c-0000-4000-8000-000000000001",
    testcase="dist.rpmlint",
    item="xchat-0.5-1.fc20",
    item_type="koji_build",
    arch="x86_64",
    job_url="http://buildbot/#/builders/1/builds/7",
)


def make_verdict(**overrides: Any) -> dict[str, Any]:
    verdict: dict[str, Any] = {
        "item": "xchat-0.5-1.fc20",
        "type": "koji_build",
        "outcome": "PASSED",
        "checkname": "rpmlint",
    }
    verdict.update(overrides)
    return verdict


def no_log(_verdict: dict[str, Any]) -> str | None:
    return None


class TestTestcaseName:
    @pytest.mark.parametrize(
        ("checkname", "testcase", "expected"),
        [
            ("rpmlint", "dist.rpmlint", "dist.rpmlint"),
            # dotted: prefixed too (libtaskotron's rule; it used to be kept as "rpmlint.sub")
            ("rpmlint.sub", "dist.rpmlint", "dist.rpmlint.sub"),
            ("dist.rpmlint.sub", "dist.rpmlint", "dist.rpmlint.sub"),  # already "dist.": kept
            ("", "dist.rpmlint", "dist.rpmlint"),  # no checkname: the formula's own
            ("rpmlint", "rpmlint", "rpmlint"),  # no namespace known
            ("", "", "unnamed"),
        ],
    )
    def test_assert_namespace_prefix(self, checkname: str, testcase: str, expected: str) -> None:
        assert name_testcase(checkname, ReportedRun(uuid="u", testcase=testcase)) == expected

    @pytest.mark.parametrize(
        ("checkname", "expected"),
        [
            ("two_three", "dist.two_three"),
            ("python.versions.sub", "dist.python.versions.sub"),
            ("", "dist.python.versions"),
        ],
    )
    def test_assert_recorded_namespace_wins(self, checkname: str, expected: str) -> None:
        """Assert the namespace execution.json records is used, not the testcase's text
        before its last dot (a formula ``python.versions`` in ``dist``: not ``dist.python``)."""
        job = ReportedRun(uuid="u", testcase="dist.python.versions", namespace="dist")
        assert name_testcase(checkname, job) == expected


class TestResultBodies:
    def test_assert_full_body(self) -> None:
        verdict = make_verdict(
            summary="2 errors, 1 warning",
            arch="armhfp",
            artifact="task_output/rpmlint.log",
            details={"output": "lots of text"},
            errors=["E: a", "E: b"],
        )
        [body] = result_bodies([verdict], JOB, lambda v: f"http://logs/{v['artifact']}")
        key = body["data"].pop(REPORT_KEY)
        assert body == {
            "testcase": {"name": "dist.rpmlint"},
            "outcome": "PASSED",
            "note": "2 errors, 1 warning",
            "ref_url": "http://logs/task_output/rpmlint.log",
            "groups": [
                {
                    "uuid": JOB.uuid,
                    "description": "dist.rpmlint xchat-0.5-1.fc20",
                    "ref_url": JOB.job_url,
                }
            ],
            "data": {
                "item": "xchat-0.5-1.fc20",
                "type": "koji_build",
                "arch": "armhfp",  # the verdict's own arch wins over the job's
                "artifact": "task_output/rpmlint.log",
                "errors": ["E: a", "E: b"],  # lists stay lists
            },
        }
        assert len(key) == 32

    def test_assert_job_arch_added_and_no_ref_url_without_log(self) -> None:
        [body] = result_bodies([make_verdict()], JOB, no_log)
        assert body["data"]["arch"] == "x86_64"
        assert "ref_url" not in body
        assert body["note"] == ""

    def test_assert_colon_keys_renamed_mappings_json_none_dropped(self) -> None:
        verdict = make_verdict(**{"a:b": "x", "nested": {"z": 1, "a": [1]}, "gone": None})
        [body] = result_bodies([verdict], JOB, no_log)
        assert body["data"]["a_b"] == "x"
        assert body["data"]["nested"] == '{"a": [1], "z": 1}'
        assert "gone" not in body["data"]

    def test_assert_keys_stable_and_distinct(self) -> None:
        verdicts = [make_verdict(), make_verdict()]  # identical verdicts are two results
        first = result_bodies(verdicts, JOB, no_log)
        again = result_bodies(verdicts, JOB, lambda v: "http://elsewhere/")
        keys = [b["data"][REPORT_KEY] for b in first]
        assert keys == [b["data"][REPORT_KEY] for b in again]  # URLs do not change the key
        assert len(set(keys)) == 2
        other_job = result_bodies(
            verdicts, ReportedRun(uuid="other", testcase="dist.rpmlint"), no_log
        )
        assert not set(keys) & {b["data"][REPORT_KEY] for b in other_job}

    def test_assert_long_note_truncated(self) -> None:
        [body] = result_bodies([make_verdict(summary="x" * 10_000)], JOB, no_log)
        assert len(body["note"]) == 4000


def test_assert_group_without_job_url() -> None:
    assert group_body(ReportedRun(uuid="u1")) == {"uuid": "u1", "description": "u1"}


def test_assert_crashed_body_names_problems() -> None:
    problems = [Problem("test 2", "YAML block does not parse: bad"), Problem("Bail out!", "gone")]
    body = crashed_body(JOB, problems, "results.tap", "http://logs/runner.log", 3)
    assert body["outcome"] == "CRASHED"
    assert body["testcase"] == {"name": "dist.rpmlint"}
    assert body["note"] == (
        "results.tap is malformed (2 problem(s)): test 2: YAML block does not parse: bad; "
        "Bail out!: gone"
    )
    assert body["ref_url"] == "http://logs/runner.log"
    assert {k: v for k, v in body["data"].items() if k != REPORT_KEY} == {
        "item": "xchat-0.5-1.fc20",
        "type": "koji_build",
        "arch": "x86_64",
    }


def test_assert_no_result_body_is_needs_inspection_for_the_job() -> None:
    """Assert a run without a result gives one NEEDS_INSPECTION result for the job's
    testcase, its note saying no result was recorded and why, linking the main log."""
    body = no_result_body(
        JOB, "the check recorded no result: the formula has no resultsdb action", "http://l/x"
    )
    assert {k: v for k, v in body.items() if k != "data"} == {
        "testcase": {"name": "dist.rpmlint"},
        "outcome": "NEEDS_INSPECTION",
        "note": "the check recorded no result: the formula has no resultsdb action",
        "groups": [group_body(JOB)],
        "ref_url": "http://l/x",
    }
    assert body["data"] == {
        "item": "xchat-0.5-1.fc20",
        "type": "koji_build",
        "arch": "x86_64",
        REPORT_KEY: body["data"][REPORT_KEY],
    }
    other = no_result_body(JOB, "results.tap holds no verdict", None)
    assert other["note"] == "the check recorded no result: results.tap holds no verdict"
    assert "ref_url" not in other


def test_assert_status_bodies_keyed_per_outcome() -> None:
    queued = status_bodies(JOB, ["rpmlint", "other.check"], "QUEUED")
    running = status_bodies(JOB, ["rpmlint"], "RUNNING")
    assert [b["testcase"]["name"] for b in queued] == ["dist.rpmlint", "other.check"]
    assert {b["outcome"] for b in queued} == {"QUEUED"}
    assert queued[0]["data"][REPORT_KEY] != running[0]["data"][REPORT_KEY]
    assert status_bodies(JOB, ["rpmlint"], "QUEUED") == queued[:1]


class TestAcceptOutcomes:
    def test_assert_accepted_unchanged(self) -> None:
        bodies = result_bodies([make_verdict(outcome="CRASHED")], JOB, no_log)
        assert accept_outcomes(bodies, ["PASSED", "CRASHED"]) == (bodies, [])

    @pytest.mark.parametrize("outcome", ["CRASHED", "ABORTED"])
    def test_assert_nearest_and_original_kept(self, outcome: str) -> None:
        bodies = result_bodies([make_verdict(outcome=outcome)], JOB, no_log)
        [sent], unsent = accept_outcomes(bodies, ["PASSED", "INFO", "FAILED", "NEEDS_INSPECTION"])
        assert unsent == []
        assert sent["outcome"] == "NEEDS_INSPECTION"
        assert sent["data"][ORIGINAL_OUTCOME_KEY] == outcome
        assert sent["data"][REPORT_KEY] == bodies[0]["data"][REPORT_KEY]
        assert bodies[0]["outcome"] == outcome  # the input is not changed

    def test_assert_early_status_never_faked(self) -> None:
        bodies = status_bodies(JOB, ["rpmlint"], "QUEUED")
        assert accept_outcomes(bodies, ["PASSED", "FAILED"]) == ([], bodies)
