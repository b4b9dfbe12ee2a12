"""``koji``: download the RPMs of a Koji build, of a tag's latest builds, or of the latest
stable build of a package, with Taskotron's parameters."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import requests
from pydantic import Field, field_validator, model_validator

from ..errors import DirectiveError
from .base import Directive, DirectiveParams, directive
from .download import Expected, HTTPStatusError, download
from .kojihub import KojiHub, ServiceConfig, service_config
from .rpmfiles import (
    ArchSelection,
    UnsafeName,
    build_log_url,
    evr_key,
    rpm_filename,
    rpm_url,
    select_arches,
    select_rpms,
    split_nvr,
    stable_tags,
    strip_epoch,
)

if TYPE_CHECKING:
    from ..context import RunContext

__all__ = [
    "Arch",
    "Downloads",
    "Koji",
    "KojiParams",
    "action_deadline",
    "download_build",
    "target_directory",
]

Arch = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]

_NEEDS = {
    "download": "koji_build",
    "download_latest_stable": "koji_build",
    "download_tag": "koji_tag",
}


class KojiParams(DirectiveParams):
    action: Literal["download", "download_tag", "download_latest_stable"]
    koji_build: str | None = None
    koji_tag: str | None = None
    #: Arches to download (``all``: every one; ``src``: the source RPM; a base arch such as
    #: ``i386``: its concrete arches); ``noarch`` is added when a binary arch is named. ``[]``
    #: asks for no binary RPM. One arch may be given as a plain string.
    arch: list[Arch]
    #: Arches never downloaded, whatever ``arch`` says (``noarch`` and ``src`` too).
    arch_exclude: list[Arch] = Field(default_factory=list)
    src: bool = False
    debuginfo: bool = False
    #: Also each arch's build.log (``download`` and ``download_latest_stable`` only).
    build_log: bool = False
    #: Where files go; relative paths are inside the run's working directory.
    target_dir: str | None = None

    @field_validator("arch", "arch_exclude", mode="before")
    @classmethod
    def _one_arch(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _item_for_action(self) -> KojiParams:
        needed = _NEEDS[self.action]
        other = "koji_tag" if needed == "koji_build" else "koji_build"
        if not getattr(self, needed):
            raise ValueError(f"action {self.action!r} needs {needed!r}")
        if getattr(self, other) is not None:
            raise ValueError(f"action {self.action!r} takes {needed!r}, not {other!r}")
        return self


@dataclass
class Downloads:
    """What a directive exports: paths as strings, sorted."""

    rpms: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)

    def export(self) -> dict[str, list[str]]:
        return {
            "downloaded_rpms": sorted(self.rpms),
            "downloaded_logs": sorted(self.logs),
            "log_errors": sorted(self.log_errors),
        }


def target_directory(target_dir: str | None, ctx: RunContext) -> Path:
    """``target_dir`` (relative ones inside the working directory), created."""
    path = ctx.workdir / target_dir if target_dir else ctx.workdir
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def action_deadline(ctx: RunContext) -> float | None:
    """When the action's ``timeout`` ends, on ``time.monotonic()``'s clock (None: never)."""
    return time.monotonic() + ctx.timeout if ctx.timeout else None


def _inside(directory: Path, name: str) -> Path:
    """``directory/name``, refusing any name that would land elsewhere."""
    path = (directory / name).resolve()
    if path.parent != directory:
        raise UnsafeName(f"unsafe file name {name!r}")
    return path


def download_build(
    hub: KojiHub,
    http: requests.Session,
    config: ServiceConfig,
    build: dict[str, Any],
    selection: ArchSelection,
    directory: Path,
    ctx: RunContext,
    *,
    debuginfo: bool = False,
    build_log: bool = False,
    deadline: float | None = None,
    into: Downloads | None = None,
) -> Downloads:
    """Download the selected RPMs (and build logs) of one build into ``directory``.

    ``deadline`` (``time.monotonic()``) is the action's: past it, ``ActionTimeout``.

    Raises:
        DirectiveError: the hub gave an unsafe name, or a download failed.
    """
    done = into or Downloads()
    listed = [] if selection.nothing else hub.rpms(build, selection.arches)
    rpms = select_rpms(listed, selection, debuginfo=debuginfo)
    ctx.log.info("%s: %d RPM(s) to download", build.get("nvr"), len(rpms))
    for rpm in rpms:
        try:
            url = rpm_url(config.koji_topurl, build, rpm)
            dest = _inside(directory, rpm_filename(rpm))
        except UnsafeName as err:
            raise DirectiveError(f"the Koji hub gave an {err}; refused") from err
        size = rpm.get("size")
        sigmd5 = rpm.get("payloadhash")
        expected = Expected(
            size=size if isinstance(size, int) else None,
            sigmd5=sigmd5 if isinstance(sigmd5, str) and sigmd5 else None,
        )
        download(
            http,
            url,
            dest,
            expected=expected,
            policy=config.retry,
            cancel=ctx.cancel,
            deadline=deadline,
            log=ctx.log,
        )
        done.rpms.append(str(dest))
    if build_log:
        for arch in sorted({str(rpm["arch"]) for rpm in rpms} - {"src"}):
            try:
                url = build_log_url(config.koji_topurl, build, arch)
                dest = _inside(directory, f"build.log.{arch}")
            except UnsafeName as err:
                raise DirectiveError(f"the Koji hub gave an {err}; refused") from err
            try:
                download(
                    http,
                    url,
                    dest,
                    policy=config.retry,
                    cancel=ctx.cancel,
                    deadline=deadline,
                    log=ctx.log,
                )
            except HTTPStatusError as err:
                if err.status != 404:
                    raise
                ctx.log.warning("no build log for %s: %s", arch, err)
                done.log_errors.append(arch)
            else:
                done.logs.append(str(dest))
    return done


@directive("koji")
class Koji(Directive[KojiParams]):
    """Download RPMs from Koji (``koji.ClientSession`` + the files under Koji's top URL).

    .. code-block:: yaml

        - name: download the build
          koji:
            action: download            # or download_tag, download_latest_stable
            koji_build: ${koji_build}   # download_tag takes koji_tag instead
            arch: [x86_64]              # or "all", or [src]; noarch comes with a binary arch
            arch_exclude: []            # arches never downloaded (a string for one)
            src: false                  # also the source RPM (as src in arch)
            debuginfo: false            # also -debuginfo/-debugsource RPMs
            build_log: false            # also data/logs/<arch>/build.log, as build.log.<arch>
            target_dir: ${workdir}/rpms # default: the working directory
          export: downloaded

    The arch rules are libtaskotron's (``rpmfiles.select_arches``): ``src`` in ``arch`` is the
    source RPM, ``[]`` no binary RPM, a base arch (``i386``, ``armhfp``) its concrete arches.
    ``koji_build`` may be an N(E)VR: the epoch is dropped (Koji names builds by NVR).
    ``download_latest_stable`` downloads the newest (by epoch, version, release) of the
    package's latest builds in the release's stable tags (``.fc40``: f40-updates and f40), if
    there is one. ``build_log`` is for single builds: ``download_tag`` ignores it, with a
    warning, as libtaskotron did.
    The hub and the file server come from ``CHECKLINE_KOJI_HUB`` and ``CHECKLINE_KOJI_TOPURL``
    (Fedora's by default). Each file is checked against the size and the header+payload MD5
    (``payloadhash``) Koji records, resumed when interrupted, and retried on transient
    errors.

    Returns: ``{downloaded_rpms: [paths], downloaded_logs: [paths], log_errors: [arches]}``.
    A build or tag that does not exist is a job error; a network failure an execution error.
    """

    Params = KojiParams

    def run(self, params: KojiParams, ctx: RunContext) -> dict[str, list[str]]:
        config = service_config(os.environ)
        hub = KojiHub(config)
        selection = select_arches(params.arch, params.arch_exclude, src=params.src)
        directory = target_directory(params.target_dir, ctx)
        build_log = params.build_log
        if params.action == "download_tag":
            assert params.koji_tag is not None  # noqa: S101 - ensured by KojiParams
            builds = hub.tagged(params.koji_tag)
            if build_log:
                ctx.log.warning(
                    "build_log is for one build (download, download_latest_stable); "
                    "ignored for download_tag"
                )
                build_log = False
        else:
            assert params.koji_build is not None  # noqa: S101 - ensured by KojiParams
            builds = self._builds(hub, params.action, strip_epoch(params.koji_build), ctx)
        done = Downloads()
        deadline = action_deadline(ctx)
        with requests.Session() as http:
            for build in builds:
                download_build(
                    hub,
                    http,
                    config,
                    build,
                    selection,
                    directory,
                    ctx,
                    debuginfo=params.debuginfo,
                    build_log=build_log,
                    deadline=deadline,
                    into=done,
                )
        return done.export()

    @staticmethod
    def _builds(hub: KojiHub, action: str, nvr: str, ctx: RunContext) -> list[dict[str, Any]]:
        if action == "download":
            return [hub.build(nvr)]
        try:
            package = split_nvr(nvr)[0]
            tags = stable_tags(nvr)
        except ValueError as err:
            raise DirectiveError(f"download_latest_stable: {err}") from err
        found = {tag: hub.latest(tag, package) for tag in tags}
        candidates = [(build, tag) for tag, build in found.items() if build is not None]
        if not candidates:
            ctx.log.info("no stable build of %s in %s", package, ", ".join(tags))
            return []
        # The newest of each tag's latest, as libtaskotron chose (updates may lag the base).
        build, tag = max(candidates, key=lambda pair: evr_key(pair[0]))
        ctx.log.info("latest stable build of %s: %s (%s)", package, build["nvr"], tag)
        return [build]
