"""HTTP contract of the ResultsDB API v2.0: landing page, errors, /testcases and /groups.

Written from upstream ResultsDB 2.2.0's API v2.0 documentation plus our
documented deviations; every test runs against a real server on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from contract import OUTCOMES, assert_validation_error, post_result

# ----------------------------------------------------------------------------- helpers


def make_group(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": "27f94e36-62ec-11e6-83fd-525400d7d6a4",
        "description": "Taskotron job",
        "ref_url": "https://ci/run/1",
    }
    body.update(overrides)
    return body


def post_group(rdb: Any, **overrides: Any) -> dict[str, Any]:
    resp = rdb.post("/groups", json=make_group(**overrides))
    assert resp.status_code == 201, resp.text
    return resp.json()


def post_testcase(rdb: Any, name: str, **extra: Any) -> dict[str, Any]:
    resp = rdb.post("/testcases", json={"name": name, **extra})
    assert resp.status_code == 201, resp.text
    return resp.json()


def expected_group(
    rdb: Any, uuid_: str, description: str | None, ref_url: str | None, count: int
) -> dict[str, Any]:
    return {
        "uuid": uuid_,
        "description": description,
        "ref_url": ref_url,
        "results": f"{rdb.api}/results?groups={uuid_}",
        "results_count": count,
        "href": f"{rdb.api}/groups/{uuid_}",
    }


def expected_testcase(rdb: Any, name: str, ref_url: str | None) -> dict[str, Any]:
    return {"name": name, "ref_url": ref_url, "href": f"{rdb.api}/testcases/{name}"}


def names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["data"]]


def uuids(page: dict[str, Any]) -> list[str]:
    return [item["uuid"] for item in page["data"]]


# ----------------------------------------------------------------------------- landing


class TestLandingPage:
    @pytest.mark.parametrize("path", ["", "/"])
    def test_landing_page_shape(self, rdb: Any, path: str) -> None:
        """Assert /api/v2.0 and /api/v2.0/ answer 300 with absolute links and our outcomes."""
        resp = rdb.get(path)
        assert resp.status_code == 300
        body = resp.json()
        assert set(body) == {
            "message",
            "documentation",
            "groups",
            "results",
            "testcases",
            "outcomes",
        }
        assert isinstance(body["message"], str)
        assert isinstance(body["documentation"], str)
        assert body["groups"] == f"{rdb.api}/groups"
        assert body["results"] == f"{rdb.api}/results"
        assert body["testcases"] == f"{rdb.api}/testcases"
        assert body["outcomes"] == OUTCOMES

    def test_landing_page_urls_follow_request_host(self, rdb: Any) -> None:
        """Assert the landing page's absolute URLs are built from the request's Host."""
        resp = rdb.get("", headers={"Host": "rdb.example.org:8080"})
        assert resp.status_code == 300
        body = resp.json()
        assert body["groups"] == "http://rdb.example.org:8080/api/v2.0/groups"
        assert body["results"] == "http://rdb.example.org:8080/api/v2.0/results"
        assert body["testcases"] == "http://rdb.example.org:8080/api/v2.0/testcases"

    def test_landing_page_honours_reverse_proxy_headers(self, rdb: Any) -> None:
        """Assert X-Forwarded-Host, X-Forwarded-Scheme and X-Script-Name shape the URLs."""
        resp = rdb.get(
            "",
            headers={
                "X-Forwarded-Host": "proxy.example.org",
                "X-Forwarded-Scheme": "https",
                "X-Script-Name": "/resultsdb",
            },
        )
        assert resp.status_code == 300
        assert resp.json()["groups"] == "https://proxy.example.org/resultsdb/api/v2.0/groups"


class TestHealthcheck:
    def test_healthcheck_ok(self, rdb: Any) -> None:
        """Assert /healthcheck answers 200 {"message": "Health check OK"}."""
        resp = rdb.get("/healthcheck")
        assert resp.status_code == 200
        assert resp.json() == {"message": "Health check OK"}


class TestRouting:
    @pytest.mark.parametrize("path", ["/nope", "/results/1/nope", "/groups/g1/nope/x"])
    def test_unknown_path_is_json_404(self, rdb: Any, path: str) -> None:
        """Assert an unknown path under /api/v2.0 answers 404 {"message": "Not found"}."""
        resp = rdb.get(path)
        assert resp.status_code == 404
        assert resp.json() == {"message": "Not found"}

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("PUT", "/results"),
            ("DELETE", "/results"),
            ("DELETE", "/results/1"),
            ("PUT", "/results/1"),
            ("POST", "/results/1"),
            ("POST", "/results/latest"),
            ("PATCH", "/groups"),
            ("DELETE", "/groups/g1"),
            ("PUT", "/groups/g1"),
            ("DELETE", "/testcases"),
            ("PUT", "/testcases/dist.rpmlint"),
            ("DELETE", "/testcases/dist.rpmlint"),
        ],
    )
    def test_unsupported_method_is_405(self, rdb: Any, method: str, path: str) -> None:
        """Assert methods other than GET/POST (where routed) answer 405."""
        post_result(rdb, groups=["g1"])
        resp = rdb.session.request(method, rdb.url(path), json={}, timeout=30)
        assert resp.status_code == 405
        # Nothing was changed by the refused request.
        assert rdb.get("/results/1").status_code == 200
        assert rdb.get("/groups/g1").status_code == 200
        assert rdb.get("/testcases/dist.rpmlint").status_code == 200


# ----------------------------------------------------------------------------- testcases


class TestCreateTestcase:
    def test_create_testcase(self, rdb: Any) -> None:
        """Assert POST /testcases answers 201 with {name, ref_url, href}, and GET agrees."""
        resp = rdb.post("/testcases", json={"name": "dist.rpmlint", "ref_url": "https://docs"})
        assert resp.status_code == 201
        expected = expected_testcase(rdb, "dist.rpmlint", "https://docs")
        assert resp.json() == expected
        got = rdb.get("/testcases/dist.rpmlint")
        assert got.status_code == 200
        assert got.json() == expected

    def test_create_testcase_without_ref_url(self, rdb: Any) -> None:
        """Assert a testcase created without ref_url has ref_url null."""
        assert post_testcase(rdb, "t1") == expected_testcase(rdb, "t1", None)

    def test_upsert_overwrites_ref_url(self, rdb: Any) -> None:
        """Assert a second POST with the same name updates ref_url and creates no duplicate."""
        post_testcase(rdb, "t1", ref_url="https://old")
        resp = rdb.post("/testcases", json={"name": "t1", "ref_url": "https://new"})
        assert resp.status_code == 201
        assert resp.json() == expected_testcase(rdb, "t1", "https://new")
        assert rdb.get("/testcases/t1").json() == expected_testcase(rdb, "t1", "https://new")
        assert names(rdb.get("/testcases").json()) == ["t1"]

    @pytest.mark.parametrize("body", [{"name": "t1", "ref_url": None}, {"name": "t1"}])
    def test_upsert_keeps_ref_url_when_null(self, rdb: Any, body: dict[str, Any]) -> None:
        """Assert ref_url null (or absent) on an existing testcase leaves it unchanged."""
        post_testcase(rdb, "t1", ref_url="https://old")
        resp = rdb.post("/testcases", json=body)
        assert resp.status_code == 201
        assert resp.json() == expected_testcase(rdb, "t1", "https://old")
        assert rdb.get("/testcases/t1").json() == expected_testcase(rdb, "t1", "https://old")

    def test_upsert_empty_ref_url_overwrites(self, rdb: Any) -> None:
        """Assert ref_url "" is not null, so it overwrites the stored ref_url."""
        post_testcase(rdb, "t1", ref_url="https://old")
        resp = rdb.post("/testcases", json={"name": "t1", "ref_url": ""})
        assert resp.status_code == 201
        assert resp.json() == expected_testcase(rdb, "t1", "")

    def test_name_with_slashes(self, rdb: Any) -> None:
        """Assert testcase names may contain '/' and are reachable under /testcases/<name>."""
        name = "fedora-ci.koji-build/tier0.functional"
        created = post_testcase(rdb, name, ref_url="https://x")
        assert created == expected_testcase(rdb, name, "https://x")
        assert created["href"] == f"{rdb.api}/testcases/fedora-ci.koji-build/tier0.functional"
        resp = rdb.get(f"/testcases/{name}")
        assert resp.status_code == 200
        assert resp.json() == created

    def test_missing_name_is_validation_error(self, rdb: Any) -> None:
        """Assert a body without name answers 400 validation_error name/missing."""
        resp = rdb.post("/testcases", json={"ref_url": "https://x"})
        errors = assert_validation_error(resp, (["name"], "Field required", "missing"))
        assert errors[0]["input"] == {"ref_url": "https://x"}

    def test_empty_name_is_validation_error(self, rdb: Any) -> None:
        """Assert an empty name answers 400 string_too_short."""
        resp = rdb.post("/testcases", json={"name": ""})
        assert_validation_error(
            resp, (["name"], "String should have at least 1 character", "string_too_short")
        )
        assert rdb.get("/testcases").json()["data"] == []

    def test_unknown_fields_ignored(self, rdb: Any) -> None:
        """Assert unknown body fields (the client's _auth_token) are ignored."""
        resp = rdb.post("/testcases", json={"name": "t1", "_auth_token": None, "x": 1})
        assert resp.status_code == 201
        assert resp.json() == expected_testcase(rdb, "t1", None)


class TestGetTestcases:
    def test_missing_testcase_is_404(self, rdb: Any) -> None:
        """Assert GET of an unknown testcase answers 404 {"message": "Testcase not found"}."""
        resp = rdb.get("/testcases/nope")
        assert resp.status_code == 404
        assert resp.json() == {"message": "Testcase not found"}

    def test_empty_list(self, rdb: Any) -> None:
        """Assert an empty database lists no testcases, without prev/next links."""
        resp = rdb.get("/testcases")
        assert resp.status_code == 200
        assert resp.json() == {"prev": None, "next": None, "data": []}

    def test_list_ordered_by_name(self, rdb: Any) -> None:
        """Assert /testcases lists by name ascending whatever the creation order."""
        for name in ["gamma", "alpha", "delta", "beta"]:
            post_testcase(rdb, name, ref_url=f"https://{name}")
        page = rdb.get("/testcases").json()
        assert page["prev"] is None
        assert page["next"] is None
        assert page["data"] == [
            expected_testcase(rdb, name, f"https://{name}")
            for name in ["alpha", "beta", "delta", "gamma"]
        ]

    def test_testcases_created_by_results_are_listed(self, rdb: Any) -> None:
        """Assert testcases auto-created by POST /results appear in the list."""
        post_result(rdb, testcase="zeta")
        post_result(rdb, testcase={"name": "eta", "ref_url": "https://eta"})
        assert rdb.get("/testcases").json()["data"] == [
            expected_testcase(rdb, "eta", "https://eta"),
            expected_testcase(rdb, "zeta", None),
        ]

    def test_filter_by_name(self, rdb: Any) -> None:
        """Assert name=a,b matches exact names (OR)."""
        for name in ["alpha", "beta", "gamma", "alphabet"]:
            post_testcase(rdb, name)
        assert names(rdb.get("/testcases", params={"name": "gamma,alpha"}).json()) == [
            "alpha",
            "gamma",
        ]
        assert names(rdb.get("/testcases", params={"name": "alph"}).json()) == []

    def test_filter_by_name_like(self, rdb: Any) -> None:
        """Assert name:like takes comma-separated patterns with '*' wildcards (OR)."""
        for name in ["alpha", "beta", "gamma", "alphabet", "delta"]:
            post_testcase(rdb, name)
        assert names(rdb.get("/testcases", params={"name:like": "alpha*"}).json()) == [
            "alpha",
            "alphabet",
        ]
        assert names(rdb.get("/testcases", params={"name:like": "*et*"}).json()) == [
            "alphabet",
            "beta",
        ]
        assert names(rdb.get("/testcases", params={"name:like": "b*,*mm*"}).json()) == [
            "beta",
            "gamma",
        ]

    def test_name_takes_precedence_over_name_like(self, rdb: Any) -> None:
        """Assert name:like is ignored when name is given."""
        for name in ["alpha", "beta"]:
            post_testcase(rdb, name)
        resp = rdb.get("/testcases", params={"name": "alpha", "name:like": "b*"})
        assert names(resp.json()) == ["alpha"]

    def test_pagination(self, rdb: Any) -> None:
        """Assert limit/page slice the list and build prev/next from the request URL."""
        for name in ["a1", "a2", "a3"]:
            post_testcase(rdb, name)
        first = rdb.get("/testcases?limit=2").json()
        assert names(first) == ["a1", "a2"]
        assert first["prev"] is None
        assert first["next"] == f"{rdb.api}/testcases?limit=2&page=1"
        second = rdb.get(first["next"]).json()
        assert names(second) == ["a3"]
        assert second["prev"] == f"{rdb.api}/testcases?limit=2&page=0"
        assert second["next"] is None

    def test_callback_param_stripped_from_links(self, rdb: Any) -> None:
        """Assert a callback= parameter is dropped from the prev/next links."""
        for name in ["a1", "a2", "a3"]:
            post_testcase(rdb, name)
        page = rdb.get("/testcases?callback=cb&limit=1&page=1").json()
        assert names(page) == ["a2"]
        assert page["prev"] == f"{rdb.api}/testcases?limit=1&page=0"
        assert page["next"] == f"{rdb.api}/testcases?limit=1&page=2"
        page = rdb.get("/testcases?limit=1&callback=cb").json()
        assert names(page) == ["a1"]
        assert page["next"] == f"{rdb.api}/testcases?limit=1&page=1"


# ----------------------------------------------------------------------------- groups


class TestCreateGroup:
    def test_create_group(self, rdb: Any) -> None:
        """Assert POST /groups answers 201 with the full group shape, and GET agrees."""
        resp = rdb.post("/groups", json=make_group(uuid="g1"))
        assert resp.status_code == 201
        expected = expected_group(rdb, "g1", "Taskotron job", "https://ci/run/1", 0)
        assert resp.json() == expected
        got = rdb.get("/groups/g1")
        assert got.status_code == 200
        assert got.json() == expected

    def test_create_group_without_uuid(self, rdb: Any) -> None:
        """Assert the server makes a uuid when none is given (201, a canonical UUID)."""
        resp = rdb.post("/groups", json={})
        assert resp.status_code == 201
        body = resp.json()
        made = body["uuid"]
        assert str(uuid.UUID(made)) == made
        assert body == expected_group(rdb, made, None, None, 0)
        other = rdb.post("/groups", json={"description": "second"}).json()
        assert other["uuid"] != made
        assert other["description"] == "second"
        assert rdb.get(f"/groups/{made}").json() == body

    def test_upsert_overwrites_with_truthy_values(self, rdb: Any) -> None:
        """Assert a second POST of a uuid updates description and ref_url (still 201)."""
        post_group(rdb, uuid="g1")
        resp = rdb.post(
            "/groups", json={"uuid": "g1", "description": "Changed", "ref_url": "https://new"}
        )
        assert resp.status_code == 201
        expected = expected_group(rdb, "g1", "Changed", "https://new", 0)
        assert resp.json() == expected
        assert rdb.get("/groups/g1").json() == expected
        assert uuids(rdb.get("/groups").json()) == ["g1"]

    @pytest.mark.parametrize(
        "update",
        [
            {"description": "", "ref_url": ""},
            {"description": None, "ref_url": None},
            {},
        ],
    )
    def test_upsert_never_clears(self, rdb: Any, update: dict[str, Any]) -> None:
        """Assert empty, null or absent description/ref_url leave the stored values."""
        post_group(rdb, uuid="g1")
        resp = rdb.post("/groups", json={"uuid": "g1", **update})
        assert resp.status_code == 201
        expected = expected_group(rdb, "g1", "Taskotron job", "https://ci/run/1", 0)
        assert resp.json() == expected
        assert rdb.get("/groups/g1").json() == expected

    def test_partial_update(self, rdb: Any) -> None:
        """Assert only the given truthy field changes."""
        post_group(rdb, uuid="g1")
        resp = rdb.post("/groups", json={"uuid": "g1", "ref_url": "https://other"})
        assert resp.json() == expected_group(rdb, "g1", "Taskotron job", "https://other", 0)

    def test_unknown_fields_ignored(self, rdb: Any) -> None:
        """Assert unknown body fields are ignored."""
        resp = rdb.post("/groups", json={"uuid": "g1", "_auth_token": None, "extra": [1]})
        assert resp.status_code == 201
        assert resp.json() == expected_group(rdb, "g1", None, None, 0)

    def test_results_count_and_link(self, rdb: Any) -> None:
        """Assert results_count counts the group's results and results links to them."""
        post_group(rdb, uuid="g1")
        post_result(rdb, groups=["g1"])
        post_result(rdb, groups=["g1", "g2"])
        post_result(rdb, groups=["g2"])
        group = rdb.get("/groups/g1").json()
        assert group == expected_group(rdb, "g1", "Taskotron job", "https://ci/run/1", 2)
        linked = rdb.get(group["results"])
        assert linked.status_code == 200
        assert sorted(result["id"] for result in linked.json()["data"]) == [1, 2]


class TestGetGroups:
    def test_missing_group_is_404(self, rdb: Any) -> None:
        """Assert GET of an unknown group answers 404 {"message": "Group not found"}."""
        resp = rdb.get("/groups/nope")
        assert resp.status_code == 404
        assert resp.json() == {"message": "Group not found"}

    def test_empty_list(self, rdb: Any) -> None:
        """Assert an empty database lists no groups, without prev/next links."""
        resp = rdb.get("/groups")
        assert resp.status_code == 200
        assert resp.json() == {"prev": None, "next": None, "data": []}

    def test_list_newest_first(self, rdb: Any) -> None:
        """Assert /groups lists the most recently created first; updates do not reorder."""
        for name in ["g-a", "g-c", "g-b"]:
            post_group(rdb, uuid=name, description=f"desc {name}")
        post_group(rdb, uuid="g-a", description="updated")
        page = rdb.get("/groups").json()
        assert page["prev"] is None
        assert page["next"] is None
        assert page["data"] == [
            expected_group(rdb, "g-b", "desc g-b", "https://ci/run/1", 0),
            expected_group(rdb, "g-c", "desc g-c", "https://ci/run/1", 0),
            expected_group(rdb, "g-a", "updated", "https://ci/run/1", 0),
        ]

    def test_groups_created_by_results_are_listed(self, rdb: Any) -> None:
        """Assert groups auto-created by POST /results appear, with their counts."""
        post_result(rdb, groups=["g1"])
        post_result(rdb, groups=["g1", "g2"])
        assert rdb.get("/groups").json()["data"] == [
            expected_group(rdb, "g2", None, None, 1),
            expected_group(rdb, "g1", None, None, 2),
        ]

    def test_filter_by_uuid(self, rdb: Any) -> None:
        """Assert uuid=a,b selects those groups."""
        for name in ["FooBar", "BarFoo", "Other"]:
            post_group(rdb, uuid=name)
        assert uuids(rdb.get("/groups", params={"uuid": "FooBar,BarFoo"}).json()) == [
            "BarFoo",
            "FooBar",
        ]
        assert uuids(rdb.get("/groups", params={"uuid": "Oth"}).json()) == []

    def test_filter_by_description(self, rdb: Any) -> None:
        """Assert description=a,b matches exact descriptions (OR)."""
        post_group(rdb, uuid="1", description="FooBar")
        post_group(rdb, uuid="2", description="BarFoo")
        post_group(rdb, uuid="3", description="Other")
        resp = rdb.get("/groups", params={"description": "FooBar,BarFoo"})
        assert uuids(resp.json()) == ["2", "1"]
        assert uuids(rdb.get("/groups", params={"description": "Foo"}).json()) == []

    def test_filter_by_description_like(self, rdb: Any) -> None:
        """Assert description:like takes comma-separated '*' patterns (OR)."""
        post_group(rdb, uuid="1", description="FooBar")
        post_group(rdb, uuid="2", description="BarFoo")
        post_group(rdb, uuid="3", description="Other")
        assert uuids(rdb.get("/groups", params={"description:like": "Foo*"}).json()) == ["1"]
        resp = rdb.get("/groups", params={"description:like": "*oo*,Oth*"})
        assert uuids(resp.json()) == ["3", "2", "1"]

    def test_description_takes_precedence_over_like(self, rdb: Any) -> None:
        """Assert description:like is ignored when description is given."""
        post_group(rdb, uuid="1", description="FooBar")
        post_group(rdb, uuid="2", description="BarFoo")
        resp = rdb.get("/groups", params={"description": "FooBar", "description:like": "Bar*"})
        assert uuids(resp.json()) == ["1"]

    def test_pagination(self, rdb: Any) -> None:
        """Assert limit/page slice the newest-first list with prev/next links."""
        for name in ["g1", "g2", "g3"]:
            post_group(rdb, uuid=name)
        first = rdb.get("/groups?limit=2").json()
        assert uuids(first) == ["g3", "g2"]
        assert first["prev"] is None
        assert first["next"] == f"{rdb.api}/groups?limit=2&page=1"
        second = rdb.get(first["next"]).json()
        assert uuids(second) == ["g1"]
        assert second["prev"] == f"{rdb.api}/groups?limit=2&page=0"
        assert second["next"] is None
