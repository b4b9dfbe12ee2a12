"""Beyond upstream: the bulk endpoint and `checkline resultsdb import`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from rdb_server import start_server, stop_server


def make_result(index: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "outcome": ("PASSED", "FAILED", "INFO")[index % 3],
        "testcase": {"name": f"dist.check{index % 4}", "ref_url": f"https://docs/{index % 4}"},
        "groups": [f"job-{index // 10}", {"uuid": "shared", "description": "all of them"}],
        "note": f"note {index}",
        "ref_url": f"https://logs/{index}",
        "data": {"item": f"pkg-{index}-1.fc40", "type": "koji_build", "arch": ["x86_64", "noarch"]},
        "submit_time": f"2026-01-01T00:{index // 60 % 60:02d}:{index % 60:02d}.000123",
    }
    body.update(overrides)
    return body


def checkline() -> str:
    return str(Path(sys.executable).parent / "checkline")


class TestBulk:
    def test_stores_all_in_order(self, rdb: Any) -> None:
        """Assert a bulk POST stores every result and answers them in order, like single POSTs."""
        bodies = [make_result(i) for i in range(250)]
        response = rdb.post("/results/bulk", json={"results": bodies})
        assert response.status_code == 201
        data = response.json()["data"]
        assert [r["id"] for r in data] == list(range(1, 251))
        assert data[7] == rdb.get("/results/8").json()
        assert data[7]["data"] == {
            "item": ["pkg-7-1.fc40"],
            "type": ["koji_build"],
            "arch": ["x86_64", "noarch"],
        }
        assert rdb.get("/groups/shared").json()["results_count"] == 250
        assert rdb.get("/groups/job-3").json()["results_count"] == 10

    def test_one_bad_result_stores_nothing(self, rdb: Any) -> None:
        """Assert a bad result is named by its index and nothing of the batch is stored."""
        bodies = [make_result(0), make_result(1, outcome="GREAT"), make_result(2, testcase="")]
        response = rdb.post("/results/bulk", json={"results": bodies})
        assert response.status_code == 400
        errors = response.json()["validation_error"]
        assert [(e["loc"], e["type"]) for e in errors] == [
            (["results", 1, "outcome"], "value_error"),
            (["results", 2, "testcase"], "value_error"),
        ]
        assert rdb.get("/results").json()["data"] == []

    def test_colon_and_shape_errors(self, rdb: Any) -> None:
        """Assert the bulk body's own mistakes get precise 400 messages."""
        response = rdb.post("/results/bulk", json={"results": [make_result(0, data={"a:b": 1})]})
        assert response.json() == {"message": "results[0]: Colon not allowed in key name: ['a:b']"}
        response = rdb.post("/results/bulk", json=[make_result(0)])
        assert (response.status_code, response.json()) == (
            400,
            {"message": "Request body must be a JSON object"},
        )
        response = rdb.post("/results/bulk", json={"result": []})
        assert response.json() == {"message": 'Request body must be {"results": [...]}'}


def test_export_then_import_keeps_everything(rdb: Any, tmp_path: Path) -> None:
    """Assert results exported page by page import into an empty database unchanged."""
    assert (
        rdb.post("/results/bulk", json={"results": [make_result(i) for i in range(45)]}).status_code
        == 201
    )
    exported, url = [], f"{rdb.api}/results?limit=20"
    while url:
        page = rdb.get(url).json()
        exported.extend(page["data"])
        url = page["next"]
    dump = tmp_path / "results.jsonl"
    dump.write_text("".join(json.dumps(r) + "\n" for r in reversed(exported)))

    target = f"sqlite:///{tmp_path / 'imported.sqlite'}"
    subprocess.run([checkline(), "resultsdb", "init-db", "--db", target], check=True)
    done = subprocess.run(
        [checkline(), "resultsdb", "import", str(dump), "--db", target, "--batch", "10"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported 45 results in ")
    proc, server = start_server(target, tmp_path / "server.log", workers=1)
    try:
        import requests

        imported = requests.get(f"{server.api}/results?limit=100", timeout=10).json()["data"]
    finally:
        stop_server(proc)

    def comparable(result: dict[str, Any]) -> tuple[Any, ...]:
        return (
            result["submit_time"],
            result["outcome"],
            result["note"],
            result["ref_url"],
            sorted(result["groups"]),
            result["data"],
            result["testcase"]["name"],
            result["testcase"]["ref_url"],
        )

    assert sorted(map(comparable, imported)) == sorted(map(comparable, exported))


def test_import_reports_every_bad_line_and_stores_nothing(tmp_path: Path) -> None:
    """Assert bad lines are listed by number and a partly bad file imports nothing."""
    dump = tmp_path / "bad.jsonl"
    good = {"outcome": "PASSED", "testcase": {"name": "t"}, "submit_time": "2026-01-01T00:00:00"}
    dump.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                json.dumps({**good, "outcome": "GREAT"}),
                json.dumps({**good, "data": {"a:b": "x"}}),
                json.dumps([good]),
                "[" * 100_000 + "]" * 100_000,  # past what json.loads reads
                json.dumps(
                    {
                        **good,
                        "data": {
                            "k": {
                                "a": [
                                    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
                                ]
                            }
                        },
                    }
                ),
            ]
        )
        + "\n"
    )
    target = f"sqlite:///{tmp_path / 'imported.sqlite'}"
    subprocess.run([checkline(), "resultsdb", "init-db", "--db", target], check=True)
    done = subprocess.run(
        [checkline(), "resultsdb", "import", str(dump), "--db", target],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "6 line(s) cannot be imported; nothing was:" in done.stderr
    assert "Traceback" not in done.stderr
    assert "line 6: Request body nests arrays and objects more than 32 deep" in done.stderr
    assert "line 7: Request body nests arrays and objects more than 32 deep" in done.stderr
    assert "line 2: not JSON: Expecting property name enclosed in double quotes" in done.stderr
    assert "line 3: outcome: Value error, must be one of: PASSED," in done.stderr
    assert "line 4: Colon not allowed in key name: ['a:b']" in done.stderr
    assert "line 5: must be a JSON object, list found" in done.stderr
    from sqlalchemy import create_engine, func, select

    from checkline.resultsdb.schema import result

    engine = create_engine(target)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(result)).scalar() == 0
    engine.dispose()
