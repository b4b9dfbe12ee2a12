"""The runner input ``{item, item_type, arch, uuid, jobid}``, checked before anything runs.

Every field may come from a bus message, so each is checked for what it becomes: ``uuid``
names a directory (so it must be a safe path component), ``item_type`` names a formula
variable (so it must be an identifier that shadows none of the runner's own variables), and
``item`` is data that is passed on exactly as given (only NUL and line breaks are refused,
which no item name has and which would corrupt argv and logs).
"""

from __future__ import annotations

import re
import uuid as uuid_module
from dataclasses import asdict, dataclass
from typing import Any

from .errors import InputError

__all__ = ["ITEM_TYPES", "RESERVED_NAMES", "RunInput", "item_problem"]

#: Taskotron's ReportType values, shown in help; other identifiers are accepted too.
ITEM_TYPES = (
    "bodhi_update",
    "compose",
    "dist_git_commit",
    "docker_image",
    "git_commit",
    "koji_build",
    "koji_tag",
    "module_build",
    "pull_request",
)

#: Variables the runner defines itself; an item type may not take one of these names.
RESERVED_NAMES = frozenset(
    {"item", "item_type", "arch", "uuid", "jobid", "workdir", "artifactsdir", "taskdir"}
)

_SAFE_UUID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_ITEM_TYPE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ARCH = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")
_BAD_ITEM_CHARS = re.compile(r"[\x00\r\n]")
_KEYS = ("item", "item_type", "arch", "uuid", "jobid")


def item_problem(item: str) -> str | None:
    """Why no job can run ``item`` (a NUL or a line break: they corrupt argv and logs), or
    None. The trigger asks before it records a job, the master and the runner before a run."""
    if _BAD_ITEM_CHARS.search(item):
        return f"item {item!r} contains a NUL or line break"
    return None


@dataclass(frozen=True)
class RunInput:
    item: str
    item_type: str
    arch: str = "noarch"
    uuid: str = ""
    jobid: str = "-1"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunInput:
        """Check a runner-input dict and fill the defaults (a fresh uuid, arch noarch).

        Raises:
            InputError: naming every bad field at once.
        """
        unknown = sorted(set(data) - set(_KEYS) - {"formula", "taskname"})
        problems = [f"unknown key {key!r} (valid: {', '.join(_KEYS)})" for key in unknown]
        values = {key: data.get(key) for key in _KEYS}
        for key, value in values.items():
            if value is not None and not isinstance(value, str):
                problems.append(f"{key} must be a string, {type(value).__name__!r} found")
        if problems:
            raise InputError("runner input: " + "; ".join(problems))
        item = values["item"] or ""
        item_type = values["item_type"] or ""
        arch = values["arch"] or "noarch"
        run_uuid = values["uuid"] or str(uuid_module.uuid4())
        jobid = values["jobid"] or "-1"
        if not item:
            problems.append("item is required (-i ITEM)")
        elif problem := item_problem(item):
            problems.append(problem)
        if not item_type:
            problems.append(f"item_type is required (-t TYPE, e.g. {', '.join(ITEM_TYPES[:3])})")
        elif not _ITEM_TYPE.fullmatch(item_type):
            problems.append(
                f"item_type {item_type!r} must be a lower-case identifier such as koji_build"
            )
        elif item_type in RESERVED_NAMES:
            problems.append(
                f"item_type {item_type!r} is a runner variable name; it cannot be a type"
            )
        if not _ARCH.fullmatch(arch):
            problems.append(f"arch {arch!r} must be lower-case letters, digits and '_' (x86_64)")
        if not _SAFE_UUID.fullmatch(run_uuid):
            problems.append(
                f"uuid {run_uuid!r} must be 1-128 letters, digits, '.', '_' or '-' "
                "starting with a letter or digit (it names the artifacts directory)"
            )
        if _BAD_ITEM_CHARS.search(jobid):
            problems.append(f"jobid {jobid!r} contains a NUL or line break")
        if problems:
            raise InputError("runner input: " + "; ".join(problems))
        return cls(item=item, item_type=item_type, arch=arch, uuid=run_uuid, jobid=jobid)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)
