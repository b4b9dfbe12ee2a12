"""checks/rpmlint: counting rpmlint's findings and the verdict (rpmlint itself runs in
tests/integration/rpm/test_checks.py)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

RPMLINT2 = """\
checkline-broken.x86_64: E: world-writable /usr/bin/checkline-broken 777
checkline-broken.x86_64: W: no-documentation
 2 packages and 0 specfiles checked; 6 errors, 5 warnings, 6 badness; has taken 0.0 s
"""
RPMLINT1 = """\
foo.x86_64: W: spelling-error %description -l en_US teh -> the
1 packages and 0 specfiles checked; 0 errors, 1 warnings.
"""
NO_SUMMARY = "a.noarch: E: x\na.noarch: E: y\na.noarch: W: z\n"


@pytest.fixture
def rpmlint(load_check: Callable[[str], ModuleType]) -> ModuleType:
    return load_check("rpmlint/rpmlint_check.py")


@pytest.mark.parametrize(
    ("output", "counts"),
    [(RPMLINT2, (6, 5)), (RPMLINT1, (0, 1)), (NO_SUMMARY, (2, 1)), ("", (0, 0))],
    ids=["rpmlint-2", "rpmlint-1", "no-summary", "empty"],
)
def test_count(rpmlint: ModuleType, output: str, counts: tuple[int, int]) -> None:
    """Assert the summary line is read (rpmlint 1 and 2), else the E:/W: lines counted."""
    assert rpmlint.count(output) == counts


@pytest.mark.parametrize(
    ("errors", "warnings", "linted", "outcome", "note"),
    [
        (6, 5, 2, "FAILED", "6 errors, 5 warnings"),
        (0, 5, 2, "PASSED", "0 errors, 5 warnings"),
        (0, 0, 0, "INFO", "no RPMs to lint for this arch"),
    ],
)
def test_verdict(
    rpmlint: ModuleType, errors: int, warnings: int, linted: int, outcome: str, note: str
) -> None:
    """Assert errors fail the build, warnings alone do not, and nothing linted is INFO."""
    assert rpmlint.verdict("foo-1-1.fc40", errors, warnings, linted) == {
        "item": "foo-1-1.fc40",
        "type": "koji_build",
        "checkname": "rpmlint",
        "outcome": outcome,
        "note": note,
    }
