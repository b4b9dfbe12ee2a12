"""Reports that could not be posted, kept on disk until they can be.

A spool is a directory of JSON files, one per report: where it goes (the ResultsDB URL; never
the write token, which stays in the environment of whoever flushes), its group and the result
bodies not known to have landed. Files are written atomically (temporary file, fsync, rename)
so a crash leaves either the old file or the new one. Flushing takes the spool's lock, so two
flushes never post the same file at once; and it always checks the group's keys before
posting (``deliver(maybe_landed=True)``), because a flush killed between posting and removing
the file leaves a file whose results have landed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkline.retry import RetryPolicy

from .client import PermanentError, ResultsDBClient
from .deliver import DeliveryFailed, deliver
from .mapping import key_of

__all__ = ["FlushSummary", "Spool", "SpooledReport"]

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class SpooledReport:
    resultsdb: str
    group: str
    bodies: list[dict[str, Any]]
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())

    def to_json(self) -> dict[str, Any]:
        return {
            "resultsdb": self.resultsdb,
            "group": self.group,
            "created": self.created,
            "bodies": self.bodies,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpooledReport:
        return cls(
            resultsdb=str(data["resultsdb"]),
            group=str(data["group"]),
            bodies=list(data["bodies"]),
            created=str(data.get("created", "")),
        )


@dataclass
class FlushSummary:
    posted: int = 0
    already: int = 0
    flushed: list[Path] = field(default_factory=list)
    remaining: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Spool:
    """The spool in ``directory`` (created when first written)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, resultsdb: str, group: str) -> Path:
        digest = hashlib.sha256(f"{resultsdb}\0{group}".encode()).hexdigest()[:12]
        return self.directory / f"{_UNSAFE.sub('_', group)[:80]}-{digest}.json"

    def add(self, report: SpooledReport) -> Path:
        """Spool ``report``, merged into what is already spooled for its group (a QUEUED
        status and the final results, say), each body once by its key."""
        path = self.path_for(report.resultsdb, report.group)
        with self.locked(wait=True):
            if path.exists():
                earlier = self.load(path)
                seen = {key_of(body) for body in report.bodies}
                report.bodies = [b for b in earlier.bodies if key_of(b) not in seen] + report.bodies
                report.created = earlier.created
            return self.put(report)

    def put(self, report: SpooledReport) -> Path:
        """Write ``report`` atomically, replacing its group's file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(report.resultsdb, report.group)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(report.to_json(), out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def entries(self) -> list[Path]:
        """The spooled reports, oldest first."""
        if not self.directory.is_dir():
            return []
        files = [p for p in self.directory.glob("*.json") if not p.name.startswith(".")]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

    def load(self, path: Path) -> SpooledReport:
        return SpooledReport.from_json(json.loads(path.read_text(encoding="utf-8")))

    @contextmanager
    def locked(self, *, wait: bool = False) -> Iterator[bool]:
        """The spool's lock; without ``wait``, yields False when another process has it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def flush(
        self,
        client_for: Callable[[str], ResultsDBClient],
        policy: RetryPolicy | None = None,
    ) -> FlushSummary:
        """Post every spooled report; remove each file once its results are all in.

        Args:
            client_for: a client for a spooled report's ResultsDB URL.
        """
        summary = FlushSummary()
        if not self.entries():
            return summary
        with self.locked() as mine:
            if not mine:
                summary.errors.append(f"{self.directory}: another flush is running")
                return summary
            for path in self.entries():
                try:
                    report = self.load(path)
                except (OSError, ValueError, KeyError, TypeError) as err:
                    summary.errors.append(f"{path}: unreadable spool file: {err}")
                    summary.remaining.append(path)
                    continue
                try:
                    done = deliver(
                        client_for(report.resultsdb),
                        report.group,
                        report.bodies,
                        maybe_landed=True,
                        policy=policy,
                    )
                except DeliveryFailed as err:
                    summary.posted += err.done.posted
                    summary.already += err.done.already
                    if len(err.pending) < len(report.bodies):
                        report.bodies = err.pending
                        self.put(report)
                    summary.errors.append(f"{path.name}: still failing: {err}")
                    summary.remaining.append(path)
                    continue
                except PermanentError as err:
                    summary.errors.append(f"{path.name}: refused: {err}")
                    summary.remaining.append(path)
                    continue
                summary.posted += done.posted
                summary.already += done.already
                path.unlink(missing_ok=True)
                summary.flushed.append(path)
                log.info(
                    "flushed %s: %d posted, %d already there", path.name, done.posted, done.already
                )
        return summary
