"""Factories for the trigger's unit tests: real-shaped messages built with the schema classes,
Events and Jobs with overrides, and a FakeBackend that records what it was given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bodhi.messages.schemas.update import UpdateReadyForTestingV3
from koji_fedoramessaging_messages.build import BuildStateChangeV1
from koji_fedoramessaging_messages.tag import TagV1

from checkline.trigger.backends.base import Backend
from checkline.trigger.errors import BackendError, BackendUnavailable
from checkline.trigger.ledger import JobStatus

KOJI_BODY: dict[str, Any] = {
    "build_id": 26,
    "name": "python-requests",
    "version": "2.32.3",
    "release": "1.fc42",
    "epoch": None,
    "attribute": "state",
    "old": 0,
    "new": 1,
    "owner": "pkgr",
    "instance": "primary",
    "task_id": 13,
    "request": ["git+https://src.fedoraproject.org/rpms/python-requests.git#abc", "f42", {}],
    "creation_time": "2026-11-23T10:00:00+00:00",
    "completion_time": None,
    "task": {"id": 13, "method": "build", "host_id": None, "arch": "noarch", "result": None},
}
TAG_BODY: dict[str, Any] = {
    "build_id": 1457909,
    "name": "http-parser",
    "version": "2.9.3",
    "release": "1.fc31",
    "tag": "f31-updates-pending",
    "tag_id": 6446,
    "user": "bodhi",
    "owner": "sgallagh",
    "instance": "primary",
}


def koji_build(**overrides: Any) -> BuildStateChangeV1:
    return BuildStateChangeV1(body={**KOJI_BODY, **overrides})


def koji_tag(**overrides: Any) -> TagV1:
    return TagV1(body={**TAG_BODY, **overrides})


def bodhi_update(
    alias: str = "FEDORA-2026-0123456789",
    nvrs: tuple[str, ...] = ("python-requests-2.32.3-1.fc42",),
) -> UpdateReadyForTestingV3:
    update = {
        "alias": alias,
        "builds": [{"nvr": nvr} for nvr in nvrs],
        "user": {"name": "pkgr"},
        "status": "pending",
        "request": "testing",
        "release": {"name": "F42", "version": "42", "dist_tag": "f42"},
    }
    artifact = {
        "type": "koji-build-group",
        "builds": [{"type": "koji-build", "id": 26, "task_id": 13, "nvr": nvr} for nvr in nvrs],
    }
    return UpdateReadyForTestingV3(body={"agent": "bodhi", "update": update, "artifact": artifact})


def make_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "item": "python-requests-2.32.3-1.fc42",
        "item_type": "koji_build",
        "name": "python-requests",
        "package": "python-requests",
        "version": "2.32.3",
        "release": "1.fc42",
        "owner": "pkgr",
        "instance": "primary",
        "target": "f42",
        "topic": "buildsys.build.state.change",
        "msg_id": "m-1",
    }
    event.update(overrides)
    return event


def make_job(**overrides: Any) -> dict[str, Any]:
    job = {"item": "xchat-0.5-1.fc20", "item_type": "koji_build", "taskname": "dummy"}
    job["arch"] = "x86_64"
    job.update(overrides)
    return job


class FakeBackend(Backend):
    """Records what it was given; ``down`` makes it fail transiently, ``refuse`` for good."""

    name = "fake"

    def __init__(self) -> None:
        self.submitted: list[dict[str, Any]] = []
        self.down = False
        self.refuse: set[str] = set()
        self.statuses: dict[str, JobStatus] = {}

    def submit(self, job: Mapping[str, Any]) -> str:
        if self.down:
            raise BackendUnavailable("backend is down")
        if job["taskname"] in self.refuse:
            raise BackendError(f"no such builder for {job['taskname']}")
        self.submitted.append(dict(job))
        return f"token-{len(self.submitted)}"

    def status(self, token: str) -> JobStatus | None:
        return self.statuses.get(token)

    def cancel(self, token: str) -> None:
        return None

    def info_url(self, token: str) -> str | None:
        return f"http://backend.example/{token}"
