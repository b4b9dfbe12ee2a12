"""`checkline trigger` and `checkline jobs` through click's CliRunner, on a real SQLite ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from checkline.cli import main


@pytest.fixture
def env(tmp_path: Path, fixtures_dir: Path) -> dict[str, str]:
    conf = tmp_path / "fm.toml"
    conf.write_text(
        "[consumer_config.checkline]\n"
        f'db = "sqlite:///{tmp_path / "ledger.sqlite"}"\n'
        f'rules = "{fixtures_dir / "rules" / "cli.yml"}"\n'
    )
    return {"CHECKLINE_TRIGGER_CONFIG": str(conf)}


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_explain_text(env: dict[str, str], fixtures_dir: Path) -> None:
    """Assert explain prints the Event, every rule with its reason, and the jobs."""
    result = run(env, "trigger", "explain", str(fixtures_dir / "messages/koji-tag-pending.json"))
    assert result.exit_code == 0, result.output
    assert "  item: 'f31-updates-pending'" in result.output
    assert "  no    rule 0: item_type $eq 'koji_build': no (it is 'koji_tag')" in result.output
    assert "  MATCH rule 1: all of [item_type $eq 'koji_tag': yes" in result.output
    assert result.output.endswith("jobs (1):\n  dummy koji_tag f31-updates-pending noarch\n")


def test_explain_json_touches_nothing(
    env: dict[str, str], fixtures_dir: Path, tmp_path: Path
) -> None:
    """Assert explain --json gives event, rules and jobs, and creates no ledger."""
    message = str(fixtures_dir / "messages/bodhi-update-ready.json")
    result = run(env, "trigger", "explain", "--json", message)
    doc = json.loads(result.output)
    assert doc["event"]["item"] == "FEDORA-2019-d64d0caab3"
    assert [r["matched"] for r in doc["rules"]] == [False, False, True]
    assert doc["jobs"] == [
        {
            "item": "FEDORA-2019-d64d0caab3",
            "item_type": "bodhi_update",
            "taskname": "dummy",
            "arch": "noarch",
        }
    ]
    assert not (tmp_path / "ledger.sqlite").exists()


def test_replay_then_jobs(env: dict[str, str], fixtures_dir: Path, tmp_path: Path) -> None:
    """Assert replay records the expected jobs once, drops junk, and jobs list/show/rerun work."""
    lines = [
        json.dumps(json.loads(path.read_text()))
        for path in sorted((fixtures_dir / "messages").glob("*.json"))
    ]
    lines += ['{"topic": "wiki.edit", "body": {}}', "not json", "[1]"]
    replay_file = tmp_path / "recorded.jsonl"
    replay_file.write_text("\n".join(lines) + "\n")
    first = run(env, "trigger", "replay", str(replay_file))
    assert first.exit_code == 0, first.output
    assert "9 messages, 3 jobs, 0 duplicates, 0 seen before, 3 dropped" in first.output
    second = run(env, "trigger", "replay", str(replay_file))
    assert "9 messages, 0 jobs, 0 duplicates, 4 seen before, 3 dropped" in second.output

    listed = json.loads(run(env, "jobs", "list", "--json").output)
    assert [(j["taskname"], j["item_type"], j["status"]) for j in listed] == [
        ("dummy", "bodhi_update", "SCHEDULED"),
        ("nvr-sanity", "koji_build", "SCHEDULED"),
        ("dummy", "koji_tag", "SCHEDULED"),
    ]
    uuid = listed[1]["uuid"]
    shown = json.loads(run(env, "jobs", "show", uuid).output)
    assert shown["item"] == "chromium-80.0.3987.132-1.fc33"
    assert shown["msg_id"] == "2026-5c3a3b6e-0f0e-4d2e-9d1c-000000000001"

    rerun = run(env, "jobs", "rerun", uuid)
    assert rerun.exit_code == 0 and rerun.output.startswith(f"rerun of {uuid}: ")
    text = run(env, "jobs", "list", "--status", "SCHEDULED").output.splitlines()
    assert len(text) == 4 and "nvr-sanity" in text[-1]

    missing = run(env, "jobs", "show", "nope")
    assert missing.exit_code == 1 and "no job nope" in missing.output


def test_replay_one_plain_object(env: dict[str, str], tmp_path: Path, fixtures_dir: Path) -> None:
    """Assert a file holding one {topic, body} object is one message, with a stable id."""
    data = json.loads((fixtures_dir / "messages/koji-build-complete.json").read_text())
    plain = tmp_path / "one.json"
    plain.write_text(json.dumps({"topic": data["topic"], "body": data["body"]}, indent=2))
    assert "1 jobs" in run(env, "trigger", "replay", str(plain)).output
    assert "1 seen before" in run(env, "trigger", "replay", str(plain)).output
    forced = run(env, "trigger", "replay", "--force", str(plain)).output
    assert "1 messages, 1 jobs" in forced
    assert len(json.loads(run(env, "jobs", "list", "--json").output)) == 2


def test_schedule_and_window(env: dict[str, str]) -> None:
    """Assert schedule records per arch, then refuses the same job within the window (the
    check named by --check, or by its older name --task)."""
    args = ["trigger", "schedule", "-i", "xchat-0.5-1.fc20", "-t", "koji_build", "--check", "dummy"]
    first = run(env, *args, "-a", "x86_64", "-a", "aarch64")
    assert first.output.count("scheduled ") == 2
    again = run(env, *args, "-a", "x86_64")
    assert "not scheduled (within the dedup window" in again.output
    older = ["trigger", "schedule", "-i", "xchat-0.5-1.fc20", "-t", "koji_build", "--task", "dummy"]
    assert "not scheduled (within the dedup window" in run(env, *older, "-a", "x86_64").output
    assert run(env, *args, "-a", "x86_64", "--force").output.startswith("scheduled ")
    assert run(env, *args, "-a", "noarch", "-a", "x86_64").output.count("scheduled ") == 1
    # the same arch twice is one job (as in rules), not a second one held by the window
    twice = run(env, *args, "-a", "i686", "-a", "i686", "--force").output
    assert twice.count("scheduled ") == 1 and "not scheduled" not in twice


def test_schedule_unknown_check(env: dict[str, str]) -> None:
    """Assert scheduling a check missing from the checks repo is a usage error naming it."""
    args = ["schedule", "-i", "x", "-t", "koji_build", "--check", "no-such-check"]
    result = run(env, "trigger", *args)
    assert result.exit_code == 2
    assert "check 'no-such-check' is not in the checks repo" in result.output


def test_schedule_item_no_job_can_run(env: dict[str, str]) -> None:
    """Assert an item with a line break is a usage error, recorded nowhere (the master would
    refuse its build, which the ledger then called FINISHED)."""
    args = ["schedule", "-i", "x-1-1\nFORGED", "-t", "koji_build", "--check", "dummy"]
    result = run(env, "trigger", *args)
    assert result.exit_code == 2
    assert "item 'x-1-1\\nFORGED' contains a NUL or line break" in result.output
    assert json.loads(run(env, "jobs", "list", "--json").output) == []


def test_bad_config_and_rules(env: dict[str, str], tmp_path: Path) -> None:
    """Assert an unknown setting is exit 2 and unusable rules exit 1, each named."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[consumer_config.checkline]\nqueue_name = "x"\n')
    result = run({}, "jobs", "list", "--config", str(bad))
    assert result.exit_code == 2 and "unknown setting 'queue_name'" in result.output
    rules = tmp_path / "rules.yml"
    rules.write_text("- {when: {item_type: koji_build}, do: [{tasks: [rpmlnt]}]}\n")
    result = run(env, "trigger", "replay", "--rules", str(rules), str(rules))
    assert result.exit_code == 1
    assert f"{rules}: rule 0: do[0]: check 'rpmlnt' is not in the checks repo" in result.output


def test_queue_settings_durable_and_bound_to_rule_topics() -> None:
    """Assert the consumer's queue is durable and bound only to topics the rules can use."""
    from checkline.trigger.cli import queue_settings
    from checkline.trigger.config import TriggerSettings

    queues, bindings = queue_settings(TriggerSettings(queue="q1"), frozenset({"koji_build"}))
    assert queues == {
        "q1": {"durable": True, "auto_delete": False, "exclusive": False, "arguments": {}}
    }
    assert bindings == [
        {"queue": "q1", "exchange": "amq.topic", "routing_keys": ["#.buildsys.build.state.change"]}
    ]
    _, every = queue_settings(TriggerSettings(), None)
    assert len(every[0]["routing_keys"]) == 4


def test_dispatch_once_runs_waiting_jobs(env: dict[str, str], tmp_path: Path) -> None:
    """Assert jobs recorded with backend none are run by `dispatch --once --backend local`."""
    import time

    conf = Path(env["CHECKLINE_TRIGGER_CONFIG"])
    conf.write_text(conf.read_text() + f'artifacts_root = "{tmp_path / "artifacts"}"\n')
    run(env, "trigger", "schedule", "-i", "xchat-0.5-1.fc20", "-t", "koji_build", "--task", "dummy")
    refused = run(env, "trigger", "dispatch", "--once")
    assert refused.exit_code == 2 and "backend 'none' submits nothing" in refused.output
    result = run(env, "trigger", "dispatch", "--once", "--backend", "local")
    # the pass submits, then reconciles: the run has started (or even ended) by then
    assert "submitted 1, status changed 1" in result.output
    (job,) = json.loads(run(env, "jobs", "list", "--json").output)
    assert job["status"] in ("RUNNING", "FINISHED")
    assert job["info_url"] == (tmp_path / "artifacts" / job["uuid"]).as_uri() + "/"
    execution = tmp_path / "artifacts" / job["uuid"] / "execution.json"
    deadline = time.monotonic() + 60
    while not execution.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)
    # another process (a new backend) learns the end from execution.json
    assert "submitted 0" in run(env, "trigger", "dispatch", "--once", "--backend", "local").output
    assert json.loads(run(env, "jobs", "show", job["uuid"]).output)["status"] == "FINISHED"
