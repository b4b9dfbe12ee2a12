"""The job a build runs, from its Buildbot properties: checked before anything uses them.

The properties come from the ForceScheduler, so from a bus message: each is checked for what
it becomes (``uuid`` and ``taskname`` name folders, ``item`` is one argv element). Pure
functions over plain dicts; no Buildbot import, so they are tested without a master.
"""

from __future__ import annotations

import enum
import shutil
from collections.abc import Mapping
from pathlib import Path

from checkline.contracts import JOB_KEYS, Job, check_name_problem
from checkline.runner.errors import InputError
from checkline.runner.job import RunInput

__all__ = [
    "JOB_PROPERTIES",
    "JobPropertiesError",
    "artifacts_path",
    "job_from_properties",
    "reserve_artifacts",
]

#: What the ForceScheduler declares (undeclared parameters are silently dropped by Buildbot):
#: the Job's keys.
JOB_PROPERTIES = JOB_KEYS


class JobPropertiesError(ValueError):
    """A build's properties cannot make a job (a job error: the build is never retried)."""


def job_from_properties(props: Mapping[str, object]) -> Job:
    """The Job dict ``{item, item_type, taskname, arch, uuid}`` of a build (``taskname``: the
    check, a folder of the checks repository; the properties come from a bus message: anything
    may be in them).

    Raises:
        JobPropertiesError: naming every bad property.
    """
    problems = []
    taskname = props.get("taskname") or ""
    if not isinstance(taskname, str):
        problems.append(f"taskname {taskname!r} must be a check's folder name")
    elif problem := check_name_problem(taskname):
        problems.append(f"taskname {taskname!r} must be a check's folder name: {problem}")
    if not props.get("uuid"):
        problems.append("uuid is required (it names the artifacts and the ResultsDB group)")
    if not props.get("arch"):
        # The runner reads no arch as noarch; a build always has one (its builder's).
        problems.append("arch is required (the trigger always sets it)")
    try:
        run = RunInput.from_dict(
            {key: props.get(key) or None for key in ("item", "item_type", "arch", "uuid")}
        )
    except InputError as err:
        problems.append(str(err).removeprefix("runner input: "))
        run = None
    if run is None or problems:
        raise JobPropertiesError("build properties: " + "; ".join(problems))
    return {
        "item": run.item,
        "item_type": run.item_type,
        "taskname": str(taskname),
        "arch": run.arch,
        "uuid": run.uuid,
    }


def artifacts_path(artifacts_root: str | Path, uuid: str) -> Path:
    """``<artifacts_root>/<uuid>``, for a uuid already checked by ``job_from_properties``."""
    path = Path(artifacts_root) / uuid
    if path.parent != Path(artifacts_root) or uuid in (".", ".."):
        raise JobPropertiesError(f"uuid {uuid!r} does not name a folder")
    return path


#: In a job's artifacts folder: the Buildbot build request it belongs to.
RESERVATION_FILE = ".checkline-request"


class Reservation(enum.Enum):
    NEW = "new"  #: the folder is this job's, freshly made
    RETRY = "retry"  #: Buildbot retries the same request (a worker was lost): folder emptied
    DUPLICATE = "duplicate"  #: another request already owns this uuid: nothing is touched


def reserve_artifacts(path: Path, request_id: int) -> Reservation:
    """Make ``path`` (``<artifacts_root>/<uuid>``) the artifacts folder of build request
    ``request_id``.

    A uuid names one job: a second request with the same uuid must not overwrite the first's
    artifacts (Taskotron's issue 273). But Buildbot runs a request again when its worker was
    lost (result RETRY), with the same properties: that build may reuse the folder.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    marker = path / RESERVATION_FILE
    try:
        path.mkdir()
    except FileExistsError:
        try:
            owner = int(marker.read_text().strip())
        except (OSError, ValueError):
            return Reservation.DUPLICATE
        if owner != request_id:
            return Reservation.DUPLICATE
        for child in path.iterdir():
            if child.name != RESERVATION_FILE:
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        return Reservation.RETRY
    marker.write_text(f"{request_id}\n")
    return Reservation.NEW
