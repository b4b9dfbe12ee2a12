"""RunInput.from_dict: defaults, and every field checked for what it becomes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from checkline.runner.errors import InputError, JobError
from checkline.runner.job import RESERVED_NAMES, RunInput

UUID_RULE = (
    "must be 1-128 letters, digits, '.', '_' or '-' starting with a letter or digit "
    "(it names the artifacts directory)"
)
VALID_KEYS = "(valid: item, item_type, arch, uuid, jobid)"


def make_input(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"item": "xchat-0.5-1.fc20", "item_type": "koji_build"}
    data.update(overrides)
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(InputError) as raised:
        RunInput.from_dict(data)
    return str(raised.value)


class TestDefaults:
    def test_minimal_input(self) -> None:
        """Assert item and item_type alone give arch noarch, jobid -1 and a fresh uuid4."""
        run = RunInput.from_dict(make_input())
        assert (run.item, run.item_type, run.arch, run.jobid) == (
            "xchat-0.5-1.fc20",
            "koji_build",
            "noarch",
            "-1",
        )
        assert uuid.UUID(run.uuid).version == 4
        assert str(uuid.UUID(run.uuid)) == run.uuid

    def test_uuid_is_fresh_each_time(self) -> None:
        """Assert two runs without a uuid get different ones."""
        assert RunInput.from_dict(make_input()).uuid != RunInput.from_dict(make_input()).uuid

    @pytest.mark.parametrize("empty", [None, ""])
    def test_empty_optional_fields_take_defaults(self, empty: str | None) -> None:
        """Assert None or '' for arch, uuid and jobid means the default."""
        run = RunInput.from_dict(make_input(arch=empty, uuid=empty, jobid=empty))
        assert (run.arch, run.jobid) == ("noarch", "-1")
        assert uuid.UUID(run.uuid)

    def test_given_values_are_kept(self) -> None:
        """Assert every given field is kept exactly, and as_dict returns them all."""
        data = make_input(arch="x86_64", uuid="20140523_0907-a1b2", jobid="1234")
        run = RunInput.from_dict(data)
        assert run.as_dict() == data

    def test_formula_and_taskname_are_tolerated(self) -> None:
        """Assert the CLI's formula and taskname keys are not unknown keys."""
        run = RunInput.from_dict(make_input(formula="runtask.yml", taskname="rpmlint"))
        assert run.item == "xchat-0.5-1.fc20"


class TestItemIsData:
    @pytest.mark.parametrize(
        "item",
        [
            "foo;touch /tmp/x",
            "$(id)",
            "`id`",
            "${uuid}",
            "$item",
            "a && rm -rf /",
            "'quoted' \"twice\"",
            "../../etc/passwd",
            "  spaces  ",
            "tab\there",
            "žluťoučký-1.0",
            "-rf",
        ],
    )
    def test_shell_metacharacters_are_accepted_unchanged(self, item: str) -> None:
        """Assert an item is passed on exactly as given, whatever characters it has."""
        assert RunInput.from_dict(make_input(item=item)).item == item


class TestRejections:
    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"item": ""}, "item is required (-i ITEM)"),
            ({"item": None}, "item is required (-i ITEM)"),
            ({"item": "a\x00b"}, "item 'a\\x00b' contains a NUL or line break"),
            ({"item": "a\nb"}, "item 'a\\nb' contains a NUL or line break"),
            ({"item": "a\rb"}, "item 'a\\rb' contains a NUL or line break"),
            ({"item": "trailing\n"}, "item 'trailing\\n' contains a NUL or line break"),
            (
                {"item_type": ""},
                "item_type is required (-t TYPE, e.g. bodhi_update, compose, dist_git_commit)",
            ),
            (
                {"item_type": "Koji_Build"},
                "item_type 'Koji_Build' must be a lower-case identifier such as koji_build",
            ),
            (
                {"item_type": "koji-build"},
                "item_type 'koji-build' must be a lower-case identifier such as koji_build",
            ),
            (
                {"item_type": "1st"},
                "item_type '1st' must be a lower-case identifier such as koji_build",
            ),
            (
                {"item_type": "a" * 65},
                f"item_type {'a' * 65!r} must be a lower-case identifier such as koji_build",
            ),
            (
                {"item_type": "workdir"},
                "item_type 'workdir' is a runner variable name; it cannot be a type",
            ),
            (
                {"arch": "X86_64"},
                "arch 'X86_64' must be lower-case letters, digits and '_' (x86_64)",
            ),
            (
                {"arch": "x86-64"},
                "arch 'x86-64' must be lower-case letters, digits and '_' (x86_64)",
            ),
            (
                {"arch": "../x"},
                "arch '../x' must be lower-case letters, digits and '_' (x86_64)",
            ),
            ({"uuid": "../x"}, f"uuid '../x' {UUID_RULE}"),
            ({"uuid": "a/b"}, f"uuid 'a/b' {UUID_RULE}"),
            ({"uuid": ".hidden"}, f"uuid '.hidden' {UUID_RULE}"),
            ({"uuid": ".."}, f"uuid '..' {UUID_RULE}"),
            ({"uuid": "-rf"}, f"uuid '-rf' {UUID_RULE}"),
            ({"uuid": "a b"}, f"uuid 'a b' {UUID_RULE}"),
            ({"uuid": "x\n"}, f"uuid 'x\\n' {UUID_RULE}"),
            ({"uuid": "a" * 129}, f"uuid {'a' * 129!r} {UUID_RULE}"),
            ({"jobid": "1\n2"}, "jobid '1\\n2' contains a NUL or line break"),
        ],
    )
    def test_bad_field(self, overrides: dict[str, Any], message: str) -> None:
        """Assert each bad field raises InputError with its exact message."""
        assert error_of(make_input(**overrides)) == f"runner input: {message}"

    @pytest.mark.parametrize("name", sorted(RESERVED_NAMES))
    def test_every_reserved_name_is_refused_as_item_type(self, name: str) -> None:
        """Assert no runner variable name can be an item type (it would shadow the variable)."""
        assert error_of(make_input(item_type=name)) == (
            f"runner input: item_type {name!r} is a runner variable name; it cannot be a type"
        )

    @pytest.mark.parametrize(
        "overrides",
        [{"uuid": "a" * 128}, {"uuid": "0"}, {"arch": "a" * 32}, {"item_type": "a" * 64}],
    )
    def test_longest_values_are_accepted(self, overrides: dict[str, Any]) -> None:
        """Assert the length limits are inclusive."""
        run = RunInput.from_dict(make_input(**overrides))
        assert run.as_dict().items() >= overrides.items()

    def test_all_problems_at_once(self) -> None:
        """Assert every bad field is named in one error, not just the first."""
        message = error_of({"item": "", "item_type": "workdir", "arch": "X", "uuid": "a/b"})
        assert message == (
            "runner input: item is required (-i ITEM); "
            "item_type 'workdir' is a runner variable name; it cannot be a type; "
            "arch 'X' must be lower-case letters, digits and '_' (x86_64); "
            f"uuid 'a/b' {UUID_RULE}"
        )

    def test_nothing_given(self) -> None:
        """Assert an empty input names both required fields."""
        assert error_of({}) == (
            "runner input: item is required (-i ITEM); "
            "item_type is required (-t TYPE, e.g. bodhi_update, compose, dist_git_commit)"
        )

    @pytest.mark.parametrize(
        ("key", "value", "found"),
        [
            ("item", 5, "int"),
            ("item_type", ["koji_build"], "list"),
            ("arch", {"x": 1}, "dict"),
            ("uuid", 123, "int"),
            ("jobid", 42, "int"),
            ("item", True, "bool"),
        ],
    )
    def test_non_string_value(self, key: str, value: Any, found: str) -> None:
        """Assert a value that is not a string is refused naming its type."""
        assert error_of(make_input(**{key: value})) == (
            f"runner input: {key} must be a string, {found!r} found"
        )

    def test_unknown_keys(self) -> None:
        """Assert unknown keys are refused, sorted, each with the list of valid keys."""
        assert error_of(make_input(zeta=1, alpha="x")) == (
            f"runner input: unknown key 'alpha' {VALID_KEYS}; unknown key 'zeta' {VALID_KEYS}"
        )

    def test_unknown_key_and_non_string_together(self) -> None:
        """Assert unknown keys and non-string values are reported in one error."""
        assert error_of(make_input(extra=1, jobid=7)) == (
            f"runner input: unknown key 'extra' {VALID_KEYS}; jobid must be a string, 'int' found"
        )

    def test_input_error_is_a_job_error(self) -> None:
        """Assert a bad input is a job error (never retried)."""
        with pytest.raises(JobError):
            RunInput.from_dict({})
