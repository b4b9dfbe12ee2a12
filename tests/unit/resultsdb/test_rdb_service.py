"""``checkline.resultsdb.service``: the blueprints are module-level, shared by every app of
a process, so each app's requests must read that app's settings and database."""

from __future__ import annotations

from pathlib import Path

from checkline.resultsdb.app import create_app
from checkline.resultsdb.config import ResultsDBSettings
from checkline.resultsdb.db import Database
from checkline.resultsdb.migrate import upgrade
from checkline.resultsdb.service import current_service


def test_two_apps_in_one_process_keep_their_own_service(tmp_path: Path) -> None:
    """Assert two apps answer with their own outcomes, limits and database rows."""
    apps = []
    databases = []
    for name, extra, max_limit in (("a", ("WAIVED",), 5), ("b", ("CRASHED",), 7)):
        url = f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        upgrade(url)
        database = Database(url)
        databases.append(database)
        settings = ResultsDBSettings(db=url, additional_outcomes=extra, max_limit=max_limit)
        apps.append(create_app(settings, database=database))
    first, second = (app.test_client() for app in apps)
    try:
        assert first.post("/api/v2.0/testcases", json={"name": "only.in.a"}).status_code == 201
        assert "WAIVED" in first.get("/api/v2.0").get_json()["outcomes"]
        assert "CRASHED" in second.get("/api/v2.0").get_json()["outcomes"]
        assert second.get("/api/v2.0/testcases/only.in.a").status_code == 404
        assert first.get("/api/v2.0/testcases/only.in.a").status_code == 200
        assert first.get("/api/v2.0/testcases?limit=6").status_code == 400
        assert second.get("/api/v2.0/testcases?limit=6").status_code == 200
        for app, database in zip(apps, databases, strict=True):
            with app.test_request_context("/"):
                assert current_service().db is database
    finally:
        for database in databases:
            database.dispose()
