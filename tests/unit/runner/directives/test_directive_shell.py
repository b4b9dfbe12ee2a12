"""The ``shell`` directive: commands as argv lists, their output, and their failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checkline.runner.context import RunContext
from checkline.runner.directives.shell import IgnoredCommand, Shell, ShellParams
from checkline.runner.errors import DirectiveError, ParamsError
from checkline.runner.formula import load_plan
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


class TestIgnorereturnForms:
    """libtaskotron's per-command ``{ignorereturn: <command>}`` entry, in every form it took."""

    @pytest.mark.parametrize(
        ("entry", "argv"),
        [
            ("avocado run 'a b.py'", ["avocado", "run", "a b.py"]),  # a string, split
            (["avocado", "run", "a b.py"], ["avocado", "run", "a b.py"]),  # an argv list
            ([["avocado", "run", "a b.py"]], ["avocado", "run", "a b.py"]),  # a list holding one
        ],
        ids=["string", "argv", "list-holding-argv"],
    )
    def test_every_form_normalizes_to_one_argv(self, entry: Any, argv: list[str]) -> None:
        """Assert each form of the entry's value becomes the command's argv, in the list form
        and in the mapping form's commands, beside plain commands."""
        assert Shell().normalize(["true", {"ignorereturn": entry}]) == {
            "commands": [["true"], {"ignorereturn": argv}]
        }
        assert Shell().normalize({"commands": [{"ignorereturn": entry}]}) == {
            "commands": [{"ignorereturn": argv}]
        }

    def test_validates_as_an_ignored_command(self) -> None:
        """Assert a normalized entry validates into an IgnoredCommand beside plain argv."""
        params = Shell().validate({"commands": [["true"], {"ignorereturn": ["false"]}]})
        assert params.commands == [["true"], IgnoredCommand(ignorereturn=["false"])]

    def test_check_modulemd_formula_loads(self, tmp_path: Path) -> None:
        """Assert check_modulemd's formula shapes validate: an argv list, and ignorereturn
        entries holding a string, an argv list and a list holding one argv list."""
        formula = tmp_path / "runtask.yml"
        formula.write_text(
            "name: checkmodulemd\n"
            "namespace: dist\n"
            "actions:\n"
            "  - name: run avocado modulemd validity test\n"
            "    shell:\n"
            "      - [avocado, run, check_modulemd.py, --job-results-dir, '${workdir}']\n"
            "      - ignorereturn: avocado run check_modulemd.py --mux-inject 'run:m:${workdir}'\n"
            "      - ignorereturn: [avocado, run, check_modulemd.py]\n"
            "      - ignorereturn:\n"
            "          - [avocado, run, check_modulemd.py, --job-results-dir, '${workdir}']\n"
        )
        plan = load_plan(formula, {"workdir": "/w", "item_type": "koji_build"})
        assert plan.actions[0].params["commands"] == [
            ["avocado", "run", "check_modulemd.py", "--job-results-dir", "${workdir}"],
            {
                "ignorereturn": [
                    "avocado",
                    "run",
                    "check_modulemd.py",
                    "--mux-inject",
                    "run:m:${workdir}",
                ]
            },
            {"ignorereturn": ["avocado", "run", "check_modulemd.py"]},
            {
                "ignorereturn": [
                    "avocado",
                    "run",
                    "check_modulemd.py",
                    "--job-results-dir",
                    "${workdir}",
                ]
            },
        ]

    @pytest.mark.parametrize(
        ("raw", "problems"),
        [
            (
                [{"ignorereturn": "true", "cwd": "x"}],
                [
                    (
                        (0,),
                        "a mapping entry must be {ignorereturn: <command>} and nothing else "
                        "(keys found: 'ignorereturn', 'cwd')",
                    )
                ],
            ),
            (
                [{"ignoreretrun": "true"}],
                [
                    (
                        (0,),
                        "a mapping entry must be {ignorereturn: <command>} and nothing else "
                        "(keys found: 'ignoreretrun')",
                    )
                ],
            ),
            (
                ["true", {"ignorereturn": [["a"], ["b"]]}],
                [
                    (
                        (1, "ignorereturn"),
                        "holds 2 commands; give each its own {ignorereturn: ...} entry",
                    )
                ],
            ),
            (
                [{"ignorereturn": ["a", ["b"]]}],
                [
                    (
                        (0, "ignorereturn"),
                        "mixes a nested list with arguments: give an argv list, or a list "
                        "holding one",
                    )
                ],
            ),
            (
                [{"ignorereturn": 3}],
                [
                    (
                        (0, "ignorereturn"),
                        "must be a command: a string, an argv list, or a list "
                        "holding one argv list; 'int' found",
                    )
                ],
            ),
            (
                {"commands": [{"ignorereturn": "echo 'oops"}]},
                [
                    (
                        ("commands", 0, "ignorereturn"),
                        'cannot split "echo \'oops": No closing quotation',
                    )
                ],
            ),
            (
                {"ignorereturn": "true"},
                [
                    (
                        (),
                        "{ignorereturn: ...} is one entry of the list of commands: write "
                        "shell: [{ignorereturn: <command>}]",
                    )
                ],
            ),
        ],
        ids=["extra-key", "misspelt", "two-commands", "mixed", "int", "unsplittable", "alone"],
    )
    def test_malformed_entries_are_refused_precisely(self, raw: Any, problems: Any) -> None:
        """Assert each malformed entry is a ParamsError at the entry as written, saying why."""
        with pytest.raises(ParamsError) as caught:
            Shell().normalize(raw)
        assert caught.value.problems == problems

    @pytest.mark.parametrize(
        ("params", "problems"),
        [
            ({"commands": [["echo", 3]]}, [(("commands", 0, 1), "must be a string, 'int' found")]),
            (
                {"commands": [{"ignorereturn": ["echo", None]}]},
                [(("commands", 0, "ignorereturn", 1), "must be a string, 'NoneType' found")],
            ),
            (
                {"commands": [{"ignorereturn": []}]},
                [
                    (
                        ("commands", 0, "ignorereturn"),
                        "List should have at least 1 item after validation, not 0",
                    )
                ],
            ),
        ],
        ids=["argv-item", "ignored-argv-item", "ignored-empty"],
    )
    def test_validation_locates_problems_as_written(self, params: Any, problems: Any) -> None:
        """Assert problems inside commands name the entry and item, not pydantic's tags."""
        with pytest.raises(ParamsError) as caught:
            Shell().validate(params)
        assert caught.value.problems == problems

    def test_ignored_failure_runs_on_and_keeps_its_output(
        self, make_ctx: MakeCtx, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Assert an ignorereturn command's non-zero exit does not fail the action: the next
        command runs, its output is in the action log, and the runner log says it was
        ignored."""
        ctx = make_ctx()
        with caplog.at_level("INFO", logger=ctx.log.name):
            out = run([{"ignorereturn": "sh -c 'echo lost; exit 5'"}, ["echo", "after"]], ctx)
        assert out == "after"
        assert ctx.action_log.read_text() == (
            "$ sh -c 'echo lost; exit 5'\nlost\n[exit status 5]\n"
            "$ echo after\nafter\n[exit status 0]\n"
        )
        assert "command 'sh' exited with status 5; ignored (ignorereturn)" in caplog.text

    @pytest.mark.parametrize(
        "entry",
        [
            "sh -c 'echo partial; exit 4'",
            ["sh", "-c", "echo partial; exit 4"],
            [["sh", "-c", "echo partial; exit 4"]],
        ],
        ids=["string", "argv", "list-holding-argv"],
    )
    def test_ignored_last_command_exports_its_output(self, make_ctx: MakeCtx, entry: Any) -> None:
        """Assert every form runs, and a failing ignored last command's stdout is exported."""
        assert run([{"ignorereturn": entry}], make_ctx()) == "partial"

    def test_only_the_ignored_command_is_ignored(self, make_ctx: MakeCtx) -> None:
        """Assert a plain command failing after an ignored one is an execution error naming
        the failing command."""
        ctx = make_ctx()
        with pytest.raises(DirectiveError) as caught:
            run([{"ignorereturn": ["false"]}, ["sh", "-c", "exit 3"], ["echo", "never"]], ctx)
        assert str(caught.value) == "command 'sh' exited with status 3 (output in 01-action.log)"
        assert "never" not in ctx.action_log.read_text()


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
