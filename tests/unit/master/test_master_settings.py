"""Master settings, job properties and the BuildmasterConfig they give: plain values."""
# ruff: noqa: S104 - binding to every interface is what the auth tests are about

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checkline.master.config import FORCE_SCHEDULER, NoLogin, buildmaster_config
from checkline.master.jobs import (
    RESERVATION_FILE,
    JobPropertiesError,
    Reservation,
    artifacts_path,
    job_from_properties,
    reserve_artifacts,
)
from checkline.master.settings import (
    MasterSettings,
    Worker,
    load_settings,
    settings_from,
)
from checkline.secrets import Secret
from checkline.settings import SettingsError

GOOD_JOB = {
    "item": "xchat-0.5-1.fc20",
    "item_type": "koji_build",
    "taskname": "rpmlint",
    "arch": "x86_64",
    "uuid": "0f0e-1",
}


class TestLoadSettings:
    def test_assert_file_then_environment_wins(self, tmp_path: Path) -> None:
        path = tmp_path / "master.toml"
        path.write_text(
            'resultsdb_url = "http://from-file"\nwww_port = 8100\n'
            'workers = [{name = "a", password = "p", arches = ["x86_64", "aarch64"]}]\n'
        )
        env = {"CHECKLINE_MASTER_RESULTSDB_URL": "http://from-env", "CHECKLINE_MASTER_PB_PORT": "9"}
        settings = load_settings(path, env)
        assert settings.resultsdb_url == "http://from-env"
        assert (settings.www_port, settings.pb_port) == (8100, 9)
        assert settings.workers == (Worker("a", Secret("p"), ("x86_64", "aarch64"), 2),)
        assert settings.arches == ["x86_64", "aarch64"]

    def test_assert_a_workers_python(self, tmp_path: Path) -> None:
        """Assert a worker's ``python`` (its check code's interpreter) is read, empty when
        not given (the runner's default)."""
        path = tmp_path / "master.toml"
        path.write_text(
            'workers = [{name = "f", password = "p", python = "/usr/bin/python3.13"},\n'
            '           {name = "d", password = "p"}]\n'
        )
        settings = load_settings(path, {})
        assert [w.python for w in settings.workers] == ["/usr/bin/python3.13", ""]

    def test_assert_config_path_from_environment(self, tmp_path: Path) -> None:
        (tmp_path / "m.toml").write_text('checks_branch = "stable"\n')
        settings = load_settings(environ={"CHECKLINE_MASTER_CONFIG": str(tmp_path / "m.toml")})
        assert settings.checks_branch == "stable"

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"colour": "red"}, "unknown setting 'colour'; valid: "),
            ({"www_port": "80"}, "www_port must be an integer"),
            ({"workers": []}, "workers must be a non-empty list"),
            ({"workers": [{"name": "a"}]}, "workers[0].password must be given"),
            (
                {"workers": [{"name": "a", "password": "p", "arches": ["x86-64"]}]},
                "workers[0].arches must be a non-empty list of arch names",
            ),
            ({"buildbot_url": "http://x:8010"}, "buildbot_url must end with '/'"),
            ({"www_bind": "0.0.0.0"}, "reachable from other machines: set users"),
            ({"users": {"admin": ""}}, "users must be a table of name = password"),
            ({"task_env": {"A B": "x"}}, 'task_env must be a table of NAME = "value"'),
            (
                {"workers": [{"name": "a", "password": "p", "python": "venv/bin/python"}]},
                "workers[0].python must be an absolute path or a command name",
            ),
        ],
    )
    def test_assert_bad_values_named(self, values: dict[str, Any], message: str) -> None:
        with pytest.raises(SettingsError) as error:
            settings_from(values, "m.toml")
        assert message in str(error.value)
        assert str(error.value).startswith("m.toml: ") or "workers[0]" in str(error.value)

    def test_assert_bad_env_named(self) -> None:
        with pytest.raises(SettingsError, match="CHECKLINE_MASTER_WWW_PORT: must be an integer"):
            load_settings(environ={"CHECKLINE_MASTER_WWW_PORT": "http"})
        with pytest.raises(SettingsError, match="CHECKLINE_MASTER_NOPE: unknown setting"):
            load_settings(environ={"CHECKLINE_MASTER_NOPE": "1"})

    def test_assert_bad_toml_named(self, tmp_path: Path) -> None:
        (tmp_path / "m.toml").write_text("www_port = = 1\n")
        with pytest.raises(SettingsError, match=r"m\.toml: not valid TOML"):
            load_settings(tmp_path / "m.toml", {})

    def test_assert_public_bind_with_users_accepted(self) -> None:
        settings = settings_from({"www_bind": "0.0.0.0", "users": {"qa": "secret"}})
        assert settings.public


class TestJobProperties:
    def test_assert_good_job(self) -> None:
        assert job_from_properties(GOOD_JOB) == GOOD_JOB

    @pytest.mark.parametrize(
        ("override", "message"),
        [
            ({"uuid": "../x"}, "uuid '../x' must be 1-128 letters"),
            ({"uuid": ""}, "uuid is required"),
            ({"taskname": "../rpmlint"}, "taskname '../rpmlint' must be a check's folder name"),
            ({"taskname": "a/b"}, "must be a check's folder name"),
            ({"item_type": "Koji Build"}, "item_type 'Koji Build' must be a lower-case identifier"),
            ({"arch": "x86-64;rm"}, "arch 'x86-64;rm' must be lower-case letters"),
            ({"item": "a\nb"}, "contains a NUL or line break"),
        ],
    )
    def test_assert_bad_property_named(self, override: dict[str, str], message: str) -> None:
        with pytest.raises(JobPropertiesError) as error:
            job_from_properties({**GOOD_JOB, **override})
        assert str(error.value).startswith("build properties: ")
        assert message in str(error.value)

    def test_assert_metacharacters_in_item_are_data(self) -> None:
        item = "foo$(id);`x`|y-1-1"
        assert job_from_properties({**GOOD_JOB, "item": item})["item"] == item

    def test_assert_artifacts_path(self, tmp_path: Path) -> None:
        assert artifacts_path(tmp_path, "u-1") == tmp_path / "u-1"
        with pytest.raises(JobPropertiesError):
            artifacts_path(tmp_path, "..")


class TestReserveArtifacts:
    def test_assert_new_then_duplicate_untouched(self, tmp_path: Path) -> None:
        path = tmp_path / "art" / "u-1"
        assert reserve_artifacts(path, 7) is Reservation.NEW
        (path / "results.tap").write_text("first job\n")
        assert reserve_artifacts(path, 8) is Reservation.DUPLICATE
        assert (path / "results.tap").read_text() == "first job\n"

    def test_assert_same_request_retried_gets_it_emptied(self, tmp_path: Path) -> None:
        path = tmp_path / "u-1"
        reserve_artifacts(path, 7)
        (path / "actions").mkdir()
        (path / "runner.log").write_text("dead attempt\n")
        assert reserve_artifacts(path, 7) is Reservation.RETRY
        assert [p.name for p in path.iterdir()] == [RESERVATION_FILE]

    def test_assert_folder_without_marker_is_someone_elses(self, tmp_path: Path) -> None:
        (tmp_path / "u-1").mkdir()
        assert reserve_artifacts(tmp_path / "u-1", 7) is Reservation.DUPLICATE


class TestBuildmasterConfig:
    def config(self, **values: Any) -> dict[str, Any]:
        return buildmaster_config(settings_from({"checks_repo": "file:///r", **values}))

    def test_assert_builders_per_arch_no_collapsing(self) -> None:
        config = self.config(
            workers=[
                {"name": "a", "password": "p", "arches": ["noarch", "x86_64"]},
                {"name": "b", "password": "q", "arches": ["aarch64", "noarch"]},
            ]
        )
        builders = {b.name: b for b in config["builders"]}
        assert list(builders) == ["noarch", "x86_64", "aarch64"]
        assert builders["noarch"].workernames == ["a", "b"]
        assert builders["aarch64"].workernames == ["b"]
        assert config["collapseRequests"] is False
        assert all(b.collapseRequests is False for b in builders.values())

    def test_assert_force_scheduler_declares_every_job_property(self) -> None:
        [force] = self.config()["schedulers"]
        assert force.name == FORCE_SCHEDULER
        declared = [p.name for p in force._config_kwargs["properties"]]
        assert declared == ["item", "item_type", "taskname", "arch", "uuid"]
        labels = {p.name: p.label for p in force._config_kwargs["properties"]}
        assert labels["taskname"] == "taskname (the check: a folder of the checks repository)"
        assert labels["item"] == "item"

    def test_assert_bound_to_loopback_without_auth(self) -> None:
        www = self.config()["www"]
        assert www["port"] == "tcp:8010:interface=127.0.0.1"
        # Buildbot's NoAuth, whose /auth/login answers 404 instead of a 500; no authz rules
        assert type(www["auth"]) is NoLogin and "authz" not in www

    def test_assert_users_get_auth_and_authz(self) -> None:
        www = self.config(www_bind="0.0.0.0", users={"qa": "s3cret"})["www"]
        assert www["port"] == "tcp:8010:interface=0.0.0.0"
        assert www["auth"].__class__.__name__ == "UserPasswordAuth"
        assert www["authz"].__class__.__name__ == "Authz"

    def test_assert_steps_in_flow_order_without_environment_logs(self) -> None:
        factory = self.config()["builders"][0].factory
        names = [step.kwargs.get("name") or step.step_class.name for step in factory.steps]
        assert names == [
            "reserve artifacts", "clone checks", "runtask",
            "upload artifacts", "report", "cleanup",
        ]  # fmt: skip
        for step in factory.steps:
            if "logEnviron" in step.kwargs:
                assert step.kwargs["logEnviron"] is False

    def test_assert_resultsdb_token_never_reaches_a_worker(self) -> None:
        """Workers run the checks' code: the token goes only to the master-side report step."""
        token = "t0ken-for-the-master"  # noqa: S105
        factory = self.config(resultsdb_token=token)["builders"][0].factory
        for step in factory.steps:
            if step.step_class.__name__ == "ReportResults":
                continue
            assert token not in repr((step.args, step.kwargs)), step.step_class.__name__
        names = [step.step_class.__name__ for step in factory.steps]
        assert "ReportResults" in names

    def test_assert_report_spool_flushed_by_a_service(self) -> None:
        [flusher] = self.config(report_flush_interval=5, report_spool="/srv/spool")["services"]
        assert flusher.name == "checkline-report-spool"
        assert flusher._config_args[2:] == ("/srv/spool", 5)

    def test_assert_default_settings_are_local(self) -> None:
        settings = MasterSettings()
        assert (settings.www_bind, settings.pb_bind) == ("127.0.0.1", "127.0.0.1")
        assert not settings.public
