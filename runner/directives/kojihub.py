"""Where Koji and Bodhi are, and the calls made to a Koji hub (``koji.ClientSession``).

Configuration comes from the runner's environment, read when an action runs (``DEFAULTS``
are Fedora's services): ``CHECKLINE_KOJI_HUB`` (the hub's XML-RPC URL),
``CHECKLINE_KOJI_TOPURL`` (where Koji's files are), ``CHECKLINE_BODHI_URL`` (Bodhi's REST
API), ``CHECKLINE_KOJI_RETRIES`` (extra attempts after a transient error) and
``CHECKLINE_KOJI_RETRY_WAIT`` (seconds before the first retry, doubled for each next one).

Hub errors are mapped to the runner's three kinds: a build or tag that does not exist is
``ItemNotFound`` (a job error); a hub that cannot be reached is a transient
``DirectiveError``; a hub that answers with a fault is a non-transient ``DirectiveError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import koji
import requests

from checkline.retry import RetryPolicy

from ..errors import DirectiveError, ItemNotFound

__all__ = ["DEFAULTS", "KojiHub", "ServiceConfig", "service_config"]

DEFAULTS = {
    "CHECKLINE_KOJI_HUB": "https://koji.fedoraproject.org/kojihub",
    "CHECKLINE_KOJI_TOPURL": "https://kojipkgs.fedoraproject.org",
    "CHECKLINE_BODHI_URL": "https://bodhi.fedoraproject.org",
    "CHECKLINE_KOJI_RETRIES": "3",
    "CHECKLINE_KOJI_RETRY_WAIT": "2",
}

_HUB_TIMEOUT = 60  # seconds per hub call


@dataclass(frozen=True)
class ServiceConfig:
    koji_hub: str
    koji_topurl: str
    bodhi_url: str
    retry: RetryPolicy


def service_config(env: Mapping[str, str]) -> ServiceConfig:
    """The Koji and Bodhi settings from ``env`` (``os.environ``), with Fedora's defaults.

    Raises:
        DirectiveError: a retry setting is not a number (the worker is misconfigured).
    """

    def get(key: str) -> str:
        return env.get(key) or DEFAULTS[key]

    try:
        retries = int(get("CHECKLINE_KOJI_RETRIES"))
        wait = float(get("CHECKLINE_KOJI_RETRY_WAIT"))
    except ValueError as err:
        raise DirectiveError(f"CHECKLINE_KOJI_RETRIES/_RETRY_WAIT must be numbers: {err}") from err
    if retries < 0 or wait < 0:
        raise DirectiveError("CHECKLINE_KOJI_RETRIES and _RETRY_WAIT must not be negative")
    return ServiceConfig(
        koji_hub=get("CHECKLINE_KOJI_HUB").rstrip("/"),
        koji_topurl=get("CHECKLINE_KOJI_TOPURL").rstrip("/"),
        bodhi_url=get("CHECKLINE_BODHI_URL").rstrip("/"),
        retry=RetryPolicy(attempts=retries + 1, base=wait, cap=None, jitter=False),
    )


class KojiHub:
    """The few read-only hub calls the directives make, with errors mapped to the runner's."""

    def __init__(self, config: ServiceConfig) -> None:
        self.url = config.koji_hub
        self._session = koji.ClientSession(
            config.koji_hub,
            opts={
                # Anonymous calls are read-only, so retrying them is safe; koji does not
                # retry them unless asked (anon_retry).
                "anon_retry": True,
                "max_retries": config.retry.attempts - 1,
                "retry_interval": config.retry.base,
                "timeout": _HUB_TIMEOUT,
            },
        )

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._session, method)(*args, **kwargs)
        except koji.GenericError as err:  # the hub answered with a fault
            raise DirectiveError(f"Koji hub {self.url}: {method} failed: {err}") from err
        except requests.HTTPError as err:
            status = err.response.status_code if err.response is not None else 0
            if 400 <= status < 500 and status not in (408, 429):
                raise DirectiveError(
                    f"{self.url} did not answer as a Koji hub (HTTP {status})"
                ) from err
            raise DirectiveError(
                f"the Koji hub {self.url} failed: HTTP {status}", transient=True
            ) from err
        except requests.RequestException as err:
            raise DirectiveError(
                f"cannot reach the Koji hub {self.url}: {type(err).__name__}: {err}",
                transient=True,
            ) from err
        except ExpatError as err:
            raise DirectiveError(
                f"{self.url} did not answer as a Koji hub (not XML-RPC: {err})"
            ) from err

    def build(self, nvr: str) -> dict[str, Any]:
        """The COMPLETE build ``nvr``.

        Raises:
            ItemNotFound: no such build, or it is not COMPLETE (deleted, failed, ...).
        """
        build = self._call("getBuild", nvr)
        if not build:
            raise ItemNotFound(f"Koji build {nvr!r} does not exist (hub {self.url})")
        state = build.get("state")
        if state != koji.BUILD_STATES["COMPLETE"]:
            name = koji.BUILD_STATES.get(state, state)
            raise ItemNotFound(f"Koji build {nvr!r} is {name}, not COMPLETE (hub {self.url})")
        return dict(build)

    def rpms(self, build: dict[str, Any], arches: tuple[str, ...] | None) -> list[dict[str, Any]]:
        """The build's RPMs, of ``arches`` only unless None."""
        found = self._call("listRPMs", buildID=build["id"], arches=list(arches) if arches else None)
        return [dict(rpm) for rpm in found]

    def _require_tag(self, tag: str) -> None:
        if not self._call("getTag", tag):
            raise ItemNotFound(f"Koji tag {tag!r} does not exist (hub {self.url})")

    def tagged(self, tag: str) -> list[dict[str, Any]]:
        """The latest build of each package in ``tag``.

        Raises:
            ItemNotFound: no such tag.
        """
        self._require_tag(tag)
        return [dict(b) for b in self._call("listTagged", tag, latest=True)]

    def latest(self, tag: str, package: str) -> dict[str, Any] | None:
        """The latest build of ``package`` in ``tag`` (None if none; a missing tag too)."""
        if not self._call("getTag", tag):
            return None
        found = self._call("getLatestBuilds", tag, package=package)
        return dict(found[0]) if found else None
