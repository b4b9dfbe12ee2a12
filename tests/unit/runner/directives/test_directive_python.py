"""The ``python`` directive: a task's callable, called in a child process with kwargs."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checkline.runner.context import RunContext
from checkline.runner.directives.python import Python
from checkline.runner.errors import ActionTimeout, DirectiveError, ParamsError
from checkline.runner.interpreter import SYSTEM_PYTHON

#: The default interpreter of check code here: the system's, else the runner's own.
DEFAULT_PYTHON = SYSTEM_PYTHON if Path(SYSTEM_PYTHON).is_file() else sys.executable

MakeCtx = Callable[..., RunContext]

CHECK = """
    import sys

    def run(**kwargs):
        print("hello from the check")
        print("a warning", file=sys.stderr)
        return kwargs

    def text():
        return "results: []"

    def mapping():
        return {"a": 1, "b": [None, True, 2.5]}

    def sequence():
        return ["x", {"y": 1}]

    def nothing():
        pass

    def boom():
        raise ValueError("boom")

    def not_json():
        return {1, 2}

    def leave(code=3):
        sys.exit(code)

    def vanish():
        import os
        os._exit(0)

    def slow():
        import time
        time.sleep(30)

    NOT_CALLABLE = 5
"""


def platform_version(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def write(ctx: RunContext, name: str, text: str) -> Path:
    path = ctx.taskdir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def call(ctx: RunContext, **params: Any) -> Any:
    """Validate and run the directive with ``check.py`` as the default file."""
    python = Python()
    return python.run(python.validate({"file": "check.py", **params}), ctx)


@pytest.fixture(autouse=True)
def _no_python_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHECKLINE_PYTHON", raising=False)


@pytest.fixture
def ctx(make_ctx: MakeCtx) -> RunContext:
    context = make_ctx()
    write(context, "check.py", CHECK)
    return context


class TestValidate:
    def test_extra_keys_are_kwargs(self) -> None:
        """Assert keys besides file and callable are kept as the callable's arguments."""
        params = Python().validate({"file": "c.py", "callable": "run", "n": 1, "l": [1]})
        assert params.model_extra == {"n": 1, "l": [1]}

    @pytest.mark.parametrize(
        ("params", "problems"),
        [
            ({"callable": "run"}, [(("file",), "is required")]),
            ({"file": "c.py"}, [(("callable",), "is required")]),
            (
                {"file": "c.py", "callable": "no-dash"},
                [(("callable",), "must match ^[A-Za-z_][A-Za-z0-9_]*$, 'no-dash' found")],
            ),
            ({"file": 3, "callable": "run"}, [(("file",), "must be a string, 'int' found")]),
        ],
        ids=["no-file", "no-callable", "bad-callable", "file-type"],
    )
    def test_problems(self, params: dict[str, Any], problems: list[Any]) -> None:
        """Assert file and callable are checked with exact messages."""
        with pytest.raises(ParamsError) as caught:
            Python().validate(params)
        assert caught.value.problems == problems


class TestPlanProblems:
    def test_missing_literal_file(self, tmp_path: Path) -> None:
        """Assert a literal file that is not in the task directory is a plan-time problem."""
        problems = Python().plan_problems({"file": "missing.py", "callable": "run"}, tmp_path)
        assert problems == [(("file",), f"'missing.py' does not exist in {tmp_path}")]

    def test_existing_file(self, tmp_path: Path) -> None:
        """Assert an existing file is no problem."""
        (tmp_path / "check.py").write_text("")
        assert Python().plan_problems({"file": "check.py", "callable": "run"}, tmp_path) == []

    def test_directory_is_not_a_file(self, tmp_path: Path) -> None:
        """Assert a directory of that name does not count as the file."""
        (tmp_path / "check.py").mkdir()
        assert Python().plan_problems({"file": "check.py"}, tmp_path) == [
            (("file",), f"'check.py' does not exist in {tmp_path}")
        ]

    def test_placeholder_is_not_checked(self, tmp_path: Path) -> None:
        """Assert a file named through a placeholder is left to run time."""
        raw = {"file": "${taskdir}/missing.py", "callable": "run"}
        assert Python().plan_problems(raw, tmp_path) == []

    @pytest.mark.parametrize("raw", [None, ["check.py"], {"file": 3}])
    def test_malformed_params_are_left_to_validation(self, tmp_path: Path, raw: Any) -> None:
        """Assert parameters without a string file give no plan-time problem here."""
        assert Python().plan_problems(raw, tmp_path) == []

    def test_invalid_placeholder_does_not_raise(self, tmp_path: Path) -> None:
        """Assert an invalid placeholder in file is reported (or left), never raised."""
        problems = Python().plan_problems({"file": "$(id).py", "callable": "run"}, tmp_path)
        assert all(loc == ("file",) for loc, _ in problems)

    def test_escaped_dollar(self, tmp_path: Path) -> None:
        """Assert '$$' in a literal file name is checked as the '$' it stands for."""
        (tmp_path / "check$.py").write_text("")
        assert Python().plan_problems({"file": "check$$.py", "callable": "run"}, tmp_path) == []


class TestRun:
    def test_kwargs_reach_the_callable(self, ctx: RunContext) -> None:
        """Assert extra keys are passed as keyword arguments, JSON types intact."""
        kwargs = {
            "koji_build": "xchat-0.5-1.fc20",
            "count": 3,
            "flags": [True, None, 1.5],
            "nested": {"a": {"b": "c"}},
        }
        assert call(ctx, callable="run", **kwargs) == kwargs

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("text", "results: []"),
            ("mapping", {"a": 1, "b": [None, True, 2.5]}),
            ("sequence", ["x", {"y": 1}]),
            ("nothing", None),
        ],
    )
    def test_return_value_is_exported(self, ctx: RunContext, name: str, value: Any) -> None:
        """Assert the callable's return value is the export, whatever its JSON type."""
        assert call(ctx, callable=name) == value

    def test_prints_go_to_the_action_log(self, ctx: RunContext) -> None:
        """Assert the check's stdout and stderr are in the action's log."""
        call(ctx, callable="run")
        log = ctx.action_log.read_text()
        assert "hello from the check\n" in log
        assert "a warning\n" in log
        first, command, version = log.splitlines()[:3]
        assert first.startswith(f"[check code runs under {DEFAULT_PYTHON}: the default: ")
        assert command.startswith(f"$ {DEFAULT_PYTHON} ")
        assert command.split()[2].endswith("runner/pycall.py")
        assert version == f"[Python {platform_version(DEFAULT_PYTHON)}, {DEFAULT_PYTHON}]"
        assert log.endswith("[exit status 0]\n")

    def test_exception_is_an_execution_error(self, ctx: RunContext) -> None:
        """Assert an exception raised by the callable is a DirectiveError naming it."""
        with pytest.raises(DirectiveError) as caught:
            call(ctx, callable="boom")
        assert str(caught.value) == "check.py:boom raised ValueError: boom"
        assert caught.value.transient is False
        log = ctx.action_log.read_text()
        assert "Traceback (most recent call last):" in log
        assert 'raise ValueError("boom")' in log

    def test_missing_callable(self, ctx: RunContext) -> None:
        """Assert a callable the file does not define is an execution error."""
        with pytest.raises(DirectiveError) as caught:
            call(ctx, callable="absent")
        assert str(caught.value) == (
            "check.py:absent raised AttributeError: check.py has no callable 'absent'"
        )

    def test_attribute_that_is_not_callable(self, ctx: RunContext) -> None:
        """Assert a module attribute that is not a function is refused like a missing one."""
        with pytest.raises(DirectiveError) as caught:
            call(ctx, callable="NOT_CALLABLE")
        assert str(caught.value) == (
            "check.py:NOT_CALLABLE raised AttributeError: check.py has no callable 'NOT_CALLABLE'"
        )

    def test_return_value_not_json(self, ctx: RunContext) -> None:
        """Assert a return value JSON cannot carry is an execution error."""
        with pytest.raises(DirectiveError) as caught:
            call(ctx, callable="not_json")
        assert str(caught.value) == (
            "check.py:not_json raised TypeError: Object of type set is not JSON serializable"
        )

    def test_system_exit(self, ctx: RunContext) -> None:
        """Assert sys.exit() in the check is an execution error, not a silent success."""
        with pytest.raises(DirectiveError) as caught:
            call(ctx, callable="leave", code=7)
        assert str(caught.value) == "check.py:leave raised SystemExit: 7"

    def test_system_exit_zero_is_no_result(self, ctx: RunContext) -> None:
        """Assert even sys.exit(0) is an error: the callable returned nothing to export."""
        with pytest.raises(DirectiveError, match=r"^check\.py:leave raised SystemExit: 0$"):
            call(ctx, callable="leave", code=0)

    def test_child_ending_without_a_result(self, ctx: RunContext) -> None:
        """Assert a child that dies without writing its result is an execution error."""
        with pytest.raises(DirectiveError) as caught:
            call(ctx, callable="vanish")
        assert str(caught.value).startswith(
            "check.py:vanish ended without a result (killed?): [Errno 2] No such file"
        )

    def test_syntax_error_in_the_check(self, make_ctx: MakeCtx) -> None:
        """Assert a check that does not import is an execution error naming the problem."""
        ctx = make_ctx()
        write(ctx, "broken.py", "def (:\n")
        with pytest.raises(DirectiveError) as caught:
            call(ctx, file="broken.py", callable="run")
        assert str(caught.value) == (
            "broken.py:run raised SyntaxError: invalid syntax (broken.py, line 1)"
        )

    def test_missing_file(self, make_ctx: MakeCtx) -> None:
        """Assert a file missing at run time is an execution error with its full path."""
        ctx = make_ctx()
        with pytest.raises(DirectiveError) as caught:
            call(ctx, file="gone.py", callable="run")
        assert str(caught.value) == f"python file {str(ctx.taskdir / 'gone.py')!r} does not exist"

    def test_sibling_import(self, make_ctx: MakeCtx) -> None:
        """Assert the check can import a module next to it, also from a subfolder."""
        ctx = make_ctx()
        write(ctx, "lib/helper.py", "ANSWER = 42\n")
        write(
            ctx,
            "lib/check.py",
            """
            from helper import ANSWER

            def run():
                return ANSWER
            """,
        )
        assert call(ctx, file="lib/check.py", callable="run") == 42

    def test_task_module_named_runner(self, ctx: RunContext) -> None:
        """Assert a task's own module named like the runner's package does not break calls."""
        write(ctx, "runner.py", '"""A helper of the check."""\n')
        assert call(ctx, callable="text") == "results: []"

    def test_timeout_stops_the_check(self, make_ctx: MakeCtx) -> None:
        """Assert the action's timeout kills a stuck check quickly."""
        ctx = make_ctx(timeout=0.5)
        write(ctx, "check.py", CHECK)
        started = time.monotonic()
        with pytest.raises(ActionTimeout) as caught:
            call(ctx, callable="slow")
        assert time.monotonic() - started < 5
        assert str(caught.value) == f"{DEFAULT_PYTHON!r} timed out after 0.5 s; killed"

    @pytest.mark.parametrize("name", ["text", "boom"])
    def test_request_files_are_removed(self, ctx: RunContext, name: str) -> None:
        """Assert the JSON request and result files do not stay in the workdir."""
        with contextlib.suppress(DirectiveError):
            call(ctx, callable=name)
        assert list(ctx.workdir.iterdir()) == []
