"""With users set, the web UI's control endpoints (force, stop) need them; reads stay open."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from buildbot_stack import BuildbotStack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuildbotStack]:
    folder: Path = tmp_path_factory.mktemp("buildbot-auth")
    stack = BuildbotStack(folder, resultsdb_url="http://127.0.0.1:9", users={"qa": "s3cret"})
    try:
        yield stack.start()
    finally:
        stack.stop()


def props() -> dict[str, str]:
    return {
        "item": "xchat-0.5-1.fc20",
        "item_type": "koji_build",
        "taskname": "dummy",
        "arch": "noarch",
        "uuid": str(uuid.uuid4()),
    }


def test_assert_force_refused_without_credentials(stack: BuildbotStack) -> None:
    refused = stack.force(**props())
    assert refused.status_code == 403, refused.text
    wrong = stack.force(auth=("qa", "wrong"), **props())
    assert wrong.status_code in (401, 403)
    assert stack.get("buildrequests")["buildrequests"] == []


def test_assert_force_allowed_with_credentials(stack: BuildbotStack) -> None:
    allowed = stack.force(auth=("qa", "s3cret"), **props())
    assert allowed.status_code == 200, allowed.text
    assert "result" in allowed.json()


def test_assert_reads_stay_open(stack: BuildbotStack) -> None:
    response = requests.get(f"{stack.url}api/v2/builders", timeout=10)
    assert response.status_code == 200
    assert sorted(b["name"] for b in response.json()["builders"]) == ["noarch", "x86_64"]


def test_assert_trigger_backend_logs_in(stack: BuildbotStack) -> None:
    from checkline.trigger.backends.buildbot import BuildbotBackend
    from checkline.trigger.errors import BackendError

    job = props()
    token = BuildbotBackend(stack.url, "checkline", login=("qa", "s3cret")).submit(job)
    assert int(token) > 0
    with pytest.raises(BackendError, match="you need to have role 'admins'"):
        BuildbotBackend(stack.url, "checkline").submit(props())
    with pytest.raises(BackendError, match="Buildbot login as 'qa' refused"):
        BuildbotBackend(stack.url, "checkline", login=("qa", "wrong")).submit(props())
