"""The ``python`` directive's interpreter: the system's Python by default, with its packages,
never the runner's virtualenv; chosen by the formula, ``--python`` or ``CHECKLINE_PYTHON``; with
Taskotron's check API (``libtaskotron``, ``checkb``) importable by check code."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from checkline.runner.context import RunContext
from checkline.runner.directives.python import Python
from checkline.runner.errors import DirectiveError
from checkline.runner.interpreter import SYSTEM_PYTHON, TASKAPI_DIR

MakeCtx = Callable[..., RunContext]

HAS_SYSTEM_PYTHON = Path(SYSTEM_PYTHON).is_file()
needs_system_python = pytest.mark.skipif(
    not HAS_SYSTEM_PYTHON, reason=f"{SYSTEM_PYTHON} does not exist on this machine"
)

WHERE_AM_I = """
    import os
    import sys

    def run():
        try:
            import checkline
        except ImportError:
            checkline = None
        return {
            "executable": sys.executable,
            "prefix": sys.prefix,
            "environ": {k: os.environ.get(k) for k in ("VIRTUAL_ENV", "PYTHONHOME")},
            "pythonpath": os.environ.get("PYTHONPATH", ""),
            "path": os.environ.get("PATH", ""),
            "sys_path": sys.path,
            "checkline": checkline is not None,
        }
"""


def write(ctx: RunContext, name: str, text: str) -> None:
    (ctx.taskdir / name).write_text(textwrap.dedent(text))


def call(ctx: RunContext, file: str = "check.py", **params: Any) -> Any:
    python = Python()
    return python.run(python.validate({"file": file, "callable": "run", **params}), ctx)


@pytest.fixture(autouse=True)
def _no_python_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHECKLINE_PYTHON", raising=False)


@pytest.fixture
def where(make_ctx: MakeCtx) -> Callable[..., dict[str, Any]]:
    """Run WHERE_AM_I in a context made with the given overrides; its answer."""

    def run(**overrides: Any) -> dict[str, Any]:
        ctx = make_ctx(**overrides)
        write(ctx, "check.py", WHERE_AM_I)
        answer: dict[str, Any] = call(ctx)
        answer["log"] = ctx.action_log.read_text() if ctx.action_log else ""
        return answer

    return run


@needs_system_python
def test_default_is_the_system_python_without_the_runners_virtualenv(
    where: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assert check code runs under /usr/bin/python3 by default and sees nothing of the
    runner's virtualenv, even with the runner's environment pointing into it."""
    venv = Path(sys.prefix)
    site = next(p for p in sys.path if p.startswith(sys.prefix) and p.endswith("site-packages"))
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    monkeypatch.setenv("PYTHONHOME", str(venv))  # inherited, it would stop python3 starting
    monkeypatch.setenv("PYTHONPATH", site)
    monkeypatch.setenv("PATH", f"{venv / 'bin'}:/usr/bin:/bin")
    answer = where()
    assert answer["executable"] == SYSTEM_PYTHON
    assert answer["prefix"] == "/usr"
    assert answer["environ"] == {"VIRTUAL_ENV": None, "PYTHONHOME": None}
    assert answer["pythonpath"] == str(TASKAPI_DIR)
    assert answer["path"] == "/usr/bin:/bin"
    assert not [p for p in answer["sys_path"] if p.startswith(sys.prefix)]
    assert answer["checkline"] is False  # no Checkline in the check's interpreter
    assert f"[check code runs under {SYSTEM_PYTHON}: the default: the system's" in answer["log"]
    assert f"\n$ {SYSTEM_PYTHON} " in answer["log"]


def test_option_chooses_the_interpreter(where: Callable[..., dict[str, Any]]) -> None:
    """Assert --python (the context's python) runs check code under that interpreter."""
    answer = where(python=sys.executable)
    assert answer["executable"] == sys.executable
    assert answer["prefix"] == sys.prefix
    assert f"[check code runs under {sys.executable}: --python]" in answer["log"]


def test_environment_chooses_the_interpreter(
    where: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assert CHECKLINE_PYTHON, read when the action runs, chooses the interpreter."""
    monkeypatch.setenv("CHECKLINE_PYTHON", sys.executable)
    answer = where()
    assert answer["executable"] == sys.executable
    assert f"[check code runs under {sys.executable}: CHECKLINE_PYTHON]" in answer["log"]


def test_formula_choice_wins(
    where: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assert the formula's checkline.python wins over --python and CHECKLINE_PYTHON."""
    monkeypatch.setenv("CHECKLINE_PYTHON", "/nonexistent/python3")
    answer = where(formula_python=sys.executable, python="/nonexistent/python3")
    assert answer["executable"] == sys.executable
    assert "the formula's checkline.python]" in answer["log"]


def test_missing_interpreter_is_an_execution_error(make_ctx: MakeCtx) -> None:
    """Assert an interpreter that is not there stops the action before anything runs."""
    ctx = make_ctx(python="/opt/nowhere/python3")
    write(ctx, "check.py", WHERE_AM_I)
    with pytest.raises(DirectiveError) as caught:
        call(ctx)
    assert str(caught.value) == (
        "the Python interpreter '/opt/nowhere/python3' (--python) does not exist or is not "
        "executable on this machine"
    )
    assert ctx.action_log is not None and "$ " not in ctx.action_log.read_text()


API_CHECK = """
    from libtaskotron import check
    from libtaskotron.exceptions import TaskotronValueError
    from checkb import check as checkb_check
    import libtaskotron

    def run(koji_build):
        detail = check.CheckDetail(koji_build, check.ReportType.KOJI_BUILD, "PASSED")
        other = checkb_check.CheckDetail(koji_build, checkb_check.ReportType.KOJI_BUILD)
        other.update_outcome("FAILED")
        try:
            detail.outcome = "GREAT"
        except TaskotronValueError as err:
            detail.note = str(err)
        return {
            "libtaskotron": check.export_YAML(detail),
            "checkb": checkb_check.export_YAML(other),
            "from": libtaskotron.__file__,
        }
"""


@pytest.mark.parametrize(
    "python",
    [
        pytest.param(SYSTEM_PYTHON, marks=needs_system_python, id="system"),
        pytest.param(sys.executable, id="runner"),
    ],
)
def test_check_code_imports_the_check_api(make_ctx: MakeCtx, python: str) -> None:
    """Assert check code can ``from libtaskotron import check`` and ``from checkb import
    check`` under any interpreter, and gets Checkline's runner/taskapi/ copy."""
    ctx = make_ctx(python=python)
    write(ctx, "check.py", API_CHECK)
    answer = call(ctx, koji_build="xchat-0.5-1.fc20")
    assert yaml.safe_load(answer["libtaskotron"]) == {
        "results": [
            {
                "item": "xchat-0.5-1.fc20",
                "type": "koji_build",
                "outcome": "PASSED",
                "note": "Unknown outcome keyword: GREAT",
            }
        ]
    }
    assert yaml.safe_load(answer["checkb"])["results"][0]["outcome"] == "FAILED"
    assert answer["from"] == str(TASKAPI_DIR / "libtaskotron" / "__init__.py")


def test_check_api_is_not_importable_by_checkline() -> None:
    """Assert libtaskotron and checkb exist for check code only: Checkline's own interpreter
    cannot import them (they shadow nothing of its environment)."""
    for name in ("libtaskotron", "checkb", "_checkline_taskapi"):
        assert importlib.util.find_spec(name) is None, name


def test_a_checks_module_named_like_the_runners_is_the_checks(make_ctx: MakeCtx) -> None:
    """Assert the runner's folder is not on the child's path: a check's own ``results.py``
    or ``errors.py`` (names of runner modules) is what it imports, and the runner's
    ``executor.py`` is nothing a check can import."""
    ctx = make_ctx()
    write(ctx, "results.py", "MINE = 'the check results module'\n")
    write(ctx, "errors.py", "MINE = 'the check errors module'\n")
    write(
        ctx,
        "check.py",
        """
        import importlib.util

        import errors
        import results

        def run():
            return [results.MINE, errors.MINE, importlib.util.find_spec("executor")]
        """,
    )
    assert call(ctx) == ["the check results module", "the check errors module", None]


RPM_CHECK = """
    import rpm

    def run():
        return {
            "file": rpm.__file__,
            "older": rpm.labelCompare(("0", "1.0", "1.fc40"), ("0", "1.0", "2.fc40")),
            "epoch": rpm.labelCompare(("1", "0.1", "1"), ("0", "9.9", "9")),
        }
"""


def _system_rpm() -> bool:
    if not HAS_SYSTEM_PYTHON:
        return False
    done = subprocess.run([SYSTEM_PYTHON, "-c", "import rpm"], capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.skipif(
    not _system_rpm(),
    reason=f"!!! {SYSTEM_PYTHON} cannot import rpm: the RPM bindings test DID NOT RUN "
    "(make services installs python3-rpm with scripts/ensure-system-python.sh) !!!",
)
def test_check_code_uses_the_systems_rpm_bindings(make_ctx: MakeCtx) -> None:
    """Assert check code imports the system's real RPM bindings (python3-rpm), which
    Checkline's own interpreter cannot import."""
    ctx = make_ctx()
    write(ctx, "check.py", RPM_CHECK)
    answer = call(ctx)
    assert answer["file"].startswith("/usr/lib")
    assert (answer["older"], answer["epoch"]) == (-1, 1)
    own = subprocess.run([sys.executable, "-c", "import rpm"], capture_output=True, check=False)
    assert own.returncode != 0
    assert b"No module named 'rpm'" in own.stderr
