"""Getting a job's result bodies into ResultsDB exactly once, whatever fails on the way.

* Results go in chunks through ``POST /results/bulk`` (one transaction each: a chunk lands
  whole or not at all), or one by one where the server has no bulk endpoint (upstream).
* Transient failures (:class:`~checkline.reporting.client.ResultsDBUnavailable`) are retried
  with exponential backoff and jitter, up to a bound (:class:`checkline.retry.RetryPolicy`);
  past it the caller spools what is left (``checkline.reporting.spool``).
* Exactly once: every body carries a deterministic key (``checkline.report_key``). A delivery
  first reads the keys the job's group already holds and sends only the others, and so does
  every attempt after a failure that may have landed (the answer was lost, not the request).
  For a new job that read is one request answering an empty page; a report run twice (a
  Buildbot step retried, a spool flushed after a kill) finds its results and posts nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checkline.retry import RetryPolicy, retry_call

from .client import BulkUnsupported, ResultsDBClient, ResultsDBUnavailable
from .mapping import REPORT_KEY, accept_outcomes, key_of

__all__ = ["Delivery", "DeliveryFailed", "deliver"]

log = logging.getLogger(__name__)

#: Results per bulk request: about 1 MB of JSON, far below the server's body limit.
CHUNK = 1000


@dataclass
class Delivery:
    """What a delivery came to: results posted now, results found already there, results the
    server cannot take (early status it does not accept), each counted.

    Not a result's outcome (``checkline.outcomes.Outcome``: PASSED, FAILED...): a count of
    what happened to the bodies sent.
    """

    posted: int = 0
    already: int = 0
    unsendable: int = 0


class DeliveryFailed(Exception):
    """Transient failures outlasted the retry policy; ``pending`` are the bodies not known to
    have landed, ``maybe_landed`` whether some of them may have."""

    def __init__(
        self, message: str, pending: list[dict[str, Any]], *, maybe_landed: bool, done: Delivery
    ) -> None:
        super().__init__(message)
        self.pending = pending
        self.maybe_landed = maybe_landed
        self.done = done


class _Attempt:
    """The state carried from one attempt to the next."""

    def __init__(self, bodies: list[dict[str, Any]], maybe_landed: bool) -> None:
        self.pending = list(bodies)
        self.maybe_landed = maybe_landed
        self.delivery = Delivery()
        self.bulk = True

    def run(self, client: ResultsDBClient, group: str) -> None:
        if self.maybe_landed:
            present = client.reported_keys(group, REPORT_KEY)
            before = len(self.pending)
            self.pending = [body for body in self.pending if key_of(body) not in present]
            self.delivery.already += before - len(self.pending)
            self.maybe_landed = False
        if not self.pending:
            return
        sendable, unsendable = accept_outcomes(self.pending, client.accepted_outcomes())
        if unsendable:
            log.warning(
                "ResultsDB at %s does not accept %s: %d early-status result(s) not sent",
                client.api,
                ", ".join(sorted({b["outcome"] for b in unsendable})),
                len(unsendable),
            )
            self.delivery.unsendable += len(unsendable)
        self.pending = sendable
        while self.pending:
            chunk = self.pending[:CHUNK] if self.bulk else self.pending[:1]
            try:
                if self.bulk:
                    client.post_bulk(chunk)
                else:
                    client.post_result(chunk[0])
            except BulkUnsupported:
                log.info("%s has no bulk endpoint: posting results one by one", client.api)
                self.bulk = False
                continue
            except ResultsDBUnavailable as err:
                self.maybe_landed = err.maybe_landed
                raise
            del self.pending[: len(chunk)]
            self.delivery.posted += len(chunk)


def deliver(
    client: ResultsDBClient,
    group: str,
    bodies: list[dict[str, Any]],
    *,
    maybe_landed: bool = True,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Delivery:
    """Post ``bodies`` (all of group ``group``) exactly once.

    Args:
        maybe_landed: some bodies may already be in ResultsDB (the default: a report may be
            run twice); their keys are checked before posting. False skips that first read,
            for a caller that knows the group is new (a benchmark's baseline, say).
        policy: the retries (default: ``RetryPolicy()``, 6 attempts with jitter).

    Raises:
        DeliveryFailed: transient failures outlasted ``policy``; nothing posted is in it.
        PermanentError: the server refused a request (4xx); retrying cannot help.
    """
    attempt = _Attempt(bodies, maybe_landed)

    def retrying(_attempt: int, wait: float, err: BaseException) -> None:
        log.warning("%s; retrying in %.1f s", err, wait)

    try:
        retry_call(
            lambda: attempt.run(client, group),
            policy or RetryPolicy(),
            retry_on=(ResultsDBUnavailable,),
            sleep=sleep,
            clock=clock,
            on_retry=retrying,
        )
    except ResultsDBUnavailable as err:
        raise DeliveryFailed(
            str(err), attempt.pending, maybe_landed=attempt.maybe_landed, done=attempt.delivery
        ) from err
    return attempt.delivery
