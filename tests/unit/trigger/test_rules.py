"""Rules: queries as parametrized tables, (event, rules) -> jobs, load-time errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from trigger_factories import make_event

from checkline.trigger.errors import RulesError
from checkline.trigger.query import compile_query
from checkline.trigger.rules import job_arches, load_rules, parse_rules

EVENT = make_event(builds=["a-1-1.fc42", "b-2-1.fc42"], tag="f42-updates-testing-pending")


@pytest.mark.parametrize(
    ("when", "matches"),
    [
        ({"item_type": "koji_build"}, True),
        ({"item_type": "koji_tag"}, False),
        ({"item_type": {"$eq": "koji_build"}, "owner": "pkgr"}, True),
        ({"item_type": "koji_build", "owner": "someone"}, False),
        ({"owner": {"$ne": "pkgr"}}, False),
        ({"name": {"$in": ["python-requests", "xchat"]}}, True),
        ({"name": {"$in": ["xchat"]}}, False),
        ({"name": {"$nin": ["kernel", "glibc"]}}, True),
        ({"name": {"$nin": ["python-requests"]}}, False),
        ({"tag": {"$regex": "^f[0-9]+-updates(-testing)?-pending$"}}, True),
        ({"tag": {"$regex": "/^f[0-9]+-updates-pending$/"}}, False),  # Taskotron's /.../ form
        ({"tag": {"$regex": "testing"}}, True),  # searched, not anchored
        ({"name": {"$regex": "^python-"}, "version": {"$regex": "^3"}}, False),
        ({"epoch": {"$exists": False}}, True),
        ({"owner": {"$exists": True}}, True),
        ({"epoch": None}, True),  # Mongo: null matches a missing field
        ({"owner": {"$not": {"$eq": "pkgr"}}}, False),
        ({"owner": {"$not": "^bot"}}, True),  # $not with a bare regex
        ({"$not": {"item_type": "koji_tag"}}, True),
        ({"$or": [{"owner": "x"}, {"name": "python-requests"}]}, True),
        ({"$or": [{"owner": "x"}, {"name": "y"}]}, False),
        ({"$and": [{"owner": "pkgr"}, {"item_type": "koji_build"}]}, True),
        ({"$and": [{"owner": "pkgr"}, {"item_type": "koji_tag"}]}, False),
        ({"builds": "b-2-1.fc42"}, True),  # a list field contains the value
        ({"builds": {"$in": ["z", "a-1-1.fc42"]}}, True),
        ({"builds": {"$regex": "^b-"}}, True),
        ({"builds": {"$nin": ["a-1-1.fc42"]}}, False),
        ({"target": "${release}"}, False),
        ({"item": "${name}-${version}-${release}"}, True),  # placeholders: data from the event
        ({"item": {"$regex": "^${name}-"}}, True),
        ({"item": "${nothing}"}, False),  # an unknown placeholder matches nothing
        ({"price": "$$5"}, False),
        ({"msg_id": {"$eq": "m-1"}, "topic": {"$regex": r"build\.state"}}, True),
    ],
)
def test_query(when: dict[str, Any], matches: bool) -> None:
    """Assert each operator against one Event, and that explain agrees with match."""
    node = compile_query(when, "t")
    assert node.match(EVENT) is matches
    assert node.why(EVENT)[0] is matches


def test_placeholder_data_is_escaped_in_regex() -> None:
    """Assert a value put in a $regex by a placeholder is matched literally (data, not regex)."""
    node = compile_query({"item": {"$regex": "^${name}$"}}, "t")
    assert node.match({"item": "a+b", "name": "a+b"})
    assert not node.match({"item": "aab", "name": "a+b"})
    assert not node.match({"item": "anything", "name": ".*"})


def test_placeholder_whole_value_keeps_type() -> None:
    """Assert '${x}' alone compares with the field's own value (a list stays a list)."""
    node = compile_query({"builds": "${others}"}, "t")
    assert node.match({"builds": ["a"], "others": ["a"]})
    assert not node.match({"builds": ["a"], "others": ["b"]})


@pytest.mark.parametrize(
    ("when", "error"),
    [
        ({"name": {"$gt": 1}}, r"t: name: unknown operator '\$gt'; known: \$eq"),
        ({"$nor": []}, r"t: unknown operator '\$nor' at the top of a query"),
        ({"name": {"$in": "x"}}, r"t: name: \$in needs a list, got 'x'"),
        ({"name": {"$regex": "("}}, r"t: name: bad \$regex '\(': missing \)"),
        ({"name": {"$regex": 5}}, r"t: name: \$regex needs a string"),
        ({"name": {"$exists": "yes"}}, r"t: name: \$exists needs true or false"),
        ({"$or": []}, r"t: \$or needs a non-empty list of queries"),
        ({"$and": [{"a": {"$bad": 1}}]}, r"t: \$and\[0\]: a: unknown operator"),
        (["item_type"], r"t: a query must be a mapping"),
    ],
)
def test_query_errors(when: Any, error: str) -> None:
    """Assert a bad query is refused with the place and the reason."""
    with pytest.raises(RulesError, match=error):
        compile_query(when, "t")


def rules(text: str, checks_dir: Path, arches: tuple[str, ...] = ("x86_64", "aarch64")) -> Any:
    return parse_rules(yaml.safe_load(text), "rules.yml", checks_dir, arches)


def jobs(ruleset: Any, event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(job["taskname"], job["arch"]) for job in ruleset.jobs_for(event)]


@pytest.mark.parametrize(
    ("text", "event", "expected"),
    [
        # arches default to valid_arches
        (
            "- {when: {item_type: koji_build}, do: [{tasks: [dummy]}]}",
            {},
            [("dummy", "x86_64"), ("dummy", "aarch64")],
        ),
        # noarch: one run for all arches, whatever else is listed
        (
            "- {when: {item_type: koji_build}, do: [{tasks: [dummy], arches: [x86_64, noarch]}]}",
            {},
            [("dummy", "noarch")],
        ),
        # two rules asking for the same (task, arch): one job
        (
            "- {when: {item_type: koji_build}, do: [{tasks: [dummy], arches: [x86_64]}]}\n"
            "- {when: {owner: pkgr}, do: [{tasks: [dummy, nvr-sanity], arches: [x86_64]}]}",
            {},
            [("dummy", "x86_64"), ("nvr-sanity", "x86_64")],
        ),
        # a rule for another item type does not apply
        ("- {when: {item_type: koji_tag}, do: [{tasks: [dummy]}]}", {}, []),
        # an untyped rule applies to every type
        (
            "- {when: {item_type: koji_tag}, do: [{tasks: [dummy]}]}\n"
            "- {when: {owner: pkgr}, do: [{tasks: [nvr-sanity], arches: [ppc64le]}]}",
            {"item_type": "koji_tag"},
            [("dummy", "x86_64"), ("dummy", "aarch64"), ("nvr-sanity", "ppc64le")],
        ),
        # $in on item_type indexes the rule under both types
        (
            "- {when: {item_type: {$in: [koji_tag, koji_build]}}, do: [{tasks: [dummy], "
            "arches: [s390x]}]}",
            {},
            [("dummy", "s390x")],
        ),
        # arches from the event, only when they look like arch names
        (
            "- {when: {}, do: [{tasks: [dummy], arches: ['${arches}']}]}",
            {"arches": ["x86_64", "../../etc", "armhfp"]},
            [("dummy", "x86_64"), ("dummy", "armhfp")],
        ),
        # a tag filter with a blacklist (Taskotron's trigger_rules)
        (
            "- when: {item_type: koji_build, name: {$nin: [python-requests]}}\n"
            "  do: [{tasks: [dummy]}]",
            {},
            [],
        ),
    ],
)
def test_jobs_for(
    checks_dir: Path, text: str, event: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    """Assert (rules.yml, event) -> the expected jobs, in order."""
    ruleset = rules(text, checks_dir)
    full = make_event(**event)
    assert jobs(ruleset, full) == expected
    for job in ruleset.jobs_for(full):
        assert (job["item"], job["item_type"]) == (full["item"], full["item_type"])
        assert set(job) == {"item", "item_type", "taskname", "arch"}


def test_explain_says_why(checks_dir: Path) -> None:
    """Assert explain gives each rule, whether it matched, the failing clause and its jobs."""
    ruleset = rules(
        "- {when: {item_type: koji_build, owner: bob}, do: [{tasks: [dummy]}]}\n"
        "- {when: {name: {$regex: '^python-'}}, do: [{tasks: [nvr-sanity], arches: [noarch]}]}",
        checks_dir,
    )
    first, second = ruleset.explain(make_event())
    assert not first.matched
    assert "owner $eq 'bob': no (it is 'pkgr')" in first.reason
    assert "item_type $eq 'koji_build': yes" in first.reason
    assert first.jobs == []
    assert second.matched
    assert second.reason == "name $regex '^python-': yes (it is 'python-requests')"
    assert [job["taskname"] for job in second.jobs] == ["nvr-sanity"]


def test_every_problem_named_at_once(checks_dir: Path) -> None:
    """Assert a bad file reports every problem, each with the file and the rule."""
    text = """
- when: {item_type: koji_build}
  do: [{tasks: [dummy, rpmlnt]}]
- when: {item_type: {$gt: 1}}
  do: [{tasks: [dummy]}]
- when: {item_type: koji_tag}
  do: [{tasks: ['../../bin/sh'], arches: ['x86 64'], extra: 1}]
- when: {item_type: koji_tag}
- just a string
"""
    with pytest.raises(RulesError) as caught:
        rules(text, checks_dir)
    message = str(caught.value)
    assert message.startswith("rules.yml: unusable rules (7 problems):")
    assert (
        f"rules.yml: rule 0: do[0]: check 'rpmlnt' is not in the checks repo "
        f"({checks_dir / 'rpmlnt' / 'runtask.yml'} does not exist); known checks: dummy, nvr-sanity"
    ) in message
    assert "rules.yml: rule 1: when: item_type: unknown operator '$gt'" in message
    assert "rules.yml: rule 2: do[0]: unknown key(s) extra; valid: tasks, arches" in message
    assert "rules.yml: rule 2: do[0]: check '../../bin/sh' is not a check's folder name" in message
    assert "rules.yml: rule 2: do[0]: 'x86 64' is not a valid arch name" in message
    assert "rules.yml: rule 3: do must be a non-empty list" in message
    assert (
        "rules.yml: rule 4: must be a mapping with 'when' and 'do', got 'just a string'" in message
    )


def test_not_a_list(checks_dir: Path) -> None:
    """Assert a rules file that is not a list is refused by name."""
    with pytest.raises(RulesError, match=r"^r.yml: the rules must be a YAML list"):
        parse_rules({"when": {}}, "r.yml", checks_dir, ("x86_64",))


def test_load_rules_safe_yaml_only(tmp_path: Path, checks_dir: Path) -> None:
    """Assert a Python tag in the rules file is refused, not executed."""
    path = tmp_path / "rules.yml"
    path.write_text("- !!python/object/apply:os.system ['touch /tmp/pwned-by-rules']\n")
    with pytest.raises(RulesError, match=rf"^{path}: not valid YAML"):
        load_rules(path, checks_dir, ["x86_64"])
    assert not Path("/tmp/pwned-by-rules").exists()


def test_load_rules_missing_file(tmp_path: Path, checks_dir: Path) -> None:
    """Assert a missing rules file names itself."""
    with pytest.raises(RulesError, match=r"cannot read rules file .*nope\.yml"):
        load_rules(tmp_path / "nope.yml", checks_dir, ["x86_64"])


def test_project_rules_load(checks_dir: Path) -> None:
    """Assert the rules.yml shipped with the project loads against the project's checks."""
    ruleset = load_rules(checks_dir.parent / "rules.yml", checks_dir, ["x86_64"])
    assert ruleset.item_types() == {"koji_build", "koji_tag", "bodhi_update"}


@pytest.mark.parametrize(
    ("asked", "arches"),
    [
        (["x86_64", "aarch64"], ["x86_64", "aarch64"]),
        (["x86_64", "x86_64", "aarch64"], ["x86_64", "aarch64"]),
        (["x86_64", "noarch"], ["noarch"]),
        ([], []),
    ],
)
def test_job_arches(asked: list[str], arches: list[str]) -> None:
    """Assert noarch wins and each arch runs once, in order (rules and trigger schedule)."""
    assert job_arches(asked) == arches
