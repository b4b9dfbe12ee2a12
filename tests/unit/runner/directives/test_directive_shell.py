"""The ``shell`` directive: commands as argv lists, their output, and their failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checkline.runner.context import RunContext
from checkline.runner.directives.shell import Shell, ShellParams
from checkline.runner.errors import DirectiveError, ParamsError
from checkline.runner.variables import substitute

MakeCtx = Callable[..., RunContext]


def run(params: Any, ctx: RunContext) -> str:
    """Normalize, validate and run ``params`` as the executor does (no substitution)."""
    shell = Shell()
    return shell.run(shell.validate(shell.normalize(params)), ctx)


class TestNormalize:
    def test_list_form_becomes_commands(self) -> None:
        """Assert Taskotron's list form is the mapping form's ``commands``."""
        assert Shell().normalize([["echo", "hi"]]) == {"commands": [["echo", "hi"]]}

    def test_mapping_form_keeps_its_other_keys(self) -> None:
        """Assert the mapping form keeps ignore_returncode and cwd."""
        raw = {"commands": [["true"]], "ignore_returncode": True, "cwd": "sub"}
        assert Shell().normalize(raw) == raw

    def test_strings_are_split_like_a_shell(self) -> None:
        """Assert a string command is split with shell quoting, once, into argv."""
        raw = ["rpmlint --info '${workdir}/my rpms' \"a b\" c\\ d", ["echo", "x y"]]
        assert Shell().normalize(raw) == {
            "commands": [
                ["rpmlint", "--info", "${workdir}/my rpms", "a b", "c d"],
                ["echo", "x y"],
            ]
        }

    def test_unbalanced_quote_in_mapping_form(self) -> None:
        """Assert a string that cannot be split is a ParamsError at commands[i]."""
        with pytest.raises(ParamsError) as caught:
            Shell().normalize({"commands": ["echo ok", "echo 'oops"]})
        assert caught.value.problems == [
            (("commands", 1), 'cannot split "echo \'oops": No closing quotation')
        ]

    def test_unbalanced_quote_in_list_form(self) -> None:
        """Assert the list form locates the problem at the index as written (shell[i])."""
        with pytest.raises(ParamsError) as caught:
            Shell().normalize(['echo "a', "echo ok", "echo 'b"])
        assert caught.value.problems == [
            ((0,), "cannot split 'echo \"a': No closing quotation"),
            ((2,), 'cannot split "echo \'b": No closing quotation'),
        ]

    @pytest.mark.parametrize("raw", ["${commands}", {"cwd": "x"}, {"commands": "echo hi"}, 5])
    def test_other_shapes_are_left_to_validation(self, raw: Any) -> None:
        """Assert values normalize cannot reshape are returned unchanged."""
        assert Shell().normalize(raw) == raw

    def test_substituted_value_stays_one_argument(self, tmp_path: Path) -> None:
        """Assert a value substituted into a split string command is a single argv element."""
        marker = tmp_path / "MARKER"
        normalized = Shell().normalize(["echo --item ${koji_build}"])
        value = f"x; touch {marker} $(touch {marker})"
        params = Shell().validate(substitute(normalized, {"koji_build": value}))
        assert params.commands == [["echo", "--item", value]]


class TestValidate:
    def test_defaults(self) -> None:
        """Assert a non-zero status is an error and the task directory is the default cwd."""
        assert Shell().validate({"commands": [["true"]]}) == ShellParams(
            commands=[["true"]], ignore_returncode=False, cwd=None
        )

    @pytest.mark.parametrize(
        ("params", "problems"),
        [
            (
                {"commands": []},
                [(("commands",), "List should have at least 1 item after validation, not 0")],
            ),
            (
                {"commands": [[]]},
                [(("commands", 0), "List should have at least 1 item after validation, not 0")],
            ),
            ({"commands": ["echo hi"]}, [(("commands", 0), "must be a list, 'str' found")]),
        ],
        ids=["no-command", "empty-argv", "unsplit-string"],
    )
    def test_problems(self, params: Any, problems: list[Any]) -> None:
        """Assert empty command lists and unsplit strings are refused where they are."""
        with pytest.raises(ParamsError) as caught:
            Shell().validate(params)
        assert caught.value.problems == problems


class TestRun:
    def test_exports_last_stdout_without_trailing_newlines(self, make_ctx: MakeCtx) -> None:
        """Assert the export is the last command's stdout with trailing newlines stripped."""
        out = run([["echo", "first"], ["printf", r"a\n\nb\n\n\n"]], make_ctx())
        assert out == "a\n\nb"

    def test_string_commands_run(self, make_ctx: MakeCtx) -> None:
        """Assert a string command runs as its split argv."""
        assert run(["printf '%s|%s' 'a b' c"], make_ctx()) == "a b|c"

    def test_stderr_is_not_exported(self, make_ctx: MakeCtx) -> None:
        """Assert standard error goes to the log only."""
        ctx = make_ctx()
        out = run([["sh", "-c", "echo out; echo err >&2"]], ctx)
        assert out == "out"
        assert "err\n" in ctx.action_log.read_text()

    def test_action_log(self, make_ctx: MakeCtx) -> None:
        """Assert the log holds each argv, its output and its exit status, in order."""
        ctx = make_ctx()
        run([["echo", "hello", "world"], ["sh", "-c", "echo second"]], ctx)
        assert ctx.action_log.read_text() == (
            "$ echo hello world\nhello world\n[exit status 0]\n"
            "$ sh -c 'echo second'\nsecond\n[exit status 0]\n"
        )

    def test_nonzero_exit_is_an_execution_error(self, make_ctx: MakeCtx) -> None:
        """Assert a failing command raises DirectiveError naming it, its status and the log."""
        ctx = make_ctx()
        with pytest.raises(DirectiveError) as caught:
            run([["sh", "-c", "echo before; exit 3"], ["echo", "never"]], ctx)
        assert str(caught.value) == "command 'sh' exited with status 3 (output in 01-action.log)"
        assert caught.value.transient is False
        log = ctx.action_log.read_text()
        assert "before\n[exit status 3]\n" in log
        assert "never" not in log

    def test_ignore_returncode(self, make_ctx: MakeCtx) -> None:
        """Assert ignore_returncode runs on and exports the failing command's output."""
        params = {
            "commands": [["false"], ["sh", "-c", "echo partial; exit 4"]],
            "ignore_returncode": True,
        }
        ctx = make_ctx()
        assert run(params, ctx) == "partial"
        assert ctx.action_log.read_text().count("[exit status") == 2

    def test_cwd_is_relative_to_taskdir(self, make_ctx: MakeCtx) -> None:
        """Assert cwd names a directory inside the task directory."""
        ctx = make_ctx()
        (ctx.taskdir / "sub").mkdir()
        out = run({"commands": [["pwd", "-P"]], "cwd": "sub"}, ctx)
        assert Path(out) == (ctx.taskdir / "sub").resolve()

    def test_default_cwd_is_taskdir(self, make_ctx: MakeCtx) -> None:
        """Assert commands run in the task directory by default."""
        ctx = make_ctx()
        assert Path(run([["pwd", "-P"]], ctx)) == ctx.taskdir.resolve()

    def test_command_not_found(self, make_ctx: MakeCtx) -> None:
        """Assert a command that cannot be started is an execution error with the reason."""
        with pytest.raises(DirectiveError) as caught:
            run([["no-such-command-checkline"]], make_ctx())
        assert str(caught.value) == (
            "cannot run 'no-such-command-checkline': No such file or directory"
        )

    def test_missing_cwd_is_named(self, make_ctx: MakeCtx) -> None:
        """Assert a cwd that does not exist is named in the error."""
        with pytest.raises(DirectiveError) as caught:
            run({"commands": [["echo", "hi"]], "cwd": "nowhere"}, make_ctx())
        assert "nowhere" in str(caught.value)

    def test_needs_an_action_log(self, make_ctx: MakeCtx) -> None:
        """Assert running outside the executor (no action log) is refused, not unlogged."""
        with pytest.raises(RuntimeError, match="needs an action log"):
            run([["true"]], make_ctx(action_log=None))


class TestNoShell:
    @pytest.mark.parametrize(
        "template",
        [
            "foo;touch {marker}",
            "$(touch {marker})",
            "`touch {marker}`",
            "foo && touch {marker}",
            "foo | touch {marker}",
            "foo\ntouch {marker}",
        ],
        ids=["semicolon", "dollar-paren", "backquote", "and", "pipe", "newline"],
    )
    def test_metacharacters_stay_literal(
        self, make_ctx: MakeCtx, tmp_path: Path, template: str
    ) -> None:
        """Assert shell syntax in an argument is echoed as is and never executed."""
        marker = tmp_path / "MARKER"
        ctx = make_ctx()
        value = template.format(marker=marker)
        assert run([["echo", value]], ctx) == value
        assert not marker.exists()
        assert not (ctx.taskdir / "MARKER").exists()

    def test_globs_and_variables_stay_literal(self, make_ctx: MakeCtx) -> None:
        """Assert globs and $VARIABLES are not expanded."""
        ctx = make_ctx()
        (ctx.taskdir / "file.txt").write_text("")
        assert run([["echo", "*", "$HOME", "~"]], ctx) == "* $HOME ~"
