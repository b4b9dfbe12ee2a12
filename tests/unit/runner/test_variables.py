"""Variable substitution in formula values: syntax, types, the single pass, errors, preview."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from checkline.runner.variables import (
    DEFERRED,
    PlaceholderError,
    Reference,
    SubstitutionError,
    preview,
    references,
    substitute,
)

HINT = "write ${name} for a variable, $$ for a literal $"


def make_variables(**overrides: Any) -> dict[str, Any]:
    variables: dict[str, Any] = {
        "item": "xchat-0.5-1.fc20",
        "koji_build": "xchat-0.5-1.fc20",
        "arch": "x86_64",
        "count": 3,
        "ratio": 1.5,
        "flag": True,
        "nothing": None,
        "rpms": ["a.rpm", "b.rpm"],
        "build": {
            "nvr": "xchat-0.5-1.fc20",
            "rpms": ["xchat.rpm", "xchat-devel.rpm"],
            "deep": {"list": [{"name": "first"}]},
        },
    }
    variables.update(overrides)
    return variables


class TestSubstitute:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("$item", "xchat-0.5-1.fc20"),
            ("${item}", "xchat-0.5-1.fc20"),
            ("rpmlint $item", "rpmlint xchat-0.5-1.fc20"),
            ("rpmlint ${item}.log", "rpmlint xchat-0.5-1.fc20.log"),
            ("$item-$arch", "xchat-0.5-1.fc20-x86_64"),
            ("${build.nvr}", "xchat-0.5-1.fc20"),
            ("${build.rpms.0}", "xchat.rpm"),
            ("${build.rpms.1}", "xchat-devel.rpm"),
            ("${build.deep.list.0.name}", "first"),
            ("nvr=${build.nvr}!", "nvr=xchat-0.5-1.fc20!"),
            # string.Template rules: $name stops at the first non-identifier character.
            ("$arch.log", "x86_64.log"),
            ("$count.0", "3.0"),
            ("$$", "$"),
            ("$$item", "$item"),
            ("$${item}", "${item}"),
            ("cost: $$5", "cost: $5"),
            ("$$$item", "$xchat-0.5-1.fc20"),
            ("no placeholders", "no placeholders"),
            ("", ""),
        ],
    )
    def test_text(self, value: str, expected: str) -> None:
        """Assert $name, ${name}, dotted paths and the $$ escape in text."""
        assert substitute(value, make_variables()) == expected

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("$rpms", ["a.rpm", "b.rpm"]),
            ("${rpms}", ["a.rpm", "b.rpm"]),
            ("$count", 3),
            ("${ratio}", 1.5),
            ("$flag", True),
            ("$nothing", None),
            ("${build.rpms}", ["xchat.rpm", "xchat-devel.rpm"]),
            ("${build.deep}", {"list": [{"name": "first"}]}),
        ],
    )
    def test_whole_value_keeps_its_type(self, value: str, expected: Any) -> None:
        """Assert a value that is exactly one placeholder becomes the variable's value itself."""
        result = substitute(value, make_variables())
        assert result == expected
        assert type(result) is type(expected)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("rpms: $rpms", 'rpms: ["a.rpm", "b.rpm"]'),
            ("${build.deep}!", '{"list": [{"name": "first"}]}!'),
            ("n=$count r=$ratio f=$flag", "n=3 r=1.5 f=True"),
            ("[$nothing]", "[]"),
            (" $count", " 3"),
        ],
    )
    def test_embedded_value_is_rendered_as_text(self, value: str, expected: str) -> None:
        """Assert a placeholder inside longer text renders lists and dicts as JSON."""
        assert substitute(value, make_variables()) == expected

    def test_nested_structure(self) -> None:
        """Assert list items, mapping values and mapping keys are all substituted."""
        value = {
            "args": ["$item", "--arch=${arch}", "$rpms"],
            "$arch": {"nvr": "${build.nvr}", "n": "$count"},
            "${count}": "plain",
            "number": 7,
            "none": None,
        }
        assert substitute(value, make_variables()) == {
            "args": ["xchat-0.5-1.fc20", "--arch=x86_64", ["a.rpm", "b.rpm"]],
            "x86_64": {"nvr": "xchat-0.5-1.fc20", "n": 3},
            "3": "plain",
            "number": 7,
            "none": None,
        }

    def test_input_is_not_modified(self) -> None:
        """Assert neither the value nor the variables change."""
        value = {"a": ["$item", {"$arch": "${build.nvr}"}]}
        variables = make_variables()
        before_value, before_variables = copy.deepcopy(value), copy.deepcopy(variables)
        substitute(value, variables)
        assert value == before_value
        assert variables == before_variables

    @pytest.mark.parametrize("value", [5, 1.5, True, None])
    def test_non_strings_pass_through(self, value: Any) -> None:
        """Assert numbers, booleans and None are returned as they are."""
        assert substitute(value, {}) is value


class TestSinglePass:
    """A substituted value is data: it is never scanned for placeholders again."""

    @pytest.mark.parametrize(
        "item",
        ["$(id)", "${uuid}", "$$", "$item", "${item}", "`id`", "$", "a $ b", "${build.nvr}"],
    )
    @pytest.mark.parametrize("template", ["$item", "${item}"])
    def test_whole_value_is_not_reinterpreted(self, item: str, template: str) -> None:
        """Assert an item holding placeholder syntax arrives as those exact characters."""
        variables = make_variables(item=item, uuid="SECRET")
        assert substitute(template, variables) == item

    @pytest.mark.parametrize("item", ["$(id)", "${uuid}", "$$", "$uuid", "${item}", "$", "$$$(id)"])
    def test_embedded_value_is_not_reinterpreted(self, item: str) -> None:
        """Assert placeholder syntax inside a variable survives inside longer text too."""
        variables = make_variables(item=item, uuid="SECRET")
        assert substitute("check <$item> <${item}>", variables) == f"check <{item}> <{item}>"

    def test_nested_values_are_not_reinterpreted(self) -> None:
        """Assert strings inside a substituted list or dict are not scanned either."""
        variables = make_variables(rpms=["$(id)", "${uuid}"], build={"nvr": "$$"}, uuid="X")
        assert substitute({"r": "$rpms", "b": "$build"}, variables) == {
            "r": ["$(id)", "${uuid}"],
            "b": {"nvr": "$$"},
        }
        assert substitute("$rpms", variables) == ["$(id)", "${uuid}"]

    def test_key_from_variable_is_not_reinterpreted(self) -> None:
        """Assert a mapping key substituted from a variable is not scanned again."""
        variables = make_variables(item="${uuid}", uuid="X")
        assert substitute({"$item": 1}, variables) == {"${uuid}": 1}


class TestErrors:
    @pytest.mark.parametrize(
        "value",
        ["$(id)", "a $ b", "$", "trailing $", "${}", "${a b}", "${1abc}", "${item", "$-x", "${.x}"],
    )
    def test_invalid_placeholder(self, value: str) -> None:
        """Assert a '$' that starts no placeholder raises PlaceholderError with the hint."""
        with pytest.raises(PlaceholderError) as raised:
            substitute(value, make_variables())
        assert str(raised.value) == f"invalid placeholder in {value!r}: {HINT}"

    def test_invalid_placeholder_exact_message(self) -> None:
        """Assert the exact PlaceholderError text for '$(id)' written in a formula."""
        with pytest.raises(PlaceholderError) as raised:
            substitute("echo $(id)", {})
        assert str(raised.value) == (
            "invalid placeholder in 'echo $(id)': write ${name} for a variable, $$ for a literal $"
        )
        assert isinstance(raised.value, ValueError)

    def test_invalid_placeholder_after_a_valid_one(self) -> None:
        """Assert the whole text is checked, not just up to the first placeholder."""
        with pytest.raises(PlaceholderError):
            substitute("$item and $(id)", make_variables())

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("$missing", "${missing}: variable 'missing' is not defined"),
            ("${missing}", "${missing}: variable 'missing' is not defined"),
            ("x ${missing.key} y", "${missing.key}: variable 'missing' is not defined"),
            ("$itemx", "${itemx}: variable 'itemx' is not defined"),
            ("${build.missing}", "${build.missing}: 'build' (dict) has no 'missing'"),
            ("${build.rpms.2}", "${build.rpms.2}: 'build.rpms' (list) has no '2'"),
            ("${build.rpms.first}", "${build.rpms.first}: 'build.rpms' (list) has no 'first'"),
            ("${rpms.-1}", "${rpms.-1}: 'rpms' (list) has no '-1'"),
            ("${build.nvr.x}", "${build.nvr.x}: 'build.nvr' (str) has no 'x'"),
            ("${count.0}", "${count.0}: 'count' (int) has no '0'"),
            ("${nothing.a}", "${nothing.a}: 'nothing' (NoneType) has no 'a'"),
            (
                "${build.deep.list.0.age}",
                "${build.deep.list.0.age}: 'build.deep.list.0' (dict) has no 'age'",
            ),
        ],
    )
    def test_unresolvable_path(self, value: str, message: str) -> None:
        """Assert an undefined root or a missing key raises SubstitutionError naming both."""
        with pytest.raises(SubstitutionError) as raised:
            substitute(value, make_variables())
        assert str(raised.value) == message
        assert isinstance(raised.value, KeyError)

    def test_unresolvable_key(self) -> None:
        """Assert a mapping key with an undefined variable raises too."""
        with pytest.raises(SubstitutionError, match=r"variable 'nope' is not defined"):
            substitute({"$nope": 1}, {})


class TestReferences:
    def test_locations(self) -> None:
        """Assert every placeholder is found with its path and location in the value."""
        value = {
            "args": ["$item", "${build.nvr} and $arch $$escaped"],
            "$key": {"deep": "${rpms.0}"},
            "plain": "text",
            "n": 5,
        }
        assert references(value, ("actions", 2, "shell")) == [
            Reference("item", ("actions", 2, "shell", "args", 0)),
            Reference("build.nvr", ("actions", 2, "shell", "args", 1)),
            Reference("arch", ("actions", 2, "shell", "args", 1)),
            Reference("key", ("actions", 2, "shell", "$key")),
            Reference("rpms.0", ("actions", 2, "shell", "$key", "deep")),
        ]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("$$", []),
            ("$${item}", []),
            ("no dollars", []),
            (7, []),
            (None, []),
            ("$item", [Reference("item", ())]),
            ("${a.b.0}", [Reference("a.b.0", ())]),
        ],
    )
    def test_scalars(self, value: Any, expected: list[Reference]) -> None:
        """Assert escapes are not references, and a top-level value has the empty location."""
        assert references(value) == expected

    def test_root(self) -> None:
        """Assert a reference's root is the variable name before the first dot."""
        assert Reference("build.rpms.0", ()).root == "build"
        assert Reference("item", ()).root == "item"

    def test_invalid_placeholder_has_its_location(self) -> None:
        """Assert '$(id)' in formula text raises PlaceholderError carrying where it is."""
        with pytest.raises(PlaceholderError) as raised:
            references({"shell": ["echo ok", "echo $(id)"]}, ("actions", 0))
        assert raised.value.location == ("actions", 0, "shell", 1)
        assert str(raised.value) == f"invalid placeholder in 'echo $(id)': {HINT}"

    def test_invalid_placeholder_in_key(self) -> None:
        """Assert an invalid placeholder in a mapping key is found too."""
        with pytest.raises(PlaceholderError) as raised:
            references({"a $ b": 1})
        assert raised.value.location == ("a $ b",)


class TestPreview:
    def test_known_deferred_and_text(self) -> None:
        """Assert known whole placeholders resolve, unknown ones are DEFERRED, text stays."""
        value = {
            "rpms": "$rpms",
            "nvr": "${build.nvr}",
            "later": "${out.path}",
            "missing_key": "${build.nope}",
            "text": "x $out y",
            "list": ["$count", "$out"],
            "n": 5,
        }
        assert preview(value, make_variables()) == {
            "rpms": ["a.rpm", "b.rpm"],
            "nvr": "xchat-0.5-1.fc20",
            "later": DEFERRED,
            "missing_key": DEFERRED,
            "text": "x $out y",
            "list": [3, DEFERRED],
            "n": 5,
        }

    def test_escape_is_text(self) -> None:
        """Assert '$$' previews as itself, since it is not a placeholder."""
        assert preview("$$", {}) == "$$"

    def test_deferred_repr(self) -> None:
        """Assert DEFERRED shows as DEFERRED in messages."""
        assert repr(DEFERRED) == "DEFERRED"
