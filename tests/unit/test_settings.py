"""``checkline.settings``: one loader for every part, on plain dicts and temporary files.

Layers (defaults < file < environment < flags), refusals naming the key and where it came
from, deprecated names that warn and still work, variables of other tools left alone, secrets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pytest

from checkline.master.settings import PART as MASTER
from checkline.master.settings import MasterSettings, Worker
from checkline.master.settings import load_settings as master_settings
from checkline.resultsdb.config import PART as RESULTSDB
from checkline.resultsdb.config import load_settings as resultsdb_settings
from checkline.secrets import NO_SECRET, Secret
from checkline.settings import (
    Part,
    SettingsError,
    every_part,
    load,
    markdown,
    setting,
    setting_fields,
)
from checkline.stack.settings import PART as STACK
from checkline.stack.settings import load_stack_settings
from checkline.trigger.config import PART as TRIGGER
from checkline.trigger.config import load_settings as trigger_settings
from checkline.trigger.config import settings_from_mapping

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "hunter2-s3cret"  # noqa: S105 - a test value


@dataclass(frozen=True)
class Toy:
    name: str = setting("toy", doc="a string")
    size: int = setting(1, doc="an integer", check=lambda n: None if n > 0 else "must be > 0")
    ratio: float = setting(0.5, doc="a number")
    loud: bool = setting(False, doc="a boolean")
    tags: tuple[str, ...] = setting((), doc="a list")
    colour: Literal["red", "blue"] = setting("red", doc="a choice")
    token: Secret = setting(NO_SECRET, doc="a secret")
    env: dict[str, str] = setting(factory=dict, doc="a table")
    workers: tuple[Worker, ...] = setting((), doc="a list of tables")


TOY = Part("toy", Toy, table=("toy",))


def toy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text(text)
    return path


class TestLayers:
    def test_defaults_then_file_then_env_then_flags(self, tmp_path: Path) -> None:
        """Assert each layer wins over the one before, key by key."""
        path = toy(tmp_path, '[toy]\nname = "file"\nsize = 2\nratio = 2\n')
        env = {"CHECKLINE_TOY_SIZE": "3", "CHECKLINE_TOY_RATIO": "3.5"}
        settings = load(TOY, path, env, {"ratio": 4.0, "tags": None})
        assert (settings.name, settings.size, settings.ratio, settings.tags) == (
            "file",
            3,
            4.0,
            (),
        )
        assert settings.loud is False  # the default

    @pytest.mark.parametrize("part", [TRIGGER, RESULTSDB, MASTER])
    def test_every_part_layers_its_database_url(self, part: Part[Any], tmp_path: Path) -> None:
        """Assert the trigger, ResultsDB and the master all read file < env (< flag)."""
        key = "db_url" if part is MASTER else "db"
        table = {TRIGGER: "[consumer_config.checkline]\n", RESULTSDB: "[resultsdb]\n"}
        path = tmp_path / "s.toml"
        path.write_text(f'{table.get(part, "")}{key} = "sqlite:///file"\n')
        env = {part.config_variable: str(path)}
        assert getattr(load(part, env=env), key) == "sqlite:///file"
        env[part.prefix + key.upper()] = "sqlite:///env"
        assert getattr(load(part, env=env), key) == "sqlite:///env"
        if part is not MASTER:  # the master has no command line
            flagged = load(part, env=env, flags={key: "sqlite:///flag"})
            assert getattr(flagged, key) == "sqlite:///flag"

    def test_env_values_parsed_by_type(self) -> None:
        """Assert integers, numbers, booleans, comma lists, JSON tables and secrets from text."""
        env = {
            "CHECKLINE_TOY_SIZE": "7",
            "CHECKLINE_TOY_RATIO": "0.25",
            "CHECKLINE_TOY_LOUD": "yes",
            "CHECKLINE_TOY_TAGS": "a, b,,c ",
            "CHECKLINE_TOY_COLOUR": "blue",
            "CHECKLINE_TOY_TOKEN": PASSWORD,
            "CHECKLINE_TOY_ENV": '{"CHECKLINE_KOJI_HUB": "http://koji"}',
            "CHECKLINE_TOY_WORKERS": '[{"name": "w1", "password": "p", "arches": ["s390x"]}]',
        }
        settings = load(TOY, env=env)
        assert settings == Toy(
            size=7,
            ratio=0.25,
            loud=True,
            tags=("a", "b", "c"),
            colour="blue",
            token=Secret(PASSWORD),
            env={"CHECKLINE_KOJI_HUB": "http://koji"},
            workers=(Worker("w1", Secret("p"), ("s390x",), 2),),
        )
        for word, value in [("1", True), ("on", True), ("0", False), ("off", False)]:
            assert load(TOY, env={"CHECKLINE_TOY_LOUD": word}).loud is value

    def test_trigger_env_and_file_section(self, tmp_path: Path) -> None:
        """Assert the trigger's table, CHECKLINE_TRIGGER_<KEY> and the flags, with types."""
        path = tmp_path / "fm.toml"
        path.write_text(
            'amqp_url = "amqp://x"\n[consumer_config.checkline]\nvalid_arches = ["s390x"]\n'
        )
        env = {
            "CHECKLINE_TRIGGER_CONFIG": str(path),
            "CHECKLINE_TRIGGER_VALID_ARCHES": "x86_64,aarch64",
            "CHECKLINE_TRIGGER_DEDUP_WINDOW": "0",
            "CHECKLINE_TRIGGER_BACKEND": "local",
        }
        settings = trigger_settings(env=env, backend="buildbot")
        assert settings.valid_arches == ("x86_64", "aarch64")
        assert settings.dedup_window == 0.0
        assert settings.backend == "buildbot"
        assert settings.messaging["amqp_url"] == "amqp://x"

    def test_stack_env_and_relative_paths(self, tmp_path: Path) -> None:
        """Assert CHECKLINE_STACK_<KEY> applies, and a file's paths are relative to it."""
        path = tmp_path / "stack.toml"
        path.write_text('rules = "my-rules.yml"\nresultsdb_port = 6001\n')
        env = {"CHECKLINE_STACK_CONFIG": str(path), "CHECKLINE_STACK_RESULTSDB_PORT": "6002"}
        settings = load_stack_settings(env=env)
        assert settings.rules == str(tmp_path / "my-rules.yml")
        assert settings.resultsdb_port == 6002
        assert settings.checks_repo  # resolved: this project's repository

    def test_constructors_and_replace_still_work(self) -> None:
        """Assert the settings classes stay plain frozen dataclasses."""
        settings = replace(MasterSettings(), www_port=1)
        assert settings.www_port == 1
        assert Toy(size=0).size == 0  # a constructor checks nothing: the loader does


class TestRefusals:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("dbb = 1", "[toy]: unknown setting 'dbb'; valid: name, size, ratio, loud, tags"),
            ('size = "8"', "[toy]: size must be an integer, got '8'"),
            ("size = 0", "[toy]: size must be > 0"),
            ("loud = 1", "[toy]: loud must be true or false, got 1"),
            ('colour = "green"', "[toy]: colour must be one of red, blue, got 'green'"),
            ("tags = [1]", "[toy]: tags must be a list of strings, got [1]"),
            ("env = {A = 1}", "[toy]: env must be a table of strings, got {'A': 1}"),
            ('workers = [{name = "w"}]', "[toy]: workers[0].password must be given"),
            (
                'workers = [{name = "w", password = "p", colour = 1}]',
                "[toy]: workers[0] has unknown setting 'colour'; valid: name, password",
            ),
            ("toy = 1", ": [toy] must be a table"),
            ("[toy", ": not valid TOML: "),
        ],
    )
    def test_file_values_named_with_file_and_table(
        self, tmp_path: Path, text: str, message: str
    ) -> None:
        """Assert a bad key or value names the file, its table, the key and what was wanted."""
        path = toy(tmp_path, text if text.startswith(("toy", "[toy")) else f"[toy]\n{text}\n")
        with pytest.raises(SettingsError) as raised:
            load(TOY, path, {})
        assert str(raised.value).startswith(f"{path}") or str(raised.value).startswith(
            f"cannot read {path}"
        )
        assert message in str(raised.value)

    @pytest.mark.parametrize(
        ("variable", "value", "message"),
        [
            (
                "CHECKLINE_TOY_SIZE",
                "x",
                "environment CHECKLINE_TOY_SIZE: must be an integer, got 'x'",
            ),
            ("CHECKLINE_TOY_RATIO", "half", "CHECKLINE_TOY_RATIO: must be a number, got 'half'"),
            ("CHECKLINE_TOY_LOUD", "maybe", "CHECKLINE_TOY_LOUD: must be 1/true/yes/on or"),
            ("CHECKLINE_TOY_SIZE", "-1", "environment CHECKLINE_TOY_SIZE: must be > 0"),
            ("CHECKLINE_TOY_ENV", "{", "environment CHECKLINE_TOY_ENV: must be a table of"),
            (
                "CHECKLINE_TOY_WORKERS",
                '[{"name": "w", "password": "p", "arches": ["X 86"]}]',
                "environment CHECKLINE_TOY_WORKERS: [0].arches must be a non-empty list of arch",
            ),
            (
                "CHECKLINE_TOY_SIZ",
                "1",
                "environment CHECKLINE_TOY_SIZ: unknown setting 'siz'; valid: name, size",
            ),
        ],
    )
    def test_env_values_named_with_the_variable(
        self, variable: str, value: str, message: str
    ) -> None:
        """Assert a bad or unknown variable is refused by its name."""
        with pytest.raises(SettingsError) as raised:
            load(TOY, env={variable: value})
        assert str(raised.value).startswith("environment ")
        assert message in str(raised.value)

    def test_flag_named_as_an_option(self) -> None:
        """Assert a bad flag value names the option."""
        with pytest.raises(SettingsError, match=r"^option --size: must be an integer, got 'x'$"):
            load(TOY, env={}, flags={"size": "x"})
        with pytest.raises(SettingsError, match=r"^option --backend: must be one of none, "):
            trigger_settings(env={}, backend="jenkins")

    def test_rule_between_settings_names_where_its_key_came_from(self) -> None:
        """Assert the master's public bind without users names the variable that set it."""
        env = {"CHECKLINE_MASTER_WWW_BIND": "0.0.0.0"}  # noqa: S104
        with pytest.raises(SettingsError) as raised:
            master_settings(None, env)
        assert str(raised.value).startswith(
            "environment CHECKLINE_MASTER_WWW_BIND: is '0.0.0.0', reachable from other machines"
        )

    def test_unreadable_file_named(self, tmp_path: Path) -> None:
        """Assert a missing file named by a variable is refused with its path."""
        missing = tmp_path / "nope.toml"
        with pytest.raises(SettingsError, match=f"^cannot read {missing}: "):
            resultsdb_settings(env={"CHECKLINE_RESULTSDB_CONFIG": str(missing)})

    @pytest.mark.parametrize(
        ("part", "variable"),
        [
            (TRIGGER, "CHECKLINE_TRIGGER_DBB"),
            (RESULTSDB, "CHECKLINE_RESULTSDB_TOKN"),
            (MASTER, "CHECKLINE_MASTER_NOPE"),
            (STACK, "CHECKLINE_STACK_PORT"),
        ],
    )
    def test_every_part_refuses_unknown_variables(self, part: Part[Any], variable: str) -> None:
        """Assert a variable under a part's prefix that names no setting is refused."""
        with pytest.raises(SettingsError, match=f"^environment {variable}: unknown setting"):
            load(part, env={variable: "1"})


class TestForeignVariables:
    def test_resultsdb_server_ignores_the_report_clients_variables(self) -> None:
        """Assert CHECKLINE_RESULTSDB_URL and _TOKEN (checkline report's) are not refused,
        nor taken as the server's write token."""
        env = {
            "CHECKLINE_RESULTSDB_URL": "http://127.0.0.1:5001",
            "CHECKLINE_RESULTSDB_TOKEN": PASSWORD,
        }
        settings = resultsdb_settings(env=env)
        assert not settings.write_token

    def test_other_parts_variables_are_not_read(self) -> None:
        """Assert one part's variables are no other part's business."""
        env = {"CHECKLINE_MASTER_WWW_PORT": "x", "CHECKLINE_KOJI_HUB": "http://koji"}
        assert trigger_settings(env=env) == trigger_settings(env={})
        assert load_stack_settings(env=env).resultsdb_port == 5001


class TestDeprecated:
    def test_old_file_variables_warn_and_work(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Assert CHECKLINE_CONFIG and CHECKLINE_RESULTSDB_CONF still name the file, with a
        DeprecationWarning and a WARNING line naming the new variable."""
        trigger_file = tmp_path / "fm.toml"
        trigger_file.write_text('[consumer_config.checkline]\nqueue = "q-old"\n')
        with pytest.warns(DeprecationWarning, match="use CHECKLINE_TRIGGER_CONFIG"):
            assert trigger_settings(env={"CHECKLINE_CONFIG": str(trigger_file)}).queue == "q-old"
        rdb_file = tmp_path / "rdb.toml"
        rdb_file.write_text("max_limit = 7\n")
        with pytest.warns(DeprecationWarning, match="use CHECKLINE_RESULTSDB_CONFIG"):
            settings = resultsdb_settings(env={"CHECKLINE_RESULTSDB_CONF": str(rdb_file)})
        assert settings.max_limit == 7
        lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert lines == [
            "environment CHECKLINE_CONFIG is deprecated; use CHECKLINE_TRIGGER_CONFIG",
            "environment CHECKLINE_RESULTSDB_CONF is deprecated; use CHECKLINE_RESULTSDB_CONFIG",
        ]

    def test_fedora_messaging_conf_names_the_trigger_file_silently(
        self, tmp_path: Path, recwarn: pytest.WarningsRecorder
    ) -> None:
        """Assert FEDORA_MESSAGING_CONF (fedora-messaging's own) is read without a warning,
        and CHECKLINE_TRIGGER_CONFIG wins over it."""
        fm_file, own = tmp_path / "fm.toml", tmp_path / "own.toml"
        fm_file.write_text('[consumer_config.checkline]\nqueue = "q-fm"\n')
        own.write_text('[consumer_config.checkline]\nqueue = "q-own"\n')
        assert trigger_settings(env={"FEDORA_MESSAGING_CONF": str(fm_file)}).queue == "q-fm"
        both = {"FEDORA_MESSAGING_CONF": str(fm_file), "CHECKLINE_TRIGGER_CONFIG": str(own)}
        assert trigger_settings(env=both).queue == "q-own"
        assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]

    def test_old_password_variable_warns_and_works(self, caplog: pytest.LogCaptureFixture) -> None:
        """Assert CHECKLINE_BUILDBOT_PASSWORD still gives the trigger's buildbot_password (under
        fedora-messaging's consumer too), and CHECKLINE_TRIGGER_BUILDBOT_PASSWORD wins."""
        old = {"CHECKLINE_BUILDBOT_PASSWORD": PASSWORD}
        with pytest.warns(DeprecationWarning, match="use CHECKLINE_TRIGGER_BUILDBOT_PASSWORD"):
            assert trigger_settings(env=old).buildbot_password.matches(PASSWORD)
        with pytest.warns(DeprecationWarning):
            from_section = settings_from_mapping({}, "consumer_config.checkline", env=old)
        assert from_section.buildbot_password.matches(PASSWORD)
        both = {**old, "CHECKLINE_TRIGGER_BUILDBOT_PASSWORD": "new"}
        with pytest.warns(DeprecationWarning):
            assert trigger_settings(env=both).buildbot_password.matches("new")
        assert "CHECKLINE_TRIGGER_BUILDBOT_PASSWORD" in caplog.text
        assert PASSWORD not in caplog.text

    @pytest.mark.parametrize(
        ("part", "table", "old", "new"),
        [
            (MASTER, "", "artifacts_dir", "artifacts_root"),
            (TRIGGER, "[consumer_config.checkline]\n", "artifacts", "artifacts_root"),
        ],
    )
    def test_renamed_keys_warn_and_work(
        self, part: Part[Any], table: str, old: str, new: str, tmp_path: Path
    ) -> None:
        """Assert a renamed key still works in a file and as a variable, with a warning naming
        the new one; both at once are refused."""
        path = tmp_path / "s.toml"
        path.write_text(f'{table}{old} = "/srv/runs"\n')
        with pytest.warns(DeprecationWarning, match=f"setting '{old}' is deprecated; use '{new}'"):
            assert str(getattr(load(part, path, {}), new)) == "/srv/runs"
        variable = part.prefix + old.upper()
        with pytest.warns(DeprecationWarning, match=f"use {part.prefix}{new.upper()}"):
            assert str(getattr(load(part, env={variable: "/srv/env"}), new)) == "/srv/env"
        path.write_text(f'{table}{old} = "/a"\n{new} = "/b"\n')
        with pytest.raises(SettingsError, match=f"{old} and {new} are the same setting"):
            load(part, path, {})


class TestSecrets:
    def test_secrets_print_as_stars(self, tmp_path: Path) -> None:
        """Assert secrets from a file or a variable print as ***, in the settings' repr too."""
        path = tmp_path / "master.toml"
        path.write_text(
            f'resultsdb_token = "{PASSWORD}"\nusers = {{qa = "{PASSWORD}"}}\n'
            f'workers = [{{name = "w1", password = "{PASSWORD}"}}]\n'
        )
        settings = master_settings(
            path, {"CHECKLINE_MASTER_DB_URL": f"postgresql://u:{PASSWORD}@h/b"}
        )
        assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
        assert str(settings.resultsdb_token) == "***"
        assert settings.users["qa"].reveal() == PASSWORD
        toy_settings = load(TOY, env={"CHECKLINE_TOY_TOKEN": PASSWORD})
        assert f"{toy_settings.token}" == "***" and PASSWORD not in repr(toy_settings)

    def test_refusals_never_echo_a_secret(self) -> None:
        """Assert a refused secret value is not in the message."""
        with pytest.raises(SettingsError) as raised:
            settings_from_mapping({"buildbot_password": ["x", PASSWORD]}, "fm.toml")
        assert str(raised.value) == "fm.toml: buildbot_password must be a secret string"
        with pytest.raises(SettingsError) as raised:
            load(
                TOY,
                env={
                    "CHECKLINE_TOY_WORKERS": f'[{{"name": "w", "password": 1, "x": "{PASSWORD}"}}]'
                },
            )
        assert PASSWORD not in str(raised.value)


class TestDocs:
    def test_docs_hold_every_parts_table(self) -> None:
        """Assert docs/settings.md has each part's table as the declarations give it (rerun
        `python -m checkline.settings` after changing a setting), hence every field."""
        text = (REPO / "docs" / "settings.md").read_text()
        for part in every_part():
            assert markdown(part) in text, f"docs/settings.md: the {part.name} table is stale"
            for name in setting_fields(part.settings):
                assert f"`{part.prefix}{name.upper()}`" in text
