"""The same names fed to every stage that checks them: all give the same answer; and the
shapes and exit codes of ``checkline.contracts`` are the ones each stage makes and reads.

Each stage used to keep its own patterns, and they disagreed (``trigger schedule -a X86_64``
recorded a job the runner refused; a check ``c++-check`` passed the trigger and was refused at
build time). Now they share ``checkline.contracts``; this table holds them to it through each
stage's own interface: the trigger's rules and ``trigger schedule``, the master's job check,
the local backend, and the runner's input.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from checkline.cli import main
from checkline.contracts import (
    JOB_KEYS,
    ExitCode,
    Job,
    JobRequest,
    RunnerInput,
    Verdict,
    namespaced_testcase,
)
from checkline.master.jobs import JOB_PROPERTIES, JobPropertiesError, job_from_properties
from checkline.master.steps import RUNNER_RESULTS, RUNNER_SUMMARIES
from checkline.reporting.verdicts import REQUIRED_KEYS
from checkline.runner.errors import InputError
from checkline.runner.job import RunInput
from checkline.trigger.backends.buildbot import RUNNER_CRASHED
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


def test_job_keys_are_the_job_typeddicts() -> None:
    """Assert JOB_KEYS are the Job TypedDict's keys, in the documented order, all required;
    a JobRequest (what rules ask for) is the same without the uuid the ledger mints."""
    assert JOB_KEYS == ("item", "item_type", "taskname", "arch", "uuid")
    assert tuple(Job.__annotations__) == JOB_KEYS
    assert Job.__required_keys__ == frozenset(JOB_KEYS)
    assert tuple(JobRequest.__annotations__) == JOB_KEYS[:-1]
    assert JobRequest.__required_keys__ == frozenset(JOB_KEYS[:-1])


def test_master_makes_the_job_of_the_contract(tmp_path: Path) -> None:
    """Assert the master's job from build properties, the properties its ForceScheduler
    declares and the job ``trigger schedule`` records all have exactly the Job's keys."""
    assert tuple(job_from_properties(GOOD)) == JOB_KEYS
    assert JOB_PROPERTIES == JOB_KEYS
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    args = ["trigger", "schedule", "--db", db, "-i", "x-1-1", "-t", "koji_build",
            "--task", "dummy", "-a", "x86_64"]  # fmt: skip
    assert CliRunner().invoke(main, args).exit_code == 0
    done = CliRunner().invoke(main, ["jobs", "list", "--db", db, "--json"])
    assert done.exit_code == 0, done.output
    (row,) = json.loads(done.output)
    assert set(JOB_KEYS) <= set(row)


def test_runner_input_keys_are_what_the_runner_takes() -> None:
    """Assert the runner takes a RunnerInput with every key, and with its required keys only;
    it refuses one without a required key, and any key RunnerInput does not declare."""
    full: RunnerInput = {
        "item": "x-1-1",
        "item_type": "koji_build",
        "arch": "x86_64",
        "uuid": "u-1",
        "jobid": "b/1",
        "formula": "f.yml",
        "taskname": "t",
    }
    assert set(full) == set(RunnerInput.__annotations__)
    assert RunnerInput.__required_keys__ == {"item", "item_type"}
    assert RunInput.from_dict(full).arch == "x86_64"
    assert RunInput.from_dict({"item": "x-1-1", "item_type": "koji_build"}).arch == "noarch"
    for key in RunnerInput.__required_keys__:
        with pytest.raises(InputError, match=f"{key} is required"):
            RunInput.from_dict({k: v for k, v in full.items() if k != key})
    with pytest.raises(InputError, match="unknown key 'colour'"):
        RunInput.from_dict({**full, "colour": "blue"})


def test_verdict_required_keys_are_what_reporting_checks() -> None:
    """Assert the Verdict's required keys are the ones reporting refuses a verdict without."""
    assert Verdict.__required_keys__ == frozenset(REQUIRED_KEYS)
    assert {"checkname", "summary", "details", "arch", "artifact"} <= Verdict.__optional_keys__


def test_exit_codes() -> None:
    """Assert the runner's exit codes are the documented ones, the master gives each a build
    result (and each but OK a summary), and the trigger reads 2 and 3 as a crashed run."""
    assert {code.name: code.value for code in ExitCode} == {
        "OK": 0, "EXECUTION_ERROR": 2, "JOB_ERROR": 3, "VERDICT_FAILED": 100}  # fmt: skip
    assert set(RUNNER_RESULTS) == set(ExitCode)
    assert set(RUNNER_SUMMARIES) == set(ExitCode) - {ExitCode.OK}
    assert set(RUNNER_CRASHED) == {2, 3}


@pytest.mark.parametrize(
    ("checkname", "namespace", "expected"),
    [
        ("two_three", "dist", "dist.two_three"),  # no dot: prefixed
        # dotted: prefixed too, as libtaskotron posted taskotron-python-versions' names
        ("python-versions.two_three", "dist", "dist.python-versions.two_three"),
        ("dist.python-versions", "dist", "dist.python-versions"),  # already <namespace>.: kept
        ("distro.x", "dist", "dist.distro.x"),  # a longer word is not the namespace
        ("python-versions.two_three", "", "python-versions.two_three"),  # no namespace
        ("rpmlint", "", "rpmlint"),
        ("dist", "dist", "dist.dist"),  # equal to the namespace: not "<namespace>.", prefixed
        ("pkg.dist.x", "pkg.dist", "pkg.dist.x"),  # a dotted namespace
        ("dist.x", "pkg.dist", "pkg.dist.dist.x"),
    ],
)
def test_namespaced_testcase_is_libtaskotrons_rule(
    checkname: str, namespace: str, expected: str
) -> None:
    """Assert a checkname's testcase is libtaskotron's: every name prefixed with the
    namespace, dotted ones too, unless it already starts with ``<namespace>.``."""
    assert namespaced_testcase(checkname, namespace) == expected
