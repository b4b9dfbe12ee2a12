"""HTTP contract of the ResultsDB API v2.0: POST /results and GET /results/<id>.

Written from upstream ResultsDB 2.2.0's API v2.0 documentation plus our
documented deviations; every test runs against a real server on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from contract import OUTCOME_MSG, OUTCOMES, assert_validation_error, make_result, post_result

TIME_MSG = (
    "Value error, Expected timestamp in milliseconds or datetime "
    "(in format YYYY-MM-DDTHH:MM:SS.ffffff), got {!r}"
)
# 2024-05-31T12:00:00Z in milliseconds since the epoch.
NOON_MS = 1717156800000


# ----------------------------------------------------------------------------- helpers


def assert_nothing_stored(rdb: Any) -> None:
    assert rdb.get("/results").json()["data"] == []
    assert rdb.get("/testcases").json()["data"] == []
    assert rdb.get("/groups").json()["data"] == []


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# ----------------------------------------------------------------------------- POST /results


class TestCreateResultShape:
    def test_full_result(self, rdb: Any) -> None:
        """Assert a full body is stored and serialized exactly as upstream does."""
        body = {
            "outcome": "PASSED",
            "testcase": {"name": "dist.rpmlint", "ref_url": "https://docs/rpmlint"},
            "groups": ["27f94e36-62ec-11e6-83fd-525400d7d6a4"],
            "note": "0 errors",
            "ref_url": "https://ci/log",
            "submit_time": "2024-05-31T12:00:00.123456",
            "data": {
                "item": "pkg-1.2-3.fc40",
                "type": "koji_build",
                "arch": ["x86_64", "noarch"],
            },
        }
        resp = rdb.post("/results", json=body)
        assert resp.status_code == 201
        expected = {
            "id": 1,
            "outcome": "PASSED",
            "note": "0 errors",
            "ref_url": "https://ci/log",
            "submit_time": "2024-05-31T12:00:00.123456",
            "testcase": {
                "name": "dist.rpmlint",
                "ref_url": "https://docs/rpmlint",
                "href": f"{rdb.api}/testcases/dist.rpmlint",
            },
            "groups": ["27f94e36-62ec-11e6-83fd-525400d7d6a4"],
            "data": {
                "item": ["pkg-1.2-3.fc40"],
                "type": ["koji_build"],
                "arch": ["x86_64", "noarch"],
            },
            "href": f"{rdb.api}/results/1",
        }
        assert resp.json() == expected
        got = rdb.get("/results/1")
        assert got.status_code == 200
        assert got.json() == expected
        assert rdb.get("/results").json() == {"prev": None, "next": None, "data": [expected]}

    def test_minimal_result(self, rdb: Any) -> None:
        """Assert defaults: null note/ref_url, no groups, empty data, submit_time now (UTC)."""
        before = utcnow() - dt.timedelta(seconds=5)
        resp = rdb.post("/results", json={"outcome": "FAILED", "testcase": "t1"})
        after = utcnow() + dt.timedelta(seconds=5)
        assert resp.status_code == 201
        body = resp.json()
        submit_time = body.pop("submit_time")
        assert body == {
            "id": 1,
            "outcome": "FAILED",
            "note": None,
            "ref_url": None,
            "testcase": {"name": "t1", "ref_url": None, "href": f"{rdb.api}/testcases/t1"},
            "groups": [],
            "data": {},
            "href": f"{rdb.api}/results/1",
        }
        parsed = dt.datetime.fromisoformat(submit_time)
        assert parsed.tzinfo is None
        assert before <= parsed <= after

    def test_ids_increase(self, rdb: Any) -> None:
        """Assert each created result gets the next id and its own href."""
        for expected_id in (1, 2, 3):
            result = post_result(rdb)
            assert result["id"] == expected_id
            assert result["href"] == f"{rdb.api}/results/{expected_id}"

    def test_empty_note_and_ref_url_kept(self, rdb: Any) -> None:
        """Assert note and ref_url are stored verbatim, "" staying ""."""
        result = post_result(rdb, note="", ref_url="")
        assert result["note"] == ""
        assert result["ref_url"] == ""
        assert rdb.get("/results/1").json()["note"] == ""

    def test_unknown_fields_ignored(self, rdb: Any) -> None:
        """Assert unknown fields such as the client's _auth_token are ignored."""
        resp = rdb.post("/results", json=make_result(_auth_token=None, whatever={"x": 1}))
        assert resp.status_code == 201
        assert set(resp.json()) == {
            "id",
            "outcome",
            "note",
            "ref_url",
            "submit_time",
            "testcase",
            "groups",
            "data",
            "href",
        }


class TestCreateResultOutcome:
    @pytest.mark.parametrize("outcome", OUTCOMES)
    def test_every_outcome_accepted(self, rdb: Any, outcome: str) -> None:
        """Assert every configured outcome is accepted, case-insensitively."""
        assert post_result(rdb, outcome=outcome.lower())["outcome"] == outcome

    def test_outcome_stripped_and_uppercased(self, rdb: Any) -> None:
        """Assert the outcome is whitespace-stripped and upper-cased before storing."""
        assert post_result(rdb, outcome="  needs_Inspection\n")["outcome"] == "NEEDS_INSPECTION"
        assert rdb.get("/results/1").json()["outcome"] == "NEEDS_INSPECTION"

    @pytest.mark.parametrize("outcome", ["BOGUS", "pass", "AMAZING"])
    def test_invalid_outcome(self, rdb: Any, outcome: str) -> None:
        """Assert an unknown outcome answers 400 value_error listing the valid outcomes."""
        resp = rdb.post("/results", json=make_result(outcome=outcome))
        assert_validation_error(resp, (["outcome"], OUTCOME_MSG, "value_error"))
        assert_nothing_stored(rdb)

    @pytest.mark.parametrize("outcome", ["", "   "])
    def test_empty_outcome(self, rdb: Any, outcome: str) -> None:
        """Assert an empty (after stripping) outcome answers 400 string_too_short."""
        resp = rdb.post("/results", json=make_result(outcome=outcome))
        assert_validation_error(
            resp, (["outcome"], "String should have at least 1 character", "string_too_short")
        )

    def test_missing_outcome(self, rdb: Any) -> None:
        """Assert a missing outcome answers 400 outcome/missing with the body as input."""
        body = {"testcase": "t1"}
        errors = assert_validation_error(
            rdb.post("/results", json=body), (["outcome"], "Field required", "missing")
        )
        assert errors[0]["input"] == body
        assert_nothing_stored(rdb)


class TestCreateResultTestcase:
    def test_missing_testcase(self, rdb: Any) -> None:
        """Assert a missing testcase answers 400 testcase/missing."""
        body = {"outcome": "PASSED"}
        errors = assert_validation_error(
            rdb.post("/results", json=body), (["testcase"], "Field required", "missing")
        )
        assert errors[0]["input"] == body

    def test_missing_outcome_and_testcase(self, rdb: Any) -> None:
        """Assert both missing fields are reported."""
        resp = rdb.post("/results", json={"note": "x"})
        assert_validation_error(
            resp,
            (["outcome"], "Field required", "missing"),
            (["testcase"], "Field required", "missing"),
        )

    @pytest.mark.parametrize(
        "testcase", ["", None, {}, {"name": ""}, {"name": None}, {"ref_url": "https://x"}]
    )
    def test_empty_testcase_name(self, rdb: Any, testcase: Any) -> None:
        """Assert an empty or missing testcase name answers 400 value_error."""
        resp = rdb.post("/results", json=make_result(testcase=testcase))
        assert_validation_error(
            resp, (["testcase"], "Value error, testcase name must be non-empty", "value_error")
        )
        assert_nothing_stored(rdb)

    def test_testcase_as_string_creates_testcase(self, rdb: Any) -> None:
        """Assert a string testcase auto-creates the testcase with a null ref_url."""
        result = post_result(rdb, testcase="fedora/ci/x")
        expected = {
            "name": "fedora/ci/x",
            "ref_url": None,
            "href": f"{rdb.api}/testcases/fedora/ci/x",
        }
        assert result["testcase"] == expected
        assert rdb.get("/testcases/fedora/ci/x").json() == expected

    def test_testcase_object_sets_ref_url(self, rdb: Any) -> None:
        """Assert a testcase object creates the testcase with its ref_url."""
        result = post_result(rdb, testcase={"name": "t1", "ref_url": "https://docs"})
        expected = {"name": "t1", "ref_url": "https://docs", "href": f"{rdb.api}/testcases/t1"}
        assert result["testcase"] == expected
        assert rdb.get("/testcases/t1").json() == expected

    def test_existing_testcase_ref_url_semantics(self, rdb: Any) -> None:
        """Assert ref_url is overwritten only when the key is present (even null or "")."""
        post_result(rdb, testcase={"name": "t1", "ref_url": "https://one"})

        def current() -> Any:
            return rdb.get("/testcases/t1").json()["ref_url"]

        assert post_result(rdb, testcase="t1")["testcase"]["ref_url"] == "https://one"
        assert current() == "https://one"
        assert post_result(rdb, testcase={"name": "t1"})["testcase"]["ref_url"] == "https://one"
        assert current() == "https://one"
        post_result(rdb, testcase={"name": "t1", "ref_url": "https://two"})
        assert current() == "https://two"
        assert post_result(rdb, testcase={"name": "t1", "ref_url": ""})["testcase"]["ref_url"] == ""
        assert current() == ""
        post_result(rdb, testcase={"name": "t1", "ref_url": "https://three"})
        assert (
            post_result(rdb, testcase={"name": "t1", "ref_url": None})["testcase"]["ref_url"]
            is None
        )
        assert current() is None
        assert [tc["name"] for tc in rdb.get("/testcases").json()["data"]] == ["t1"]


class TestCreateResultGroups:
    def test_group_strings_create_groups(self, rdb: Any) -> None:
        """Assert unknown uuid strings create bare groups linked to the result."""
        result = post_result(rdb, groups=["g1", "g2"])
        assert sorted(result["groups"]) == ["g1", "g2"]
        for name in ("g1", "g2"):
            group = rdb.get(f"/groups/{name}").json()
            assert group["description"] is None
            assert group["ref_url"] is None
            assert group["results_count"] == 1

    def test_group_string_links_existing_group(self, rdb: Any) -> None:
        """Assert a uuid string of an existing group links it without changing it."""
        rdb.post("/groups", json={"uuid": "g1", "description": "D", "ref_url": "https://r"})
        result = post_result(rdb, groups=["g1"])
        assert result["groups"] == ["g1"]
        group = rdb.get("/groups/g1").json()
        assert (group["description"], group["ref_url"], group["results_count"]) == (
            "D",
            "https://r",
            1,
        )
        assert [g["uuid"] for g in rdb.get("/groups").json()["data"]] == ["g1"]

    def test_group_objects_create_groups(self, rdb: Any) -> None:
        """Assert group objects create groups with their description and ref_url."""
        result = post_result(
            rdb, groups=[{"uuid": "g1", "description": "Job", "ref_url": "https://job"}]
        )
        assert result["groups"] == ["g1"]
        group = rdb.get("/groups/g1").json()
        assert (group["description"], group["ref_url"], group["results_count"]) == (
            "Job",
            "https://job",
            1,
        )

    def test_group_object_without_uuid_gets_one(self, rdb: Any) -> None:
        """Assert a group object without uuid creates a group with a server-made uuid."""
        result = post_result(rdb, groups=[{"description": "Anonymous"}])
        assert len(result["groups"]) == 1
        made = result["groups"][0]
        assert str(uuid.UUID(made)) == made
        group = rdb.get(f"/groups/{made}").json()
        assert group["description"] == "Anonymous"
        assert group["results_count"] == 1

    def test_group_object_updates_existing_group(self, rdb: Any) -> None:
        """Assert a group object overwrites description/ref_url only for keys present."""
        rdb.post("/groups", json={"uuid": "g1", "description": "Old", "ref_url": "https://old"})
        post_result(rdb, groups=[{"uuid": "g1", "description": "New"}])
        group = rdb.get("/groups/g1").json()
        assert (group["description"], group["ref_url"]) == ("New", "https://old")
        post_result(rdb, groups=[{"uuid": "g1", "ref_url": "https://new"}])
        group = rdb.get("/groups/g1").json()
        assert (group["description"], group["ref_url"], group["results_count"]) == (
            "New",
            "https://new",
            2,
        )

    def test_mixed_groups(self, rdb: Any) -> None:
        """Assert strings and objects may be mixed in one groups list."""
        result = post_result(rdb, groups=["g1", {"uuid": "g2", "description": "Two"}])
        assert sorted(result["groups"]) == ["g1", "g2"]
        assert rdb.get("/groups/g2").json()["description"] == "Two"

    @pytest.mark.parametrize("groups", [None, []])
    def test_no_groups(self, rdb: Any, groups: Any) -> None:
        """Assert groups null or [] give a result without groups."""
        assert post_result(rdb, groups=groups)["groups"] == []
        assert rdb.get("/groups").json()["data"] == []

    @pytest.mark.parametrize("item", [5, 1.5, True, ["g1"]])
    def test_group_item_of_wrong_type_is_400(self, rdb: Any, item: Any) -> None:
        """Assert a group item that is neither str nor object is a clean 400 (upstream 500s)."""
        resp = rdb.post("/results", json=make_result(groups=["g0", item]))
        assert resp.status_code == 400
        body = resp.json()
        assert isinstance(body, dict)
        assert set(body) in ({"message"}, {"validation_error"})
        assert_nothing_stored(rdb)

    def test_groups_not_a_list(self, rdb: Any) -> None:
        """Assert groups given as a string answers 400 list_type."""
        resp = rdb.post("/results", json=make_result(groups="g1"))
        assert_validation_error(resp, (["groups"], "Input should be a valid list", "list_type"))


class TestCreateResultData:
    def test_value_conversions(self, rdb: Any) -> None:
        """Assert data values become text rows as upstream's str() does."""
        result = post_result(
            rdb,
            data={
                "str": "text",
                "list": ["a", "b", "a"],
                "empty": [],
                "int": 5,
                "true": True,
                "null": None,
                "dict": {"a": 1},
                "float": 1.5,
                "mixed": [1, False, "x"],
            },
        )
        expected = {
            "str": ["text"],
            "list": ["a", "b", "a"],
            "int": ["5"],
            "true": ["True"],
            "null": ["None"],
            "dict": ["{'a': 1}"],
            "float": ["1.5"],
            "mixed": ["1", "False", "x"],
        }
        assert result["data"] == expected
        assert rdb.get("/results/1").json()["data"] == expected

    def test_converted_values_are_searchable(self, rdb: Any) -> None:
        """Assert the stored text of converted values is what data filters match."""
        post_result(rdb, data={"int": 5, "true": True, "null": None})
        for key, value in (("int", "5"), ("true", "True"), ("null", "None")):
            ids = [r["id"] for r in rdb.get("/results", params={key: value}).json()["data"]]
            assert ids == [1], (key, value)

    def test_empty_data(self, rdb: Any) -> None:
        """Assert data {} or null give a result with data {}."""
        assert post_result(rdb, data={})["data"] == {}
        assert post_result(rdb, data=None)["data"] == {}

    def test_colon_in_key_is_400(self, rdb: Any) -> None:
        """Assert a data key with ':' answers 400 naming the bad key, storing nothing."""
        resp = rdb.post("/results", json=make_result(data={"ok": "1", "a:b": "2"}))
        assert resp.status_code == 400
        assert resp.json() == {"message": "Colon not allowed in key name: ['a:b']"}
        assert_nothing_stored(rdb)

    def test_data_not_an_object(self, rdb: Any) -> None:
        """Assert data given as a list answers 400 dict_type."""
        resp = rdb.post("/results", json=make_result(data=["a", "b"]))
        assert_validation_error(resp, (["data"], "Input should be a valid dictionary", "dict_type"))

    def test_note_not_a_string(self, rdb: Any) -> None:
        """Assert a non-string note answers 400 string_type."""
        resp = rdb.post("/results", json=make_result(note=5))
        assert_validation_error(resp, (["note"], "Input should be a valid string", "string_type"))


class TestCreateResultSubmitTime:
    @pytest.mark.parametrize(
        ("submit_time", "expected"),
        [
            (NOON_MS + 123, "2024-05-31T12:00:00.123000"),
            (str(NOON_MS + 123), "2024-05-31T12:00:00.123000"),
            (NOON_MS, "2024-05-31T12:00:00"),
            (1717157000123.0, "2024-05-31T12:03:20.123000"),
            ("2024-05-31T12:00:00.123456", "2024-05-31T12:00:00.123456"),
            ("2024-05-31T12:00:00.123456Z", "2024-05-31T12:00:00.123456"),
            ("2024-05-31T12:00:00.123456+00:00", "2024-05-31T12:00:00.123456"),
            ("2024-05-31T12:00:00.123456+0000", "2024-05-31T12:00:00.123456"),
            ("2024-05-31T12:00:00.123456+00", "2024-05-31T12:00:00.123456"),
            ("2024-05-31T12:00:00.000000", "2024-05-31T12:00:00"),
            ("2024-05-31T12:00:00.5", "2024-05-31T12:00:00.500000"),
        ],
    )
    def test_accepted_forms(self, rdb: Any, submit_time: Any, expected: str) -> None:
        """Assert ms numbers/digit strings and the .ffffff datetime forms are accepted."""
        result = post_result(rdb, submit_time=submit_time)
        assert result["submit_time"] == expected
        assert rdb.get("/results/1").json()["submit_time"] == expected

    def test_null_means_now(self, rdb: Any) -> None:
        """Assert submit_time null defaults to the current UTC time."""
        before = utcnow() - dt.timedelta(seconds=5)
        result = post_result(rdb, submit_time=None)
        assert (
            before
            <= dt.datetime.fromisoformat(result["submit_time"])
            <= before + (dt.timedelta(seconds=65))
        )

    @pytest.mark.parametrize(
        "submit_time",
        [
            "2024-05-31T12:00:00",
            "2024-05-31",
            "2024-05-31 12:00:00.000000",
            "yesterday",
            "",
            "2024-05-31T12:00:00.123456+02",
        ],
    )
    def test_invalid_forms(self, rdb: Any, submit_time: str) -> None:
        """Assert other strings answer 400 with upstream's exact message."""
        resp = rdb.post("/results", json=make_result(submit_time=submit_time))
        errors = assert_validation_error(
            resp, (["submit_time"], TIME_MSG.format(submit_time), "value_error")
        )
        assert errors[0]["input"] == submit_time
        assert_nothing_stored(rdb)


class TestCreateResultRequestErrors:
    def test_malformed_json(self, rdb: Any) -> None:
        """Assert a body that is not JSON answers 400 {"message": "Bad request"}."""
        resp = rdb.session.post(
            rdb.url("/results"),
            data='{"outcome": "PASSED", ',
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert resp.status_code == 400
        assert resp.json() == {"message": "Bad request"}
        assert_nothing_stored(rdb)

    def test_wrong_content_type(self, rdb: Any) -> None:
        """Assert a non-JSON content type answers 415."""
        resp = rdb.session.post(
            rdb.url("/results"),
            data='{"outcome": "PASSED", "testcase": "t1"}',
            headers={"Content-Type": "text/plain"},
            timeout=30,
        )
        assert resp.status_code == 415
        assert_nothing_stored(rdb)

    @pytest.mark.parametrize("body", [[], [{"outcome": "PASSED", "testcase": "t1"}], "x", 5])
    def test_json_non_object_body(self, rdb: Any, body: Any) -> None:
        """Assert a JSON array (or scalar) body is a clean 400 with a message (upstream 500s)."""
        resp = rdb.post("/results", json=body)
        assert resp.status_code == 400
        payload = resp.json()
        assert isinstance(payload, dict)
        if "message" in payload:
            assert isinstance(payload["message"], str)
            assert payload["message"]
        else:
            assert list(payload) == ["validation_error"]
        assert_nothing_stored(rdb)

    def test_json_array_body_has_message(self, rdb: Any) -> None:
        """Assert a JSON array body answers 400 {"message": ...} as documented."""
        resp = rdb.post("/results", json=[{"outcome": "PASSED", "testcase": "t1"}])
        assert resp.status_code == 400
        payload = resp.json()
        assert list(payload) == ["message"]
        assert isinstance(payload["message"], str)


class TestCreateResultConcurrency:
    def test_concurrent_creation_of_same_group_and_testcase(self, rdb: Any) -> None:
        """Assert racing POSTs auto-creating one new group and testcase all answer 201."""
        workers = 8
        for round_ in range(4):
            group = f"race-group-{round_}"
            testcase = f"race.testcase.{round_}"
            barrier = threading.Barrier(workers)

            def post(
                i: int,
                group: str = group,
                testcase: str = testcase,
                barrier: threading.Barrier = barrier,
            ) -> int:
                body = make_result(
                    testcase={"name": testcase, "ref_url": f"https://r/{i}"},
                    groups=[group, {"uuid": f"{group}-obj", "description": "d"}],
                    data={"i": str(i)},
                )
                barrier.wait(timeout=30)
                return requests.post(f"{rdb.api}/results", json=body, timeout=60).status_code

            with ThreadPoolExecutor(workers) as pool:
                statuses = list(pool.map(post, range(workers)))
            assert statuses == [201] * workers, statuses
            assert rdb.get(f"/groups/{group}").json()["results_count"] == workers
            assert rdb.get(f"/groups/{group}-obj").json()["results_count"] == workers
            listed = rdb.get("/testcases", params={"name": testcase}).json()["data"]
            assert [tc["name"] for tc in listed] == [testcase]
            found = rdb.get(f"/testcases/{testcase}/results", params={"limit": 100}).json()
            assert sorted(int(r["data"]["i"][0]) for r in found["data"]) == list(range(workers))


# ----------------------------------------------------------------------------- GET /results/<id>


class TestGetResult:
    def test_get_result(self, rdb: Any) -> None:
        """Assert GET /results/<id> returns what POST returned."""
        first = post_result(rdb, data={"item": "x"}, submit_time="2024-05-31T12:00:00.000001")
        second = post_result(rdb, testcase="other", groups=["g1"])
        assert rdb.get("/results/1").json() == first
        resp = rdb.get("/results/2")
        assert resp.status_code == 200
        assert resp.json() == second

    @pytest.mark.parametrize("result_id", ["999", "0", "2"])
    def test_missing_result(self, rdb: Any, result_id: str) -> None:
        """Assert an unknown id answers 404 {"message": "Result not found"}."""
        post_result(rdb)
        resp = rdb.get(f"/results/{result_id}")
        assert resp.status_code == 404
        assert resp.json() == {"message": "Result not found"}

    @pytest.mark.parametrize("result_id", ["abc", "1.0", "-x"])
    def test_non_integer_id_is_404(self, rdb: Any, result_id: str) -> None:
        """Assert a non-integer id answers 404 with a JSON message (never 500)."""
        post_result(rdb)
        resp = rdb.get(f"/results/{result_id}")
        assert resp.status_code == 404
        # Upstream's body depends on the backend; either not-found message is fine.
        assert resp.json() in ({"message": "Result not found"}, {"message": "Not found"})
