"""Which interpreter runs check code, and the environment it gets (``runner/interpreter.py``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from checkline.runner.errors import DirectiveError
from checkline.runner.interpreter import (
    TASKAPI_DIR,
    Interpreter,
    check_environment,
    choose_interpreter,
)

IN_VENV = sys.prefix != sys.base_prefix
VENV_BIN = str(Path(sys.prefix) / "bin")


def fake_python(folder: Path, name: str = "python3") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


class TestChoose:
    def test_first_set_wins_formula_option_environment(self, tmp_path: Path) -> None:
        """Assert the order: the formula's choice, then --python, then CHECKLINE_PYTHON."""
        a, b, c = (str(fake_python(tmp_path / n)) for n in "abc")
        env = {"CHECKLINE_PYTHON": c, "PATH": ""}
        assert choose_interpreter(formula=a, option=b, environ=env) == Interpreter(
            a, "the formula's checkline.python"
        )
        assert choose_interpreter(formula=None, option=b, environ=env) == Interpreter(b, "--python")
        assert choose_interpreter(formula=None, option=None, environ=env) == Interpreter(
            c, "CHECKLINE_PYTHON"
        )
        assert choose_interpreter(formula="", option="", environ=env).chosen_by == (
            "CHECKLINE_PYTHON"
        )

    def test_default_is_the_systems_else_the_runners_own(self, tmp_path: Path) -> None:
        """Assert the default is the system's interpreter where it exists, else the runner's."""
        system = str(fake_python(tmp_path / "usr" / "bin"))
        assert choose_interpreter(formula=None, option=None, environ={}, system=system) == (
            Interpreter(system, "the default: the system's interpreter")
        )
        missing = str(tmp_path / "nowhere" / "python3")
        assert choose_interpreter(formula=None, option=None, environ={}, system=missing) == (
            Interpreter(
                sys.executable,
                f"the default: the runner's own interpreter, as {missing} does not exist",
            )
        )

    def test_command_name_is_found_on_the_childs_path(self, tmp_path: Path) -> None:
        """Assert a command name is looked up on PATH, without the runner's virtualenv."""
        found = fake_python(tmp_path / "bin", "python3.99")
        env = {"PATH": os.pathsep.join([VENV_BIN, str(tmp_path / "bin")])}
        assert choose_interpreter(formula="python3.99", option=None, environ=env).path == str(found)

    @pytest.mark.skipif(not IN_VENV, reason="the runner does not run in a virtualenv")
    def test_the_venvs_python_is_not_found_by_name(self, tmp_path: Path) -> None:
        """Assert ``python`` by name never finds the runner's virtualenv's python first."""
        system = fake_python(tmp_path / "bin", "python")
        env = {"PATH": os.pathsep.join([VENV_BIN, str(tmp_path / "bin")])}
        assert choose_interpreter(formula=None, option="python", environ=env).path == str(system)

    def test_relative_path_is_from_the_runners_folder(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Assert --python with a relative path means a path from where the runner started."""
        python = fake_python(tmp_path / "env" / "bin")
        monkeypatch.chdir(tmp_path)
        assert choose_interpreter(formula=None, option="env/bin/python3", environ={}).path == str(
            python
        )

    @pytest.mark.parametrize(
        ("formula", "option", "env", "message"),
        [
            (
                "/opt/python9/bin/python9",
                "python3",
                {},
                "the Python interpreter '/opt/python9/bin/python9' (the formula's "
                "checkline.python) does not exist or is not executable on this machine",
            ),
            (
                None,
                "python9.9",
                {"PATH": "/nonexistent"},
                "the Python interpreter 'python9.9' (--python) is not found on PATH on this "
                "machine",
            ),
            (
                None,
                None,
                {"CHECKLINE_PYTHON": "/dev/null"},
                "the Python interpreter '/dev/null' (CHECKLINE_PYTHON) does not exist or is "
                "not executable on this machine",
            ),
        ],
    )
    def test_missing_interpreter_is_an_execution_error_naming_it(
        self, formula: str | None, option: str | None, env: dict[str, str], message: str
    ) -> None:
        """Assert a chosen interpreter that is not there is a DirectiveError naming it and
        what chose it; the next choice is not tried instead."""
        with pytest.raises(DirectiveError) as caught:
            choose_interpreter(formula=formula, option=option, environ=env)
        assert str(caught.value) == message
        assert caught.value.transient is False


class TestEnvironment:
    def test_the_check_api_comes_first_on_pythonpath(self) -> None:
        """Assert runner/taskapi/ is first on the child's PYTHONPATH, other entries kept."""
        env = check_environment({"PYTHONPATH": "/opt/lib:/srv/py", "HOME": "/root"})
        assert env["PYTHONPATH"] == f"{TASKAPI_DIR}:/opt/lib:/srv/py"
        assert env["HOME"] == "/root"
        assert (TASKAPI_DIR / "libtaskotron" / "check.py").is_file()

    def test_the_runners_virtualenv_is_left_out(self, tmp_path: Path) -> None:
        """Assert VIRTUAL_ENV and PYTHONHOME are dropped, and the PYTHONPATH and PATH entries
        inside the runner's virtualenv (those outside are kept)."""
        venv = Path(sys.prefix)
        site = str(venv / "lib" / "python3.11" / "site-packages")
        env = check_environment(
            {
                "VIRTUAL_ENV": str(venv),
                "PYTHONHOME": str(venv),
                "PYTHONPATH": f"{site}:/opt/lib",
                "PATH": f"{venv / 'bin'}:/usr/bin",
            }
        )
        assert "VIRTUAL_ENV" not in env
        assert "PYTHONHOME" not in env
        if IN_VENV:
            assert env["PYTHONPATH"] == f"{TASKAPI_DIR}:/opt/lib"
            assert env["PATH"] == "/usr/bin"
