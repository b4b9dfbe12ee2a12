"""The runner input ``{item, item_type, arch, uuid, jobid}``, checked before anything runs.

Every field may come from a bus message, so each is checked for what it becomes: ``uuid``
names a directory (so it must be a safe path component), ``item_type`` names a formula
variable (so it must be an identifier that shadows none of the runner's own variables), and
``item`` is data that is passed on exactly as given (only NUL and line breaks are refused,
which no item name has and which would corrupt argv and logs).
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from checkline.contracts import NOARCH, arch_problem, item_problem, item_type_problem, uuid_problem

from .errors import InputError

__all__ = ["ITEM_TYPES", "RESERVED_NAMES", "RunInput"]

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

_KEYS = ("item", "item_type", "arch", "uuid", "jobid")


@dataclass(frozen=True)
class RunInput:
    item: str
    item_type: str
    arch: str = NOARCH
    uuid: str = ""
    jobid: str = "-1"

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RunInput:
        """Check a runner-input dict (``checkline.contracts.RunnerInput``, from a JSON file or
        build properties: not trusted) and fill the defaults (a fresh uuid, arch noarch).

        Raises:
            InputError: naming every bad field at once.
        """
        # A Job dict may come as it is: its taskname (the check) is tolerated, the formula
        # says which check runs.
        unknown = sorted(set(data) - set(_KEYS) - {"formula", "taskname"})
        problems = [f"unknown key {key!r} (valid: {', '.join(_KEYS)})" for key in unknown]
        values: dict[str, str | None] = {}
        for key in _KEYS:
            value = data.get(key)
            if value is None or isinstance(value, str):
                values[key] = value
            else:
                problems.append(f"{key} must be a string, {type(value).__name__!r} found")
        if problems:
            raise InputError("runner input: " + "; ".join(problems))
        item = values["item"] or ""
        item_type = values["item_type"] or ""
        arch = values["arch"] or NOARCH
        run_uuid = values["uuid"] or str(uuid_module.uuid4())
        jobid = values["jobid"] or "-1"
        if not item:
            problems.append("item is required (-i ITEM)")
        elif problem := item_problem(item):
            problems.append(problem)
        if not item_type:
            problems.append(f"item_type is required (-t TYPE, e.g. {', '.join(ITEM_TYPES[:3])})")
        elif problem := item_type_problem(item_type):
            problems.append(problem)
        elif item_type in RESERVED_NAMES:
            problems.append(
                f"item_type {item_type!r} is a runner variable name; it cannot be a type"
            )
        if problem := arch_problem(arch):
            problems.append(problem)
        if problem := uuid_problem(run_uuid):
            problems.append(problem)
        if item_problem(jobid):
            problems.append(f"jobid {jobid!r} contains a NUL or line break")
        if problems:
            raise InputError("runner input: " + "; ".join(problems))
        return cls(item=item, item_type=item_type, arch=arch, uuid=run_uuid, jobid=jobid)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)
