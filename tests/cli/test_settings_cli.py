"""Settings through the real commands: variables, former names, one-line refusals, exit codes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def run(script: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHECKLINE_")}
    clean.pop("FEDORA_MESSAGING_CONF", None)
    return subprocess.run(
        [str(script / "checkline"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
        check=False,
    )


def trigger_file(tmp_path: Path, fixtures_dir: Path) -> Path:
    conf = tmp_path / "fm.toml"
    conf.write_text(
        "[consumer_config.checkline]\n"
        f'db = "sqlite:///{tmp_path / "file.sqlite"}"\n'
        f'rules = "{fixtures_dir / "rules" / "cli.yml"}"\n'
    )
    return conf


def test_trigger_variables_win_over_the_file(
    script: Path, tmp_path: Path, fixtures_dir: Path
) -> None:
    """Assert CHECKLINE_TRIGGER_CONFIG names the file and CHECKLINE_TRIGGER_DB overrides its db."""
    env = {
        "CHECKLINE_TRIGGER_CONFIG": str(trigger_file(tmp_path, fixtures_dir)),
        "CHECKLINE_TRIGGER_DB": f"sqlite:///{tmp_path / 'env.sqlite'}",
    }
    done = run(script, env, "jobs", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "env.sqlite").exists() and not (tmp_path / "file.sqlite").exists()
    assert "deprecated" not in done.stderr


def test_trigger_former_file_variable_warns_once(
    script: Path, tmp_path: Path, fixtures_dir: Path
) -> None:
    """Assert CHECKLINE_CONFIG still names the trigger's file, with one line on stderr naming
    CHECKLINE_TRIGGER_CONFIG."""
    env = {"CHECKLINE_CONFIG": str(trigger_file(tmp_path, fixtures_dir))}
    message = str(fixtures_dir / "messages" / "koji-tag-pending.json")
    done = run(script, env, "trigger", "explain", message)
    assert done.returncode == 0, done.stderr
    assert "jobs (1):" in done.stdout
    warning = "environment CHECKLINE_CONFIG is deprecated; use CHECKLINE_TRIGGER_CONFIG"
    assert done.stderr.count(warning) == 1


def test_bad_variable_is_one_usage_line(script: Path, tmp_path: Path) -> None:
    """Assert a bad value in the environment exits 2 with one line naming the variable, for
    ResultsDB, the trigger and the stack."""
    cases = [
        (
            {"CHECKLINE_RESULTSDB_MAX_LIMIT": "lots"},
            ["resultsdb", "init-db", "--db", f"sqlite:///{tmp_path / 'r.sqlite'}"],
            "Error: environment CHECKLINE_RESULTSDB_MAX_LIMIT: must be an integer, got 'lots'",
        ),
        (
            {"CHECKLINE_TRIGGER_BACKEND": "jenkins"},
            ["jobs", "list", "--db", f"sqlite:///{tmp_path / 't.sqlite'}"],
            "Error: environment CHECKLINE_TRIGGER_BACKEND: must be one of none, local, "
            "buildbot, got 'jenkins'",
        ),
        (
            {"CHECKLINE_STACK_RESULTSDB_PROT": "5002"},
            ["stack", "up", "--state-dir", str(tmp_path / "state")],
            "Error: environment CHECKLINE_STACK_RESULTSDB_PROT: unknown setting "
            "'resultsdb_prot'; valid: resultsdb_port, ",
        ),
    ]
    for env, args, line in cases:
        done = run(script, env, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert line in done.stderr.splitlines()[-1], (args, done.stderr)
    assert not (tmp_path / "r.sqlite").exists() and not (tmp_path / "state").exists()


def test_resultsdb_ignores_the_report_clients_variables(script: Path, tmp_path: Path) -> None:
    """Assert the server starts with checkline report's CHECKLINE_RESULTSDB_URL and _TOKEN set."""
    env = {
        "CHECKLINE_RESULTSDB_URL": "http://127.0.0.1:5001",
        "CHECKLINE_RESULTSDB_TOKEN": "t0ken",
    }
    done = run(script, env, "resultsdb", "init-db", "--db", f"sqlite:///{tmp_path / 'r.sqlite'}")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.sqlite").exists()
