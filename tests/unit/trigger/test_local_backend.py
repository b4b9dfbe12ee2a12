"""The local backend: argv built from data (never a shell), a real run of checks/dummy."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from checkline.trigger.backends.local import LocalBackend
from checkline.trigger.errors import BackendError, BackendUnavailable
from checkline.trigger.ledger import JobStatus


def job(**overrides: str) -> dict[str, str]:
    base = {"item": "xchat-0.5-1.fc20", "item_type": "koji_build", "taskname": "dummy"}
    base.update(arch="x86_64", uuid=str(uuid.uuid4()))
    base.update(overrides)
    return base


def test_argv_keeps_hostile_item_one_argument(checks_dir: Path, tmp_path: Path) -> None:
    """Assert an item like '-x; $(id)' stays one --item=... argument."""
    backend = LocalBackend(checks_dir, tmp_path, command=["checkline"])
    the_job = job(item="--help; $(touch /tmp/x) `id`")
    argv = backend.argv(the_job)
    assert argv == [
        "checkline",
        "run",
        str(checks_dir / "dummy" / "runtask.yml"),
        "--item=--help; $(touch /tmp/x) `id`",
        "--type=koji_build",
        "--arch=x86_64",
        f"--uuid={the_job['uuid']}",
        f"--artifacts={tmp_path.resolve()}",
    ]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"taskname": "../runner"}, r"'\.\./runner' is not a check name"),
        ({"taskname": "no-such-check"}, r"check 'no-such-check' is not in "),
        ({"uuid": "../../etc"}, r"'\.\./\.\./etc' is not a uuid"),
    ],
)
def test_refused_jobs(
    checks_dir: Path, tmp_path: Path, overrides: dict[str, str], error: str
) -> None:
    """Assert a job naming a path or an unknown check, or a bad uuid, is refused for good."""
    with pytest.raises(BackendError, match=error):
        LocalBackend(checks_dir, tmp_path).submit(job(**overrides))


def test_real_run_finishes(checks_dir: Path, tmp_path: Path) -> None:
    """Assert a submitted job runs checks/dummy to its end: RUNNING, then FINISHED."""
    backend = LocalBackend(checks_dir, tmp_path / "artifacts", max_running=1)
    the_job = job()
    token = backend.submit(the_job)
    assert token == the_job["uuid"]
    with pytest.raises(BackendUnavailable, match="1 local runs already running"):
        backend.submit(job())
    assert backend.status(token) in (JobStatus.RUNNING, JobStatus.FINISHED)
    deadline = time.monotonic() + 60
    while backend.status(token) == JobStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.1)
    assert backend.status(token) == JobStatus.FINISHED
    assert (tmp_path / "artifacts" / token / "results.tap").is_file()
    assert backend.info_url(token) == (tmp_path / "artifacts" / token).resolve().as_uri() + "/"
    # a new backend (a restarted consumer) still knows, from execution.json
    assert LocalBackend(checks_dir, tmp_path / "artifacts").status(token) == JobStatus.FINISHED
    assert LocalBackend(checks_dir, tmp_path / "artifacts").status(str(uuid.uuid4())) is None


def test_full_backend_leaves_jobs_scheduled(checks_dir: Path, tmp_path: Path) -> None:
    """Assert jobs beyond local_max_running wait as SCHEDULED (not an error), then run."""
    from checkline.trigger.dispatch import Dispatcher
    from checkline.trigger.ledger import Ledger

    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    backend = LocalBackend(checks_dir, tmp_path / "artifacts", max_running=1)
    ledger.record(
        "m",
        [
            {"item": f"p{n}-1-1", "item_type": "koji_build", "taskname": "dummy", "arch": "x86_64"}
            for n in range(2)
        ],
    )
    dispatcher = Dispatcher(ledger, backend)
    assert dispatcher.submit_pending() == 1
    assert [j["status"] for j in ledger.list()] == ["SUBMITTED", "SCHEDULED"]
    assert ledger.list()[1]["error"] is None
    deadline = time.monotonic() + 60
    while not backend.ready() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dispatcher.submit_pending() == 1
    ledger.dispose()
