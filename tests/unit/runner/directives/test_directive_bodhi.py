"""The ``bodhi`` directive's pure parts: parameters and reading Bodhi's update JSON.

The update is fetched and its builds downloaded against the stand-ins in
tests/integration/rpm/test_bodhi_directive.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from checkline.runner.directives.bodhi import Bodhi, update_builds
from checkline.runner.errors import ParamsError


def test_valid_params() -> None:
    """Assert Taskotron's parameters validate and one arch becomes a list."""
    params = Bodhi().validate(
        {"action": "download", "update_id": "FEDORA-2024-1a2b", "arch": "x86_64", "src": True}
    )
    assert params.arch == ["x86_64"]
    assert params.src is True
    assert params.target_dir is None


@pytest.mark.parametrize(
    ("params", "problems"),
    [
        (
            {"action": "download", "arch": "all"},
            [(("update_id",), "is required")],
        ),
        (
            {"action": "comment", "update_id": "F-1", "arch": "all"},
            [(("action",), "must be 'download', 'comment' found")],
        ),
        (
            {"action": "download", "update_id": "", "arch": "all"},
            [(("update_id",), "String should have at least 1 character")],
        ),
        (
            {"action": "download", "update_id": "F-1", "arch": "all", "debuginfo": True},
            [
                (
                    ("debuginfo",),
                    "unknown key; valid keys: action, update_id, arch, src, target_dir",
                )
            ],
        ),
    ],
    ids=["no-update", "bad-action", "empty-update", "unknown-key"],
)
def test_invalid_params(params: dict[str, Any], problems: list[Any]) -> None:
    """Assert bad parameters are refused with exact messages and locations."""
    with pytest.raises(ParamsError) as caught:
        Bodhi().validate(params)
    assert caught.value.problems == problems


def test_update_builds_reads_rpm_builds() -> None:
    """Assert the NVRs of the update's RPM builds, in order, other build types skipped."""
    answer = {
        "update": {
            "alias": "FEDORA-2024-1a2b",
            "builds": [
                {"nvr": "b-1-1.fc40", "type": "rpm", "signed": True},
                {"nvr": "flatpak-1-1", "type": "flatpak"},
                {"nvr": "a-2-1.fc40"},
            ],
        },
        "can_edit": False,
    }
    assert update_builds(answer) == ["b-1-1.fc40", "a-2-1.fc40"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"updates": []}, "no 'update.builds' list in the answer"),
        ([1, 2], "no 'update.builds' list in the answer"),
        ({"update": ["builds"]}, "no 'update.builds' list in the answer"),
        ({"update": {"builds": [{"type": "rpm"}]}}, "a build without an 'nvr': {'type': 'rpm'}"),
    ],
)
def test_update_builds_refuses_other_shapes(answer: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        update_builds(answer)
    assert str(caught.value) == message
