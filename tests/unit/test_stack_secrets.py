"""The stack's secrets: one file, mode 600, each made once; older state dirs keep theirs."""

from __future__ import annotations

import json
from pathlib import Path

from checkline.stack.parts import SECRETS_FILE, StackContext, _workers, stack_secret
from checkline.stack.settings import StackSettings


def test_secret_made_once_in_a_private_file(tmp_path: Path) -> None:
    ctx = StackContext(tmp_path, StackSettings())
    token = stack_secret(ctx, "resultsdb_token")
    assert stack_secret(ctx, "resultsdb_token") == token and len(token) >= 24
    assert stack_secret(ctx, "other") != token
    assert (tmp_path / SECRETS_FILE).stat().st_mode & 0o777 == 0o600
    assert json.loads((tmp_path / SECRETS_FILE).read_text()) == {
        "resultsdb_token": token,
        "other": stack_secret(ctx, "other"),
    }


def test_workers_keep_the_passwords_of_an_older_state_dir(tmp_path: Path) -> None:
    """Assert passwords from buildbot/worker-passwords.json (their buildbot.tac holds them)
    move into the secrets file, and that file goes."""
    legacy = tmp_path / "buildbot" / "worker-passwords.json"
    legacy.parent.mkdir()
    legacy.write_text(json.dumps({"local-noarch": "old-noarch-password"}))
    ctx = StackContext(tmp_path, StackSettings(arches=("noarch", "x86_64")))
    passwords = {w["name"]: w["password"] for w in _workers(ctx)}
    assert passwords["local-noarch"] == "old-noarch-password"
    assert len(passwords["local-x86_64"]) >= 24
    assert not legacy.exists()
    assert {w["name"]: w["password"] for w in _workers(ctx)} == passwords
