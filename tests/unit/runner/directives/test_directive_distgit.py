"""The ``distgit`` directive's pure parts: parameters and Pagure's raw URL layout.

Files are fetched from the dist-git stand-in in tests/integration/rpm/.
"""

from __future__ import annotations

from typing import Any

import pytest

from checkline.runner.directives.distgit import Distgit, raw_url
from checkline.runner.errors import ParamsError


def test_defaults() -> None:
    params = Distgit().validate({"nvr": "xchat-0.5-1.fc40"})
    assert params.package_name() == "xchat"
    assert (params.gitref, params.namespace, params.path, params.ignore_missing) == (
        "rawhide",
        "rpms",
        None,
        False,
    )


@pytest.mark.parametrize(
    ("params", "problems"),
    [
        ({}, [((), "give exactly one of 'package' and 'nvr'")]),
        (
            {"package": "a", "nvr": "a-1-1"},
            [((), "give exactly one of 'package' and 'nvr'")],
        ),
        ({"nvr": "xchat"}, [((), "'xchat' is not name-version-release")]),
        (
            {"package": "../etc"},
            [(("package",), "must match ^[A-Za-z0-9_+][A-Za-z0-9._+-]*$, '../etc' found")],
        ),
        (
            {"package": "a", "gitref": "-rf"},
            [(("gitref",), "must match ^[A-Za-z0-9_][A-Za-z0-9._/+-]*$, '-rf' found")],
        ),
        ({"package": "a", "gitref": "f40/../x"}, [((), "gitref 'f40/../x' must not contain '..'")]),
        (
            {"package": "a", "path": ["../../etc/passwd"]},
            [((), "'../../etc/passwd' must be a relative path without '.' or '..' components")],
        ),
        (
            {"package": "a", "path": ["a.spec"], "localpath": ["/tmp/a.spec"]},
            [((), "'/tmp/a.spec' must be a relative path without '.' or '..' components")],
        ),
        (
            {"package": "a", "path": ["a.spec", "b"], "localpath": ["a.spec"]},
            [((), "'localpath' needs one entry per 'path'")],
        ),
    ],
    ids=[
        "no-package",
        "both",
        "bad-nvr",
        "bad-package",
        "option-ref",
        "dotdot-ref",
        "escaping-path",
        "absolute-localpath",
        "localpath-count",
    ],
)
def test_invalid(params: dict[str, Any], problems: list[Any]) -> None:
    """Assert bad parameters are refused with exact messages; no path may leave its place."""
    with pytest.raises(ParamsError) as caught:
        Distgit().validate(params)
    assert caught.value.problems == problems


def test_raw_url_quotes_each_part() -> None:
    """Assert Pagure's raw layout, each path component quoted, a ref's '/' kept."""
    assert raw_url("https://src.example.org/", "rpms", "g++", "feature/x", "sub dir/a#b.spec") == (
        "https://src.example.org/rpms/g%2B%2B/raw/feature/x/f/sub%20dir/a%23b.spec"
    )
