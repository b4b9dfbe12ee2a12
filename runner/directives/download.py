"""Download a file over HTTP: resumable, verified, retried on transient errors, cancellable.

Used by the koji and bodhi directives for RPMs and build logs. A download goes to
``<dest>.part``; an interrupted one resumes from where it stopped (``Range``), a finished one
is checked (size, and the RPM header's MD5 that Koji calls ``payloadhash``) before it is
renamed into place, and a file already in place that checks out is not fetched again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3

from checkline.retry import RetryPolicy, TransientError, retry_call

from ..errors import ActionTimeout, DirectiveError
from ..process import CancelToken
from .rpmfiles import LEAD_SIZE, header_offset

__all__ = ["DOWNLOAD_RETRY", "Expected", "HTTPStatusError", "download", "verify"]

_CHUNK = 1 << 16
_TIMEOUT = (15, 60)  # connect, read (seconds)
_PREFIX = LEAD_SIZE + 16  # enough of a file for header_offset()
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Expected:
    """What Koji says about a file; ``None`` when it says nothing."""

    size: int | None = None
    sigmd5: str | None = None


#: 4 attempts, 2 s before the second, doubled before each later one; no jitter (one runner
#: has nobody to fall in step with). The directives take theirs from ``CHECKLINE_KOJI_RETRIES``
#: and ``_RETRY_WAIT`` (``kojihub.service_config``), whose defaults are these.
DOWNLOAD_RETRY = RetryPolicy(attempts=4, base=2.0, cap=None, jitter=False)


class HTTPStatusError(DirectiveError):
    """The server answered a status no retry can change (404, 403, ...)."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url}: HTTP {status}")
        self.url = url
        self.status = status


class _Transient(TransientError):
    """A failure worth another attempt (kept partial data is resumed)."""


class _BadFile(TransientError):
    """The file arrived whole but does not verify: fetched again from the start."""


def verify(path: Path, expected: Expected) -> str | None:
    """None when ``path`` matches ``expected``, else what is wrong."""
    size = path.stat().st_size
    if expected.size is not None and size != expected.size:
        return f"size {size} differs from Koji's {expected.size}"
    if expected.sigmd5:
        with open(path, "rb") as stream:
            try:
                stream.seek(header_offset(stream.read(_PREFIX)))
            except ValueError as err:
                return str(err)
            digest = hashlib.md5(usedforsecurity=False)
            for chunk in iter(lambda: stream.read(_CHUNK), b""):
                digest.update(chunk)
        if digest.hexdigest() != expected.sigmd5.lower():
            return f"MD5 {digest.hexdigest()} differs from Koji's payloadhash {expected.sigmd5}"
    return None


def _fetch(
    http: requests.Session,
    url: str,
    part: Path,
    expected: Expected,
    cancel: CancelToken,
    deadline: float | None,
) -> None:
    """One attempt: fetch ``url`` into ``part``, resuming what is already there."""
    offset = part.stat().st_size if part.exists() else 0
    if expected.size is not None and offset > expected.size:
        part.unlink()
        offset = 0
    if expected.size is not None and offset == expected.size:
        return
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        with http.get(url, headers=headers, stream=True, timeout=_TIMEOUT) as answer:
            if answer.status_code == 416:  # our partial file is wrong: start over
                part.unlink(missing_ok=True)
                raise _Transient("HTTP 416 for a resumed download; starting over")
            if answer.status_code in _TRANSIENT_STATUS:
                raise _Transient(f"HTTP {answer.status_code}")
            if answer.status_code not in (200, 206):
                raise HTTPStatusError(url, answer.status_code)
            if answer.status_code == 200:
                offset = 0  # the server ignored the range: take the whole file
            elif not answer.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
                part.unlink(missing_ok=True)  # not the part we asked for: start over
                raise _Transient(
                    f"HTTP 206 with Content-Range {answer.headers.get('Content-Range')!r}"
                    f" for bytes={offset}-; starting over"
                )
            mode = "ab" if offset else "wb"
            with open(part, mode) as out:
                out.truncate(offset)
                # read1 hands over whatever arrived, so a cut connection loses nothing that
                # came before the cut (iter_content would drop a partly read chunk).
                while chunk := answer.raw.read1(_CHUNK, decode_content=True):
                    out.write(chunk)
                    cancel.raise_if_cancelled()
                    if deadline is not None and time.monotonic() > deadline:
                        raise ActionTimeout(f"download of {url} ran past the action's timeout")
    except (requests.RequestException, urllib3.exceptions.HTTPError) as err:
        raise _Transient(f"{type(err).__name__}: {err}") from err


def download(
    http: requests.Session,
    url: str,
    dest: Path,
    *,
    expected: Expected = Expected(),
    policy: RetryPolicy = DOWNLOAD_RETRY,
    cancel: CancelToken | None = None,
    deadline: float | None = None,
    log: logging.Logger | None = None,
) -> Path:
    """Fetch ``url`` to ``dest`` (verified against ``expected``) and return ``dest``.

    A file already at ``dest`` is kept when it verifies against ``expected`` (only when
    ``expected`` says something; else the file is fetched again).

    Raises:
        HTTPStatusError: a non-transient HTTP answer (404, 403, ...).
        DirectiveError: every attempt failed
            (``transient`` then says a later run may succeed), or the file never verified.
        ActionTimeout: past ``deadline`` (``time.monotonic()``).
        RunCancelled: ``cancel`` was set.
    """
    cancel = cancel or CancelToken()
    log = log or logging.getLogger(__name__)
    part = dest.with_name(dest.name + ".part")
    if expected.size is None and not expected.sigmd5:
        # Nothing to check a file from an earlier run against: fetch it whole, afresh.
        part.unlink(missing_ok=True)
    elif dest.is_file() and verify(dest, expected) is None:
        log.info("%s: already downloaded and verified", dest.name)
        return dest

    def attempt() -> Path:
        _fetch(http, url, part, expected, cancel, deadline)
        wrong = verify(part, expected)
        if wrong is not None:
            part.unlink()  # a wrong file is fetched again from the start, never resumed
            raise _BadFile(wrong)
        os.replace(part, dest)
        log.info("downloaded %s", dest.name)
        return dest

    def retrying(number: int, pause: float, err: BaseException) -> None:
        log.warning("%s: attempt %d failed (%s); retrying in %g s", url, number, err, pause)

    try:
        return retry_call(
            attempt, policy, retry_on=(_Transient, _BadFile), sleep=cancel.sleep, on_retry=retrying
        )
    except _BadFile as err:
        raise DirectiveError(f"{dest.name}: {err} (downloaded {policy.attempts} times)") from None
    except _Transient as err:
        raise DirectiveError(
            f"download of {url} failed after {policy.attempts} attempts: {err}", transient=True
        ) from None
