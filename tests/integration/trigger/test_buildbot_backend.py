"""The buildbot backend against a real Buildbot master and worker, which run the real runner.

The fixture creates a master (SQLite) and a worker in a temporary folder, on free ports of
127.0.0.1: builders ``x86_64`` and ``noarch`` (and ``ppc64le``, whose worker never connects),
a ForceScheduler ``force`` taking the five job properties, ``collapseRequests = False``, and
one step running ``checkline run`` on the task's formula (an argv list, the properties as
single arguments).
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from trigger_bus import free_port, wait_for

from checkline.trigger.backends.buildbot import BuildbotBackend
from checkline.trigger.dispatch import Dispatcher
from checkline.trigger.errors import BackendError, BackendUnavailable
from checkline.trigger.ledger import JobStatus, Ledger, public

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[3]

MASTER_CFG = """
from buildbot.plugins import schedulers, steps, util, worker

c = BuildmasterConfig = {{}}
c["buildbotURL"] = "{url}"
c["buildbotNetUsageData"] = None
c["db"] = {{"db_url": "sqlite:///state.sqlite"}}
c["protocols"] = {{"pb": {{"port": "tcp:{pb}:interface=127.0.0.1"}}}}
# w2 never connects: requests for its builder (ppc64le) wait, so a test can cancel one.
c["workers"] = [worker.Worker("w1", "pass", max_builds=2), worker.Worker("w2", "pass")]
c["collapseRequests"] = False
ARCHES = ["x86_64", "noarch"]
c["schedulers"] = [
    schedulers.ForceScheduler(
        name="force",
        builderNames=[*ARCHES, "ppc64le"],
        properties=[
            util.StringParameter(name=p, default="")
            for p in ("item", "item_type", "taskname", "arch", "uuid")
        ],
    )
]
f = util.BuildFactory()
f.addStep(
    steps.ShellCommand(
        name="runtask",
        logEnviron=False,
        command=[
            "{checkline}",
            "run",
            util.Interpolate("{checks}/%(prop:taskname)s/runtask.yml"),
            util.Interpolate("--item=%(prop:item)s"),
            util.Interpolate("--type=%(prop:item_type)s"),
            util.Interpolate("--arch=%(prop:arch)s"),
            util.Interpolate("--uuid=%(prop:uuid)s"),
            "--artifacts={artifacts}",
        ],
    )
)
c["builders"] = [util.BuilderConfig(name=a, workernames=["w1"], factory=f) for a in ARCHES]
c["builders"].append(util.BuilderConfig(name="ppc64le", workernames=["w2"], factory=f))
c["www"] = {{"port": "tcp:{www}:interface=127.0.0.1", "plugins": {{}}}}
"""


class Master:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.www, self.pb = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.www}/"
        self.artifacts = base / "artifacts"
        self.master_dir, self.worker_dir = base / "master", base / "worker"

    def run(self, *argv: str) -> None:
        subprocess.run(argv, check=True, capture_output=True, timeout=120, cwd=self.base)

    def start(self) -> None:
        self.run(str(BIN / "buildbot"), "create-master", "-r", str(self.master_dir))
        (self.master_dir / "master.cfg").write_text(
            MASTER_CFG.format(
                url=self.url,
                pb=self.pb,
                www=self.www,
                checkline=BIN / "checkline",
                checks=REPO / "checks",
                artifacts=self.artifacts,
            )
        )
        self.run(str(BIN / "buildbot"), "start", str(self.master_dir))
        self.run(
            str(BIN / "buildbot-worker"),
            "create-worker",
            str(self.worker_dir),
            f"127.0.0.1:{self.pb}",
            "w1",
            "pass",
        )
        self.run(str(BIN / "buildbot-worker"), "start", str(self.worker_dir))
        wait_for(self._worker_connected, 60, "the Buildbot worker to connect")

    def _worker_connected(self) -> bool:
        try:
            workers = requests.get(f"{self.url}api/v2/workers", timeout=5).json()["workers"]
        except (requests.RequestException, ValueError, KeyError):
            return False
        return any(w.get("connected_to") for w in workers)

    def stop(self) -> None:
        for tool, folder in (("buildbot-worker", self.worker_dir), ("buildbot", self.master_dir)):
            subprocess.run(
                [str(BIN / tool), "stop", str(folder)], check=False, capture_output=True, timeout=60
            )


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Master]:
    if not (BIN / "buildbot").exists():
        pytest.skip("!!! buildbot is not installed: the buildbot backend tests DID NOT RUN !!!")
    the_master = Master(tmp_path_factory.mktemp("buildbot"))
    try:
        the_master.start()
    except (subprocess.CalledProcessError, AssertionError) as err:
        the_master.stop()
        log = the_master.master_dir / "twistd.log"
        tail = log.read_text()[-3000:] if log.exists() else ""
        raise AssertionError(f"the Buildbot master did not start: {err}\n{tail}") from err
    yield the_master
    the_master.stop()


def job(**overrides: str) -> dict[str, Any]:
    base = {"item": "xchat-0.5-1.fc20", "item_type": "koji_build", "taskname": "dummy"}
    base.update(arch="x86_64", uuid=str(uuid.uuid4()))
    base.update(overrides)
    return base


def wait_status(backend: BuildbotBackend, token: str, wanted: JobStatus) -> None:
    wait_for(lambda: backend.status(token) == wanted, 120, f"build request {token}: {wanted}")


def test_force_runs_the_job(master: Master) -> None:
    """Assert a submitted job becomes a build with the job's properties, running the runner."""
    backend = BuildbotBackend(master.url)
    the_job = job(item="--item=$(touch /tmp/pwned) x")  # stays one argument, one value
    token = backend.submit(the_job)
    assert token.isdigit()
    assert backend.info_url(token) == f"{master.url}#/buildrequests/{token}"
    wait_status(backend, token, JobStatus.FINISHED)
    builds = requests.get(f"{master.url}api/v2/buildrequests/{token}/builds", timeout=10).json()
    build_id = builds["builds"][0]["buildid"]
    props = requests.get(
        f"{master.url}api/v2/builds/{build_id}", params={"property": "*"}, timeout=10
    ).json()["builds"][0]["properties"]
    for key in ("item", "item_type", "taskname", "arch", "uuid"):
        assert props[key][0] == the_job[key]
    results = master.artifacts / the_job["uuid"] / "results.tap"
    assert results.is_file()
    assert "--item=$(touch /tmp/pwned) x" in results.read_text()
    assert not Path("/tmp/pwned").exists()


def test_unknown_builder_is_permanent(master: Master) -> None:
    """Assert a job for an arch the master has no builder for is refused for good."""
    with pytest.raises(BackendError, match="Buildbot force on forceschedulers/force: "):
        BuildbotBackend(master.url).submit(job(arch="s390x"))


def test_master_down_is_transient() -> None:
    """Assert an unreachable master is a transient error (the job waits)."""
    backend = BuildbotBackend(f"http://127.0.0.1:{free_port()}/", timeout=2)
    with pytest.raises(BackendUnavailable, match="did not answer"):
        backend.submit(job())


def test_ledger_to_buildbot_and_back(master: Master, tmp_path: Path) -> None:
    """Assert recorded jobs go to Buildbot in order and the reconciler sees them FINISHED."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    backend = BuildbotBackend(master.url)
    jobs = [
        job(item=f"pkg{n}-1-1.fc42", arch=arch) for n in range(3) for arch in ("x86_64", "noarch")
    ]
    ledger.record("m1", jobs)
    dispatcher = Dispatcher(ledger, backend)
    assert dispatcher.submit_pending() == 6
    rows = ledger.list()
    assert [int(row["token"]) for row in rows] == sorted(int(row["token"]) for row in rows)
    assert all(row["info_url"].startswith(f"{master.url}#/buildrequests/") for row in rows)

    def all_finished() -> bool:
        dispatcher.reconcile()
        return {row["status"] for row in ledger.list()} == {"FINISHED"}

    wait_for(all_finished, 180, "6 FINISHED jobs")
    for row in ledger.list():
        assert (master.artifacts / row["uuid"] / "execution.json").is_file()
    ledger.dispose()


def test_cancel_a_waiting_request(master: Master) -> None:
    """Assert a request still waiting for a worker is SUBMITTED, and CRASHED once cancelled."""
    backend = BuildbotBackend(master.url)
    token = backend.submit(job(arch="ppc64le"))  # its worker never connects
    time.sleep(1)
    assert backend.status(token) == JobStatus.SUBMITTED
    backend.cancel(token)
    wait_status(backend, token, JobStatus.CRASHED)


def test_find_names_the_request_of_a_uuid(master: Master) -> None:
    """Assert ``find`` gives the build request of a submitted uuid and None for another."""
    backend = BuildbotBackend(master.url)
    the_job = job(arch="ppc64le")  # its worker never connects: the request stays queued
    token = backend.submit(the_job)
    assert backend.find(the_job) == token
    assert backend.find(job()) is None
    backend.cancel(token)


def test_submission_that_landed_before_a_crash_is_adopted(master: Master, tmp_path: Path) -> None:
    """Assert a job Buildbot took just before the dispatcher died (its claim then ran out) is
    adopted by the next pass, not submitted again and refused as a duplicate uuid."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    backend = BuildbotBackend(master.url)
    ledger.record("m1", [job(arch="ppc64le")])
    claimed = ledger.claim_next(lease=0)  # a dispatcher claims it, submits it...
    assert claimed is not None
    token = backend.submit(public(claimed))  # ...and dies before the ledger records it
    dispatcher = Dispatcher(ledger, backend, lease=0)
    assert dispatcher.submit_pending() == 1
    [row] = ledger.list()
    assert (row["status"], row["token"]) == ("SUBMITTED", token)
    uuid_ = claimed["uuid"]
    sets = requests.get(
        f"{master.url}api/v2/buildsets",
        params={"reason__contains": uuid_},
        timeout=10,
    ).json()["buildsets"]
    assert len(sets) == 1  # one build request for the uuid, never two
    backend.cancel(token)
    ledger.dispose()
