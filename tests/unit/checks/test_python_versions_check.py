"""checks/python-versions: which Python a requirement names, and the verdict."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest


@pytest.fixture
def check(load_check: Callable[[str], ModuleType]) -> ModuleType:
    return load_check("python-versions/python_versions_check.py")


@pytest.mark.parametrize(
    ("requirement", "major"),
    [
        ("python(abi) = 2.7", 2),
        ("python(abi) = 3.12", 3),
        ("python2", 2),
        ("python3", 3),
        ("python3.12", 3),
        ("python2-six", 2),
        ("python3-requests >= 2.0", 3),
        ("python3dist(requests) >= 2", 3),
        ("python3.12dist(requests)", 3),
        ("python2.7dist(six)", 2),
        ("/usr/bin/python2", 2),
        ("/usr/bin/python3.12", 3),
        ("libpython2.7.so.1.0()(64bit)", 2),
        ("libpython3.12.so.1.0()(64bit)", 3),
        ("python", None),
        ("/usr/bin/python", None),
        ("python-unversioned-command", None),
        ("mypython3", None),
        ("python34", None),
        ("/bin/sh", None),
        ("rpmlib(CompressedFileNames) <= 3.0.4-1", None),
    ],
)
def test_pythons(check: ModuleType, requirement: str, major: int | None) -> None:
    """Assert each kind of requirement is classified by the Python it names, if any."""
    expected = {major: [requirement]} if major else {}
    assert check.pythons([requirement]) == expected


def test_both_in_one_rpm(check: ModuleType) -> None:
    found = check.pythons(["/bin/sh", "python2", "python(abi) = 3.12", "python3-six"])
    assert found == {2: ["python2"], 3: ["python(abi) = 3.12", "python3-six"]}


@pytest.mark.parametrize(
    ("both", "outcome", "note"),
    [
        ([], "PASSED", "no RPM requires both Python 2 and Python 3"),
        (
            ["a-1-1.noarch.rpm", "b-1-1.noarch.rpm"],
            "FAILED",
            "2 RPM(s) require both Python 2 and Python 3: a-1-1.noarch.rpm, b-1-1.noarch.rpm",
        ),
    ],
)
def test_verdict(check: ModuleType, both: list[str], outcome: str, note: str) -> None:
    assert check.verdict("a-1-1.fc40", both) == {
        "item": "a-1-1.fc40",
        "type": "koji_build",
        "checkname": "python-versions",
        "outcome": outcome,
        "note": note,
    }
