"""Formula loading and validation: every problem at once, each with file, line, action, key."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from checkline.runner.errors import FormulaError
from checkline.runner.formula import Requirements, build_plan, load_plan


def make_known(**overrides: Any) -> dict[str, Any]:
    known = {
        "item": "xchat-0.5-1.fc20",
        "item_type": "koji_build",
        "koji_build": "xchat-0.5-1.fc20",
        "arch": "x86_64",
        "uuid": "u1",
        "jobid": "-1",
        "workdir": "/tmp/w",
        "artifactsdir": "/tmp/a",
        "taskdir": "/tmp/t",
    }
    known.update(overrides)
    return known


def write_formula(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runtask.yml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def problems_of(path: Path, **known: Any) -> list[str]:
    with pytest.raises(FormulaError) as raised:
        load_plan(path, make_known(**known))
    assert "nothing was run" in str(raised.value)
    return [str(problem) for problem in raised.value.problems]


class TestLoadPlan:
    def test_valid_formula_gives_plan(self, tmp_path: Path) -> None:
        """Assert a valid formula becomes a Plan with its actions, exports and testcase."""
        path = write_formula(
            tmp_path,
            """
            name: demo
            namespace: dist
            desc: a demo
            maintainer: me
            input: {args: [koji_build, arch]}
            actions:
              - name: first
                dummy: {outcome: failed}
                export: out
              - name: second
                RESULTSDB:
                  results: ${out}
                timeout: 30
            """,
        )
        plan = load_plan(path, make_known())
        assert plan.testcase == "dist.demo"
        assert plan.taskdir == tmp_path
        assert [a.name for a in plan.actions] == ["first", "second"]
        assert [a.directive.name for a in plan.actions] == ["dummy", "results"]
        assert plan.actions[0].export == "out"
        assert plan.actions[1].timeout == 30
        assert plan.actions[1].params == {"results": "${out}"}

    def test_task_key_of_earliest_formulas_is_accepted(self, tmp_path: Path) -> None:
        """Assert the early Taskotron spelling 'task:' works like 'actions:'."""
        path = write_formula(tmp_path, "name: old\ntask:\n  - dummy: {}\n")
        assert [a.name for a in load_plan(path, make_known()).actions] == ["dummy"]

    def test_every_problem_is_reported_with_line_action_and_key(self, tmp_path: Path) -> None:
        """Assert all problems come together, sorted by line, each naming file/line/action/key."""
        path = write_formula(
            tmp_path,
            """
            name: bad
            descr: typo
            input:
              args: [koji_tag]
            actions:
              - name: download
                shel: [echo hi]
              - name: lint
                shell:
                  commands: [[echo, "${later}"]]
                  timeout: 3
              - name: code
                exitcode:
                  result_last: x
                  result_worst: y
                timeout: -1
              - dummy:
                  outcome: GREAT
                  sleep: "1"
                export: later
            """,
        )
        src = str(path)
        assert problems_of(path) == [
            f"{src}:2: descr: unknown key; valid keys: name, namespace, desc, maintainer, "
            "input, environment, checkline, actions",
            f"{src}:4: input.args[0]: 'koji_tag' is not given by this run (its item type is "
            "'koji_build'); run it with -t koji_tag",
            f"{src}:7: actions[0] (download): unknown directive 'shel'; did you mean 'shell'? "
            "(known: bash, bodhi, distgit, dummy, exitcode, koji, python, results, resultsdb, "
            "shell)",
            f"{src}:10: actions[1] (lint): shell.commands[0][1]: '${{later}}' is not defined "
            "(it is exported by actions[3], which runs after this one)",
            f"{src}:11: actions[1] (lint): shell.timeout: unknown key; valid keys: commands, "
            "ignore_returncode, cwd",
            f"{src}:13: actions[2] (code): exitcode: give exactly one of 'result_last' and "
            "'result_worst'",
            f"{src}:16: actions[2] (code): timeout: must be a positive number of seconds, -1 found",
            f"{src}:18: actions[3]: dummy.outcome: 'GREAT' is not an outcome; valid outcomes: "
            "PASSED, INFO, FAILED, NEEDS_INSPECTION, ABORTED, CRASHED",
            f"{src}:19: actions[3]: dummy.sleep: must be a number, 'str' found",
        ]

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("name: x\n", ":1: actions: is required"),
            ("name: x\nactions: []\n", ":2: actions: List should have at least 1 item"),
            ("actions: [{dummy: {}}]\n", ":1: name: is required"),
            (
                "name: x\nactions: [{dummy: {}, python: {}}]\n",
                ":2: actions[0]: has several directives (dummy, python); an action runs one",
            ),
            ("name: x\nactions: [{name: a}]\n", ":2: actions[0] (a): names no directive"),
            (
                "name: x\nactions: [{dummy: {}, colour: red}]\n",
                ":2: actions[0]: unknown key 'colour'; an action has name, export, timeout and "
                "one directive (here 'dummy')",
            ),
            (
                "name: x\nactions: [{dummy: {}, export: item}]\n",
                ":2: actions[0]: export: 'item' is a runner variable; export under another name",
            ),
            (
                "name: x\nactions: [{dummy: {}, export: a-b}]\n",
                ":2: actions[0]: export: must be a variable name (letters, digits, '_'), "
                "'a-b' found",
            ),
            (
                "name: x\nactions:\n  - shell: ['echo $(id)']\n",
                ":3: actions[0]: shell[0]: invalid placeholder in 'echo $(id)': write "
                "${name} for a variable, $$ for a literal $",
            ),
            (
                'name: x\nactions:\n  - shell: ["echo \'open"]\n',
                ':3: actions[0]: shell[0]: cannot split "echo \'open": No closing quotation',
            ),
            (
                "name: x\nactions:\n  - python: {file: nope.py, callable: run}\n",
                ":3: actions[0]: python.file: 'nope.py' does not exist in",
            ),
            (
                "name: x\nactions:\n  - dummy: {summary: $undefined}\n",
                ":3: actions[0]: dummy.summary: '${undefined}' is not defined (defined here: arch,",
            ),
            ("- just a list\n", ": must be a mapping of name, actions, ..., 'list' found"),
            ("name: x\nactions: [\n", ":3: not valid YAML: expected the node content"),
        ],
    )
    def test_single_problem_messages(self, tmp_path: Path, text: str, expected: str) -> None:
        """Assert each kind of problem has its precise message and line."""
        path = write_formula(tmp_path, text)
        with pytest.raises(FormulaError) as raised:
            load_plan(path, make_known())
        assert len(raised.value.problems) == 1
        assert expected in str(raised.value.problems[0])
        assert str(raised.value.problems[0]).startswith(str(path))

    def test_exports_flow_forward_only(self, tmp_path: Path) -> None:
        """Assert an export is usable by later actions and dotted access is checked by root."""
        path = write_formula(
            tmp_path,
            """
            name: x
            actions:
              - dummy: {}
                export: out
              - results: {results: "${out}"}
              - dummy: {summary: "${out.results.0.item} on $arch"}
            """,
        )
        assert len(load_plan(path, make_known()).actions) == 3

    def test_deferred_values_are_not_type_checked_at_plan_time(self, tmp_path: Path) -> None:
        """Assert a whole-value export reference passes plan-time type checks (known later)."""
        path = write_formula(
            tmp_path,
            "name: x\nactions:\n  - dummy: {}\n    export: n\n  - dummy: {sleep: '${n}'}\n",
        )
        assert len(load_plan(path, make_known()).actions) == 2

    def test_known_value_types_are_checked_at_plan_time(self, tmp_path: Path) -> None:
        """Assert a whole-value reference to an input variable is checked with its value."""
        path = write_formula(tmp_path, "name: x\nactions:\n  - dummy: {sleep: '${item}'}\n")
        assert problems_of(path) == [
            f"{path}:3: actions[0]: dummy.sleep: must be a number, 'str' found"
        ]

    def test_unreadable_file(self, tmp_path: Path) -> None:
        """Assert a missing formula file is a FormulaError naming it."""
        with pytest.raises(FormulaError, match="cannot read"):
            load_plan(tmp_path / "missing.yml", make_known())


class TestEnvironment:
    def test_requirements_read_from_the_plan(self, tmp_path: Path) -> None:
        """Assert the formula's environment is kept as given and read in one place,
        ``Plan.requirements``: its rpm list in order, its other keys as given."""
        path = write_formula(
            tmp_path,
            """
            name: x
            environment:
              rpm: [python3-dnf, "python3dist(requests)", /usr/bin/rpmlint]
              note: kept
            actions:
              - dummy: {}
            """,
        )
        plan = load_plan(path, make_known())
        assert plan.environment == {
            "rpm": ["python3-dnf", "python3dist(requests)", "/usr/bin/rpmlint"],
            "note": "kept",
        }
        assert plan.requirements == Requirements(
            ("python3-dnf", "python3dist(requests)", "/usr/bin/rpmlint"), {"note": "kept"}
        )

    def test_no_environment(self, tmp_path: Path) -> None:
        """Assert a formula without an environment requires nothing."""
        plan = load_plan(write_formula(tmp_path, "name: x\nactions: [{dummy: {}}]\n"), make_known())
        assert (plan.environment, plan.requirements) == ({}, Requirements())

    def test_bad_rpm_entries_are_refused_where_they_are(self, tmp_path: Path) -> None:
        """Assert environment.rpm must be a list of package names: one that dnf would read as
        an option, holds a blank, or is no string, is a formula problem at its line."""
        path = write_formula(
            tmp_path,
            """
            name: x
            environment:
              rpm:
                - --nogpgcheck
                - two words
                - 3
            actions:
              - dummy: {}
            """,
        )
        src = str(path)
        assert problems_of(path) == [
            f"{src}:4: environment.rpm[0]: must name a package (no blank or control character, "
            "not starting with '-'), '--nogpgcheck' found",
            f"{src}:5: environment.rpm[1]: must name a package (no blank or control character, "
            "not starting with '-'), 'two words' found",
            f"{src}:6: environment.rpm[2]: must be a string, 'int' found",
        ]

    @pytest.mark.parametrize(
        ("environment", "problem"),
        [
            ("{rpm: python3-dnf}", "environment.rpm: must be a list, 'str' found"),
            ("[python3-dnf]", "environment: must be a mapping, 'list' found"),
        ],
    )
    def test_environment_shapes(self, tmp_path: Path, environment: str, problem: str) -> None:
        """Assert environment is a mapping and its rpm a list."""
        path = write_formula(
            tmp_path, f"name: x\nenvironment: {environment}\nactions: [{{dummy: {{}}}}]\n"
        )
        assert problems_of(path) == [f"{path}:2: {problem}"]


class TestCheckcodeInterpreter:
    @pytest.mark.parametrize("python", ["/usr/bin/python3.12", "python3.12"])
    def test_formula_chooses_its_interpreter(self, tmp_path: Path, python: str) -> None:
        """Assert ``checkline: {python: ...}`` (a path or a command name) is the plan's python,
        and that a formula without it has none (the runner's choice applies)."""
        path = write_formula(
            tmp_path, f"name: x\ncheckline:\n  python: {python}\nactions:\n  - dummy: {{}}\n"
        )
        assert load_plan(path, make_known()).python == python
        path = write_formula(tmp_path, "name: x\nactions:\n  - dummy: {}\n")
        assert load_plan(path, make_known()).python is None

    @pytest.mark.parametrize(
        ("checkline", "message"),
        [
            (
                "{python: venv/bin/python}",
                "checkline.python: must be an absolute path or a command name found on PATH "
                "(python3.12), 'venv/bin/python' found: a relative path means something else "
                "on every worker",
            ),
            ("{python: ''}", "checkline.python: must be an interpreter's path or command name"),
            ("{python: 3}", "checkline.python: must be a string, 'int' found"),
            ("{pyhton: python3}", "checkline.pyhton: unknown key; valid keys: python"),
        ],
    )
    def test_bad_values_are_job_errors(self, tmp_path: Path, checkline: str, message: str) -> None:
        """Assert a malformed ``checkline`` mapping is a formula problem with its line."""
        path = write_formula(tmp_path, f"name: x\ncheckline: {checkline}\nactions: [dummy: {{}}]\n")
        [problem] = problems_of(path)
        assert problem.startswith(f"{path}:2: {message}")


def test_unknown_nested_key_lists_that_mappings_keys(tmp_path: Path) -> None:
    """Assert an unknown key under ``input`` lists ``input``'s keys, not the formula's."""
    path = write_formula(tmp_path, "name: x\ninput: {argz: [koji_build]}\nactions: [dummy: {}]\n")
    assert problems_of(path) == [f"{path}:2: input.argz: unknown key; valid keys: args"]


class TestRealTaskotronFormulas:
    def test_python_versions_fails_only_for_missing_parts(self, fixtures_dir: Path) -> None:
        """Assert Taskotron's python-versions formula loads: only its .py file is missing."""
        path = fixtures_dir / "formulas" / "taskotron-python-versions.yml"
        assert problems_of(path) == [
            f"{path}:28: actions[1] (run task): python.file: 'python_versions_check.py' does "
            f"not exist in {path.parent}",
        ]

    def test_taskotron_style_formula_validates(self, fixtures_dir: Path) -> None:
        """Assert a formula using Taskotron's features and our directives validates unchanged."""
        path = fixtures_dir / "formulas" / "taskotron-style" / "runtask.yml"
        plan = load_plan(path, make_known())
        assert plan.environment == {"rpm": ["rpm-python"]}
        assert plan.input_args == ("koji_build", "arch")
        # The string command was split before substitution: one argv element per token.
        assert plan.actions[0].params == {"commands": [["echo", "${koji_build}", "on", "$arch"]]}


def test_build_plan_from_plain_dict(tmp_path: Path) -> None:
    """Assert build_plan validates a plain dict (no file) and names problems by file name."""
    data = {"name": "x", "actions": [{"dummy": {"outcome": "PASSED"}}]}
    assert build_plan(data, path=tmp_path / "f.yml", known=make_known()).name == "x"
    with pytest.raises(FormulaError) as raised:
        build_plan(
            {"name": "x", "actions": [{"dummy": 1}]}, path=tmp_path / "f.yml", known=make_known()
        )
    assert [str(p) for p in raised.value.problems] == [
        "f.yml: actions[0]: dummy: must be a mapping, 'int' found"
    ]
