"""The real ResultsDB clients from the package index, against our server."""

from __future__ import annotations

from typing import Any

import resultsdb_api
from resultsdb_conventions.fedora import FedoraBodhiResult


def test_resultsdb_api_round_trip(rdb: Any) -> None:
    """Assert resultsdb-api creates a group, a testcase and results and reads them back."""
    api = resultsdb_api.ResultsDBapi(rdb.api)
    group = api.create_group(uuid="job-1", ref_url="https://ci/job/1", description="dist.rpmlint")
    assert group["uuid"] == "job-1"
    testcase = api.create_testcase(name="dist.rpmlint", ref_url="https://docs/rpmlint")
    assert testcase["href"] == f"{rdb.api}/testcases/dist.rpmlint"
    first = api.create_result(
        outcome="FAILED",
        testcase="dist.rpmlint",
        groups=["job-1"],
        note="1 error",
        ref_url="https://logs/1",
        item="xchat-0.5-1.fc20",
        type="koji_build",
        arch=["x86_64"],
    )
    second = api.create_result(
        outcome="PASSED",
        testcase={"name": "dist.rpmlint"},
        groups=[group],
        item="xchat-0.5-2.fc20",
        type="koji_build",
    )
    assert api.get_result(first["id"]) == first
    assert api.get_group("job-1")["results_count"] == 2
    assert api.get_testcase("dist.rpmlint")["ref_url"] == "https://docs/rpmlint"
    by_item = api.get_results(item="xchat-0.5-1.fc20", type="koji_build")
    assert [r["id"] for r in by_item["data"]] == [first["id"]]
    by_outcome = api.get_results(outcome="PASSED", testcases_like="dist.*", groups=["job-1"])
    assert [r["id"] for r in by_outcome["data"]] == [second["id"]]
    page = api.get_results(limit=1)
    assert page["next"] is not None and len(page["data"]) == 1
    assert [g["uuid"] for g in api.get_groups(description_like="dist.*")["data"]] == ["job-1"]
    assert [t["name"] for t in api.get_testcases(name_like="dist.*")["data"]] == ["dist.rpmlint"]


def test_resultsdb_conventions_bodhi_update(rdb: Any) -> None:
    """Assert resultsdb-conventions reports a Bodhi-update result with its conventions."""
    api = resultsdb_api.ResultsDBapi(rdb.api)
    result = FedoraBodhiResult(
        "FEDORA-2026-0123456789",
        "PASSED",
        "update.rpmdeplint",
        source="checkline",
        note="no problems",
        ref_url="https://logs/2",
    )
    result.report(api)
    stored = rdb.get("/results").json()["data"]
    assert len(stored) == 1
    data = stored[0]["data"]
    assert data["item"] == ["FEDORA-2026-0123456789"]
    assert data["type"] == ["bodhi_update"]
    assert data["source"] == ["checkline"]
    assert "fedora.bodhi" in data["meta.conventions"][0]
    groups = [rdb.get(f"/groups/{uuid}").json() for uuid in stored[0]["groups"]]
    assert "https://bodhi.fedoraproject.org/updates/FEDORA-2026-0123456789" in [
        g["ref_url"] for g in groups
    ]
