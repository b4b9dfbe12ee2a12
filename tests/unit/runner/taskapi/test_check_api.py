"""Taskotron's check API for check code (``runner/taskapi/``): ``libtaskotron.check`` and
``checkb.check``, one implementation under two names.

The behaviours are libtaskotron's (checkb's tests show them: NEEDS_INSPECTION by default, an
unknown outcome raises, reserved keyvals are skipped with a warning, import_YAML's errors), with
libtaskotron 0.4's ``details`` and 0.3's TAP13. The modules are imported from the taskapi folder
by path, as check code gets them, for this test module only: Checkline's own interpreter never
has them.
"""

from __future__ import annotations

import copy
import importlib
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from checkline.reporting.resultyaml import parse_resultyaml
from checkline.reporting.tap import parse_tap
from checkline.runner.interpreter import SYSTEM_PYTHON, TASKAPI_DIR

NAMES = ("libtaskotron", "checkb", "_checkline_taskapi")


@dataclass(frozen=True)
class Api:
    name: str
    check: ModuleType
    error: type[ValueError]  # TaskotronValueError, CheckbValueError
    base_error: type[Exception]  # TaskotronError, CheckbError


def _forget() -> None:
    for module in list(sys.modules):
        if module.split(".")[0] in NAMES:
            del sys.modules[module]


@pytest.fixture(
    scope="module",
    params=[
        ("libtaskotron", "TaskotronValueError", "TaskotronError"),
        ("checkb", "CheckbValueError", "CheckbError"),
    ],
    ids=["libtaskotron", "checkb"],
)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """One name of the API, imported from runner/taskapi/ (taken off sys.path afterwards)."""
    name, error, base = request.param
    sys.path.insert(0, str(TASKAPI_DIR))
    try:
        check = importlib.import_module(f"{name}.check")
        exceptions = importlib.import_module(f"{name}.exceptions")
        yield Api(name, check, getattr(exceptions, error), getattr(exceptions, base))
    finally:
        sys.path.remove(str(TASKAPI_DIR))
        _forget()


def detail(api: Api, *args: Any, **kwargs: Any) -> Any:
    return api.check.CheckDetail(*args, **kwargs)


def raises_exactly(api: Api) -> Any:
    """pytest.raises for the name's own ValueError, checked to be exactly that class."""

    class Exactly:
        def __enter__(self) -> None:
            self.caught = pytest.raises(api.error)
            self.info = self.caught.__enter__()

        def __exit__(self, *exc: Any) -> bool:
            handled = bool(self.caught.__exit__(*exc))
            assert type(self.info.value) is api.error
            assert isinstance(self.info.value, ValueError)
            assert isinstance(self.info.value, api.base_error)
            return handled

    return Exactly()


class TestCheckDetail:
    def test_init_empty(self, api: Api) -> None:
        """Assert a new CheckDetail's outcome is NEEDS_INSPECTION, everything else empty."""
        cd = detail(api, None)
        assert cd.outcome == "NEEDS_INSPECTION"
        assert (cd.item, cd.note, cd.output, cd.keyvals, cd.checkname) == (None, "", [], {}, None)
        assert (cd.report_type, cd.artifact) == (None, None)

    def test_init_params(self, api: Api) -> None:
        """Assert the constructor keeps its arguments, in libtaskotron's order."""
        cd = detail(
            api, "foo-1.2-3.fc20", "koji_build", "FAILED", "untested", ["l1", "l2"],
            {"k": 1}, "testcheck", "logfile.log",
        )  # fmt: skip
        assert (cd.item, cd.report_type, cd.outcome, cd.note) == (
            "foo-1.2-3.fc20", "koji_build", "FAILED", "untested",
        )  # fmt: skip
        assert (cd.output, cd.keyvals, cd.checkname, cd.artifact) == (
            ["l1", "l2"], {"k": 1}, "testcheck", "logfile.log",
        )  # fmt: skip

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"outcome": "INVALID TYPE"}, "Unknown outcome keyword: INVALID TYPE"),
            ({"output": "foobar"}, "'output' parameter must be a mutable sequence of strings"),
            ({"output": ("a",)}, "'output' parameter must be a mutable sequence of strings"),
            ({"output": [1]}, "'output' parameter must be a mutable sequence of strings"),
            ({"keyvals": "foobar"}, "'keyvals' parameter must be a mapping"),
        ],
    )
    def test_init_raise(self, api: Api, kwargs: dict[str, Any], message: str) -> None:
        """Assert invalid arguments raise the name's own ValueError (TaskotronValueError or
        CheckbValueError, a ValueError and its Error)."""
        with raises_exactly(api):
            detail(api, None, **kwargs)
        with pytest.raises(ValueError, match=message):
            detail(api, None, **kwargs)

    def test_outcome(self, api: Api) -> None:
        """Assert the outcome property takes every known outcome and refuses others."""
        cd = detail(api, None)
        for outcome in ("INFO", "PASSED", "FAILED", "NEEDS_INSPECTION", "ABORTED", "CRASHED"):
            cd.outcome = outcome
            assert cd.outcome == outcome
        with raises_exactly(api):
            cd.outcome = "INVALID OUTCOME TYPE"
        assert cd.outcome == "CRASHED"
        assert api.check.CheckDetail.outcome_priority == (
            "PASSED", "INFO", "FAILED", "NEEDS_INSPECTION", "ABORTED", "CRASHED",
        )  # fmt: skip

    def test_update_outcome_the_worse_wins(self, api: Api) -> None:
        """Assert update_outcome keeps the more severe outcome, and None changes nothing."""
        cd = detail(api, None)
        cd.update_outcome("FAILED")
        assert cd.outcome == "FAILED"
        cd.update_outcome("PASSED")
        assert cd.outcome == "FAILED"
        cd.update_outcome(None)
        assert cd.outcome == "FAILED"
        cd.update_outcome("ABORTED")
        assert cd.outcome == "ABORTED"
        with raises_exactly(api):
            cd.update_outcome("INVALID OUTCOME TYPE")
        fresh = detail(api, None)
        fresh.update_outcome("PASSED")  # above "not set yet", below NEEDS_INSPECTION
        assert fresh.outcome == "PASSED"

    def test_broken(self, api: Api) -> None:
        """Assert broken() is true for ABORTED and CRASHED only."""
        cd = detail(api, None)
        assert not cd.broken()
        for outcome, broken in (("ABORTED", True), ("CRASHED", True), ("FAILED", False)):
            cd.outcome = outcome
            assert cd.broken() is broken

    def test_store(self, api: Api, capsys: pytest.CaptureFixture[str]) -> None:
        """Assert store() appends to output and prints, unless printout is false."""
        cd = detail(api, None)
        cd.store("foobar")
        assert cd.output == ["foobar"]
        assert capsys.readouterr() == ("foobar\n", "")
        cd.store("barbaz", printout=False)
        assert cd.output == ["foobar", "barbaz"]
        assert capsys.readouterr() == ("", "")

    @pytest.mark.parametrize(
        ("one", "two", "expected"),
        [
            ("FAILED", "PASSED", 1),
            ("NEEDS_INSPECTION", "INFO", 1),
            ("CRASHED", "ABORTED", 1),
            ("PASSED", None, 1),
            ("PASSED", "PASSED", 0),
            (None, None, 0),
            ("PASSED", "FAILED", -1),
            (None, "PASSED", -1),
        ],
    )
    def test_cmp_outcome(self, api: Api, one: str | None, two: str | None, expected: int) -> None:
        """Assert cmp_outcome orders outcomes by severity, None lowest."""
        assert api.check.CheckDetail.cmp_outcome(one, two) == expected

    @pytest.mark.parametrize(
        ("one", "two"), [("PASSED", "INVALID"), ("INVALID", "FAILED"), ("FOO", "FOO")]
    )
    def test_cmp_outcome_raise(self, api: Api, one: str, two: str) -> None:
        """Assert cmp_outcome refuses an unknown outcome on either side."""
        with raises_exactly(api):
            api.check.CheckDetail.cmp_outcome(one, two)

    def test_create_multi_item_summary(self, api: Api) -> None:
        """Assert the summary counts outcomes in severity order, from strings or details."""
        summary = api.check.CheckDetail.create_multi_item_summary
        assert (
            summary(["PASSED", "PASSED", "FAILED", "ABORTED", "INFO", "INFO"])
            == "2 PASSED, 2 INFO, 1 FAILED, 1 ABORTED"
        )
        assert summary([]) == ""
        assert summary(detail(api, None)) == "1 NEEDS_INSPECTION"
        details = [detail(api, None), *(detail(api, None, outcome=o) for o in ("PASSED",) * 2)]
        details.append(detail(api, None, outcome="INFO"))
        assert summary(details) == "2 PASSED, 1 INFO, 1 NEEDS_INSPECTION"
        assert summary(iter(["FAILED"])) == "1 FAILED"
        for wrong in ("PASSED", 5, [1, 2]):
            with raises_exactly(api):
                summary(wrong)

    def test_str_strips_output_and_keeps_it(self, api: Api) -> None:
        """Assert str() shows the attributes without the output, and does not drop it."""
        cd = detail(api, "x-1-1", output=["a long output"])
        text = str(cd)
        assert text.startswith("<CheckDetail: {")
        assert "'output': '<stripped out>'" in text
        assert "'item': 'x-1-1'" in text
        assert cd.output == ["a long output"]

    def test_report_type(self, api: Api) -> None:
        """Assert ReportType's constants are ResultYAML's item types."""
        report_type = api.check.ReportType
        assert report_type.KOJI_BUILD == "koji_build"
        assert report_type.BODHI_UPDATE == "bodhi_update"
        assert report_type.KOJI_TAG == "koji_tag"
        assert report_type.DIST_GIT_COMMIT == "dist_git_commit"
        assert set(report_type.list()) >= {
            "bodhi_update", "compose", "dist_git_commit", "docker_image", "git_commit",
            "koji_build", "koji_tag", "module_build", "pull_request",
        }  # fmt: skip

    def test_one_implementation_two_names(self, api: Api) -> None:
        """Assert each name has its own CheckDetail class, in its own module, on the shared
        implementation."""
        shared = importlib.import_module("_checkline_taskapi.check")
        assert api.check.CheckDetail.__module__ == f"{api.name}.check"
        assert issubclass(api.check.CheckDetail, shared.CheckDetail)
        assert api.check.CheckDetail is not shared.CheckDetail
        assert api.check.ReportType is shared.ReportType


ITEM = "xchat-0.5-1.fc20"


def full_detail(api: Api) -> Any:
    cd = detail(
        api,
        item=ITEM,
        outcome="PASSED",
        note="5 ERRORS, 10 WARNINGS",
        report_type=api.check.ReportType.KOJI_BUILD,
        keyvals={"foo": "bar", "moo": 11},
        checkname="testcheck",
        artifact="logfile.log",
    )
    cd._internal = {"resultsdb_result_id": 1234}
    return cd


class TestExportYAML:
    def test_single(self, api: Api) -> None:
        """Assert one CheckDetail exports every field, keyvals as keys of the result."""
        out = yaml.safe_load(api.check.export_YAML(full_detail(api)))
        assert out == {
            "results": [
                {
                    "item": ITEM,
                    "outcome": "PASSED",
                    "note": "5 ERRORS, 10 WARNINGS",
                    "type": "koji_build",
                    "foo": "bar",
                    "moo": 11,
                    "checkname": "testcheck",
                    "artifact": "logfile.log",
                    "_internal": {"resultsdb_result_id": 1234},
                }
            ]
        }

    def test_text_is_libtaskotrons(self, api: Api) -> None:
        """Assert the text itself: sorted keys, block style, output as details.output."""
        cd = detail(
            api,
            ITEM,
            "koji_build",
            "FAILED",
            "1 ERROR",
            ["a: E: bad", "a: W: meh"],
            {"arch": "x86_64"},
        )
        assert api.check.export_YAML(cd) == textwrap.dedent(
            """\
            results:
            - arch: x86_64
              details:
                output: 'a: E: bad

                  a: W: meh'
              item: xchat-0.5-1.fc20
              note: 1 ERROR
              outcome: FAILED
              type: koji_build
            """
        )

    def test_reserved_keyvals_are_skipped_with_a_warning(
        self, api: Api, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Assert a keyval named like a reserved key never overrides it, with a warning."""
        cd = copy.deepcopy(full_detail(api))
        for key in api.check.RESERVED_KEYS:
            cd.keyvals[key] = "foo"
        with caplog.at_level(logging.WARNING, logger=api.name):
            out = yaml.safe_load(api.check.export_YAML(cd))["results"][0]
        assert out == yaml.safe_load(api.check.export_YAML(full_detail(api)))["results"][0]
        assert "Reserved key 'item' found in keyvals. Ignoring for export purposes." in [
            r.getMessage() for r in caplog.records if r.name == api.name
        ]
        assert set(api.check.RESERVED_KEYS) >= {"item", "type", "outcome", "note", "results"}
        assert "details" in api.check.RESERVED_KEYS

    def test_multi(self, api: Api) -> None:
        """Assert several CheckDetails export in order."""
        cd2 = detail(api, "foobar-1.2-3.fc20", "bodhi_update", "FAILED", "dependency error")
        cd3 = detail(api, "f20-updates", "koji_tag", "INFO", "2 stale updates")
        out = yaml.safe_load(api.check.export_YAML([full_detail(api), cd2, cd3]))
        assert [r["item"] for r in out["results"]] == [ITEM, "foobar-1.2-3.fc20", "f20-updates"]

    def test_missing_item(self, api: Api) -> None:
        """Assert a CheckDetail without item cannot be exported."""
        cd = full_detail(api)
        cd.item = None
        with raises_exactly(api):
            api.check.export_YAML(cd)
        with pytest.raises(ValueError, match=r"^CheckDetail.item is empty for: <CheckDetail: "):
            api.check.export_TAP([cd])

    def test_minimal(self, api: Api) -> None:
        """Assert empty fields give no keys: only item and outcome."""
        out = yaml.safe_load(api.check.export_YAML(detail(api, "foo")))
        assert out == {"results": [{"item": "foo", "outcome": "NEEDS_INSPECTION"}]}

    def test_custom_report_type(self, api: Api) -> None:
        """Assert any report_type string is exported as the type."""
        cd = full_detail(api)
        cd.report_type = "My Custom Type"
        assert yaml.safe_load(api.check.export_YAML(cd))["results"][0]["type"] == "My Custom Type"


IMPORTED = """
results:
  - item: xchat-0.5-1.fc20
    outcome: PASSED
    artifact: logfile.log
    note: 5 ERRORS, 10 WARNINGS
    type: koji_build
    foo: bar
    moo: 11
    checkname: testcheck
    details:
      output: "one\\ntwo"
    _internal:
        resultsdb_result_id: 1234
"""


class TestImportYAML:
    def test_import(self, api: Api) -> None:
        """Assert ResultYAML reads into the name's CheckDetails, other keys as keyvals."""
        [cd] = api.check.import_YAML(IMPORTED)
        assert type(cd) is api.check.CheckDetail
        assert (cd.item, cd.outcome, cd.note, cd.report_type) == (
            ITEM, "PASSED", "5 ERRORS, 10 WARNINGS", "koji_build",
        )  # fmt: skip
        assert (cd.keyvals, cd.checkname, cd.artifact) == (
            {"foo": "bar", "moo": 11}, "testcheck", "logfile.log",
        )  # fmt: skip
        assert cd._internal == {"resultsdb_result_id": 1234}
        assert cd.output == ["one", "two"]

    def test_import_exported(self, api: Api) -> None:
        """Assert what export_YAML wrote reads back the same."""
        cd = full_detail(api)
        cd.store("line", printout=False)
        [back] = api.check.import_YAML(api.check.export_YAML(cd))
        assert vars(back) == vars(cd)

    @pytest.mark.parametrize(
        ("source", "message"),
        [
            (None, "Failed to parse YAML contents: empty input"),
            ("", "Failed to parse YAML contents: empty input"),
            ("key:value\nkey: value", "Failed to parse YAML contents: mapping values"),
            ("[]", "Invalid type of the YAML root element, <class 'list'> instead of dict"),
            ("{}", "Invalid format of the YAML data - missing `results` key"),
            ("{'results': {}}", "Invalid type of 'results', <class 'dict'> instead of list"),
            ("results: [3]", "Invalid type of results[0], <class 'int'> instead of dict"),
            ("results: [{item: x, outcome: GREAT}]", "Unknown outcome keyword: GREAT"),
        ],
    )
    def test_import_raise(self, api: Api, source: str | None, message: str) -> None:
        """Assert unreadable or misshapen ResultYAML raises the name's ValueError."""
        with raises_exactly(api):
            api.check.import_YAML(source)
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
            api.check.import_YAML(source)

    def test_no_results(self, api: Api) -> None:
        """Assert an empty or null results list gives no CheckDetails."""
        assert api.check.import_YAML("{'results': []}") == []
        assert api.check.import_YAML("{'results': null}") == []


class TestExportTAP:
    def test_text(self, api: Api) -> None:
        """Assert libtaskotron 0.3's TAP13: version, plan, ok/not ok with checkname or item,
        and a YAML block with ResultYAML's keys."""
        first = detail(
            api, ITEM, "koji_build", "FAILED", "2 # SKIP", ["E: x", "...", ""], {"arch": "noarch"},
            checkname="dist.rpmlint",
        )  # fmt: skip
        second = detail(api, "f40", "koji_tag", "INFO")
        assert api.check.export_TAP([first, second]) == textwrap.dedent(
            """\
            TAP version 13
            1..2
            not ok 1 - dist.rpmlint
              ---
              arch: noarch
              checkname: dist.rpmlint
              details:
                output: "E: x\\n...\\n"
              item: xchat-0.5-1.fc20
              note: '2 # SKIP'
              outcome: FAILED
              type: koji_build
              ...
            ok 2 - f40
              ---
              item: f40
              outcome: INFO
              type: koji_tag
              ...
            """
        )

    def test_checkname_for_those_without(self, api: Api) -> None:
        """Assert export_TAP's checkname names the results that have none of their own."""
        own = detail(api, "a-1-1", "koji_build", "PASSED", checkname="own")
        text = api.check.export_TAP([own, detail(api, "b-1-1", "koji_build")], checkname="dflt")
        lines = text.splitlines()
        assert "ok 1 - own" in lines
        assert "not ok 2 - dflt" in lines
        assert "  checkname: dflt" in lines

    def test_multiline_output_is_a_literal_block(self, api: Api) -> None:
        """Assert readable output: lines as a literal block, blank lines indented too."""
        cd = detail(api, "a-1-1", "koji_build", "PASSED", output=["one", "", "three"])
        block = api.check.export_TAP(cd).splitlines()[4:9]
        assert block == ["  details:", "    output: |-", "      one", "  ", "      three"]

    def test_empty(self, api: Api) -> None:
        """Assert no CheckDetails is an empty plan."""
        assert api.check.export_TAP([]) == "TAP version 13\n1..0\n"


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
NAME = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=20)
VALUE = st.one_of(st.none(), st.booleans(), st.integers(), TEXT, st.lists(TEXT, max_size=3))
DETAILS = st.lists(
    st.fixed_dictionaries(
        {
            "item": NAME,
            "report_type": st.sampled_from(["koji_build", "bodhi_update", "koji_tag"]),
            "outcome": st.sampled_from(
                ["PASSED", "INFO", "FAILED", "NEEDS_INSPECTION", "ABORTED", "CRASHED"]
            ),
            "note": TEXT,
            "output": st.lists(TEXT, max_size=4),
            "keyvals": st.dictionaries(NAME, VALUE, max_size=3),
            "checkname": st.one_of(st.none(), NAME),
            "artifact": st.one_of(st.none(), NAME),
        }
    ),
    max_size=4,
)


HOSTILE = {
    "item": "x-1-1 # SKIP\u2028not ok 9",
    "report_type": "koji_build",
    "outcome": "PASSED",
    "note": "a\n...\nb",
    "output": ["...", "", "  ---", "# TODO", "not ok 3", "\x85", "\r", ""],
    "keyvals": {"...": "...", "k": "\u2029 ... \n\n", "l": ["|+\n\n", "'\"", None]},
    "checkname": "c\nd",
    "artifact": "--- ...",
}


@settings(max_examples=150, deadline=None)
@given(fields=DETAILS)
@example(fields=[HOSTILE, {**HOSTILE, "outcome": "FAILED", "output": ["a\n\n"]}])
def test_tap_and_resultyaml_give_the_same_verdicts(api: Api, fields: list[dict[str, Any]]) -> None:
    """Assert Checkline's TAP13 reader gives from export_TAP exactly the verdicts its
    ResultYAML reader gives from export_YAML, for any text (line breaks, '...', '#', quotes,
    Unicode breaks) in notes, output, keyvals and names."""
    logging.getLogger(api.name).disabled = True  # reserved-key warnings, on purpose here
    details = [api.check.CheckDetail(**f) for f in fields]
    from_yaml = parse_resultyaml(api.check.export_YAML(details))
    from_tap = parse_tap(api.check.export_TAP(details))
    assert from_tap.problems == from_yaml.problems == []
    assert from_tap.verdicts == from_yaml.verdicts
    assert len(from_tap.verdicts) == len(details)
    assert [v["outcome"] for v in from_tap.verdicts] == [d.outcome for d in details]


def test_without_pyyaml_only_the_yaml_functions_fail(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assert the API imports and works without PyYAML, and export_YAML, export_TAP and
    import_YAML then say they need it and how to get it."""
    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml raises ImportError
    cd = detail(api, ITEM, "koji_build", "PASSED")
    cd.update_outcome("FAILED")
    for function, argument in (
        (api.check.export_YAML, cd),
        (api.check.export_TAP, cd),
        (api.check.import_YAML, "results: []"),
    ):
        with pytest.raises(ModuleNotFoundError) as caught:
            function(argument)
        assert f"{api.name}.check.{function.__name__} needs PyYAML, which" in str(caught.value)
        assert "python3-yaml" in str(caught.value)


@pytest.mark.skipif(not Path(SYSTEM_PYTHON).is_file(), reason=f"no {SYSTEM_PYTHON} here")
@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], ["libtaskotron.check: ok", "checkb.check: ok", "ok"]),
        (
            ["-S"],  # no site-packages: no PyYAML
            [
                "libtaskotron.check: ok (no PyYAML: export_YAML, import_YAML, export_TAP say so)",
                "checkb.check: ok (no PyYAML: export_YAML, import_YAML, export_TAP say so)",
                "ok",
            ],
        ),
    ],
    ids=["with-pyyaml", "without-site-packages"],
)
def test_self_check_under_the_system_python(flags: list[str], expected: list[str]) -> None:
    """Assert the API's own self-check passes under the system's Python 3, with only the
    taskapi folder on its path (no Checkline there), with and without PyYAML."""
    done = subprocess.run(
        [SYSTEM_PYTHON, *flags, "-m", "_checkline_taskapi"],
        env={"PYTHONPATH": str(TASKAPI_DIR), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, cwd="/", check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [f"Python {_version()} at {SYSTEM_PYTHON}", *expected]


def _version() -> str:
    return subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
