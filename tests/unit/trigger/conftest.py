"""Fixtures of the trigger's unit tests (factories live in trigger_factories.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from trigger_factories import FakeBackend

from checkline.trigger.ledger import Ledger


@pytest.fixture
def messages_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "messages"


@pytest.fixture
def load_message(messages_dir: Path) -> Callable[[str], dict[str, Any]]:
    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((messages_dir / f"{name}.json").read_text())
        return data

    return load


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", dedup_window=900)
    yield led
    led.dispose()


@pytest.fixture
def fake_backend() -> FakeBackend:
    return FakeBackend()
