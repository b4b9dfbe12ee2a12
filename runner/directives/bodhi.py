"""``bodhi``: download the RPMs of every build of a Bodhi update (through the koji code)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote

import requests
from pydantic import Field, field_validator

from checkline.retry import RetryPolicy, TransientError, retry_call

from ..errors import DirectiveError, ItemNotFound
from .base import Directive, DirectiveParams, directive
from .koji import Arch, Downloads, action_deadline, download_build, target_directory
from .kojihub import KojiHub, service_config
from .rpmfiles import select_arches

if TYPE_CHECKING:
    from ..context import RunContext
    from ..process import CancelToken

__all__ = ["Bodhi", "BodhiParams", "update_builds"]

_TIMEOUT = (15, 60)
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class _Unavailable(TransientError):
    """Bodhi did not answer, or answered a status worth another attempt."""


class BodhiParams(DirectiveParams):
    action: Literal["download"]
    #: The update's alias (``FEDORA-2024-1a2b3c4d5e``).
    update_id: Annotated[str, Field(min_length=1)]
    #: Arches to download, under the ``koji`` directive's rules (``all``, ``src``, base
    #: arches; ``noarch`` added with a binary arch; ``[]`` no binary RPM).
    arch: list[Arch]
    src: bool = False
    target_dir: str | None = None

    @field_validator("arch", mode="before")
    @classmethod
    def _one_arch(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def update_builds(update: Any) -> list[str]:
    """The NVRs of the RPM builds in Bodhi's ``GET /updates/<alias>`` answer.

    Raises:
        ValueError: the answer does not have Bodhi's shape.
    """
    inner = update.get("update") if isinstance(update, dict) else None
    builds = inner.get("builds") if isinstance(inner, dict) else None
    if not isinstance(builds, list):
        raise ValueError("no 'update.builds' list in the answer")
    nvrs = []
    for build in builds:
        if not isinstance(build, dict) or not isinstance(build.get("nvr"), str):
            raise ValueError(f"a build without an 'nvr': {build!r}")
        if build.get("type", "rpm") == "rpm":
            nvrs.append(build["nvr"])
    return nvrs


def _get_update(
    http: requests.Session, base: str, alias: str, policy: RetryPolicy, cancel: CancelToken
) -> Any:
    """Bodhi's JSON for ``alias``, retrying transient failures.

    Raises:
        ItemNotFound: Bodhi answers 404.
        DirectiveError: another answer, or no answer after the retries (transient).
    """
    url = f"{base}/updates/{quote(alias, safe='')}"

    def get() -> Any:
        try:
            answer = http.get(url, headers={"Accept": "application/json"}, timeout=_TIMEOUT)
        except requests.RequestException as err:
            raise _Unavailable(f"{type(err).__name__}: {err}") from err
        if answer.status_code == 404:
            raise ItemNotFound(f"Bodhi update {alias!r} does not exist ({base})")
        if answer.status_code == 200:
            try:
                return answer.json()
            except ValueError as err:
                raise DirectiveError(f"{url}: not JSON: {err}") from err
        if answer.status_code not in _TRANSIENT_STATUS:
            raise DirectiveError(f"{url}: HTTP {answer.status_code}")
        raise _Unavailable(f"HTTP {answer.status_code}")

    try:
        return retry_call(get, policy, retry_on=(_Unavailable,), sleep=cancel.sleep)
    except _Unavailable as err:
        raise DirectiveError(
            f"cannot get {url} after {policy.attempts} attempts: {err}", transient=True
        ) from None


@directive("bodhi")
class Bodhi(Directive[BodhiParams]):
    """Download the RPMs of every build of a Bodhi update.

    .. code-block:: yaml

        - name: download the update
          bodhi:
            action: download
            update_id: ${bodhi_update}
            arch: [x86_64]              # or "all", or [src]; as for the koji directive
            src: false
            target_dir: ${workdir}/rpms # default: the working directory
          export: downloaded

    The update comes from Bodhi's REST API (``GET /updates/<alias>`` under
    ``CHECKLINE_BODHI_URL``, Fedora's by default); its builds are downloaded from Koji as the
    ``koji`` directive does (same configuration, checks, resume and retries).

    Returns: ``{downloaded_rpms: [paths]}``. An update that does not exist, or a build of it
    that Koji does not have, is a job error; a network failure an execution error.
    """

    Params = BodhiParams

    def run(self, params: BodhiParams, ctx: RunContext) -> dict[str, list[str]]:
        config = service_config(os.environ)
        selection = select_arches(params.arch, src=params.src)
        directory = target_directory(params.target_dir, ctx)
        done = Downloads()
        with requests.Session() as http:
            update = _get_update(http, config.bodhi_url, params.update_id, config.retry, ctx.cancel)
            try:
                nvrs = update_builds(update)
            except ValueError as err:
                raise DirectiveError(
                    f"Bodhi update {params.update_id!r}: unexpected answer: {err}"
                ) from err
            ctx.log.info("Bodhi update %s: %s", params.update_id, ", ".join(nvrs) or "no builds")
            hub = KojiHub(config)
            deadline = action_deadline(ctx)
            for nvr in nvrs:
                build = hub.build(nvr)
                download_build(
                    hub,
                    http,
                    config,
                    build,
                    selection,
                    directory,
                    ctx,
                    deadline=deadline,
                    into=done,
                )
        return {"downloaded_rpms": done.export()["downloaded_rpms"]}
