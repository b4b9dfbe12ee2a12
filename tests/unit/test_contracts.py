"""The same names fed to every stage that checks them: all give the same answer.

Each stage used to keep its own patterns, and they disagreed (``trigger schedule -a X86_64``
recorded a job the runner refused; a check ``c++-check`` passed the trigger and was refused at
build time). Now they share ``checkline.contracts``; this table holds them to it through each
stage's own interface: the trigger's rules and ``trigger schedule``, the master's job check,
the local backend, and the runner's input.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from checkline.cli import main
from checkline.master.jobs import JobPropertiesError, job_from_properties
from checkline.runner.errors import InputError
from checkline.runner.job import RunInput
from checkline.trigger.backends.local import LocalBackend
from checkline.trigger.errors import BackendError, RulesError
from checkline.trigger.rules import check_problem, parse_rules

GOOD = {"item": "xchat-0.5-1.fc20", "item_type": "koji_build", "taskname": "dummy",
        "arch": "x86_64", "uuid": str(uuid.uuid4())}  # fmt: skip

ARCHES = {
    # real arches
    "x86_64": True, "aarch64": True, "i686": True, "ppc64le": True, "s390x": True,
    "armv7hl": True, "noarch": True, "src": True,
    # refused everywhere
    "X86_64": False, "arm-v7": False, "x86.64": False, "x86+64": False, "ärm": False,
    "": False, "a" * 33: False, "-x": False,
}  # fmt: skip
CHECKS = {
    "rpmlint": True, "python-versions": True, "check_modulemd": True, "dist.rpmlint": True,
    "c++-check": True, "C-Check": True, "a" * 128: True,
    "../x": False, "a/b": False, "-x": False, ".hidden": False, "ünicode": False, "": False,
    "a" * 129: False, "x y": False, "${task}": False,
}  # fmt: skip
ITEM_TYPES = {"koji_build": True, "bodhi_update": True, "Koji_build": False, "koji-build": False,
              "1type": False, "": False}  # fmt: skip


def runner_takes(**values: str) -> bool:
    try:
        RunInput.from_dict({k: v for k, v in {**GOOD, **values}.items() if k != "taskname"})
    except InputError:
        return False
    return True


def master_takes(**values: str) -> bool:
    try:
        job_from_properties({**GOOD, **values})
    except JobPropertiesError:
        return False
    return True


def rules_take_arch(arch: str, checks_dir: Path) -> bool:
    rules = [{"when": {"item_type": "koji_build"}, "do": [{"tasks": ["dummy"], "arches": [arch]}]}]
    try:
        parse_rules(rules, "rules.yml", checks_dir, ["x86_64"])
    except RulesError:
        return False
    return True


def schedule_takes(tmp_path: Path, **options: str) -> bool:
    values = {"item": GOOD["item"], "type": GOOD["item_type"], "check": "dummy",
              "arch": "x86_64", **options}  # fmt: skip
    args = ["trigger", "schedule", "--db", f"sqlite:///{tmp_path / 'ledger.sqlite'}",
            "-i", values["item"], "-t", values["type"], "--check", values["check"],
            "-a", values["arch"]]  # fmt: skip
    done = CliRunner().invoke(main, args)
    assert done.exit_code in (0, 2), done.output  # accepted, or a usage error naming it
    return done.exit_code == 0


@pytest.mark.parametrize(("arch", "valid"), ARCHES.items())
def test_arch_same_answer_everywhere(
    arch: str, valid: bool, checks_dir: Path, tmp_path: Path
) -> None:
    answers = {
        "trigger rules": rules_take_arch(arch, checks_dir) if arch else valid,  # "" never parses
        "trigger schedule": schedule_takes(tmp_path, arch=arch) if arch else valid,
        "master": master_takes(arch=arch),
        "runner": runner_takes(arch=arch) if arch else valid,  # `checkline run` alone: noarch
    }
    assert answers == dict.fromkeys(answers, valid)


@pytest.mark.parametrize(("check", "valid"), CHECKS.items())
def test_check_name_same_answer_everywhere(
    check: str, valid: bool, checks_dir: Path, tmp_path: Path
) -> None:
    def local_takes() -> bool:
        try:
            LocalBackend(checks_dir, tmp_path).argv({**GOOD, "taskname": check})
        except BackendError as err:
            return "is not in" in str(err)  # the name passed; no such folder
        return True

    trigger = check_problem(check, checks_dir)
    answers = {
        "trigger": trigger is None or "is not in the checks repo" in trigger,
        "local backend": local_takes(),
        "master": master_takes(taskname=check),
    }
    assert answers == dict.fromkeys(answers, valid)


@pytest.mark.parametrize(("item_type", "valid"), ITEM_TYPES.items())
def test_item_type_same_answer_everywhere(item_type: str, valid: bool, tmp_path: Path) -> None:
    answers = {
        "trigger schedule": schedule_takes(tmp_path, type=item_type) if item_type else valid,
        "master": master_takes(item_type=item_type),
        "runner": runner_takes(item_type=item_type),
    }
    assert answers == dict.fromkeys(answers, valid)


@pytest.mark.parametrize(
    ("item", "valid"),
    [("xchat-0.5-1.fc20", True), ("évolution-1-1", True), ("x$(id)`y`-1-1", True),
     ("x\n-1-1", False), ("x\r-1-1", False)],
)  # fmt: skip
def test_item_same_answer_everywhere(item: str, valid: bool, tmp_path: Path) -> None:
    answers = {
        "trigger schedule": schedule_takes(tmp_path, item=item),
        "master": master_takes(item=item),
        "runner": runner_takes(item=item),
    }
    assert answers == dict.fromkeys(answers, valid)
