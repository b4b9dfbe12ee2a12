"""``BuildmasterConfig`` from ``MasterSettings``: what ``master.cfg`` hands to Buildbot.

One builder per arch that some worker serves (``noarch`` included), a ForceScheduler that
declares every job property (Buildbot silently drops undeclared ones), no request collapsing
(Buildbot merges forced requests by default, losing jobs), no environment in logs, and the
web UI and REST API bound to ``www_bind`` with authentication whenever ``users`` are set
(required beyond localhost; see ``checkline.master.settings``).
"""

from __future__ import annotations

from typing import Any

from buildbot.plugins import schedulers, util, worker
from buildbot.www.auth import NoAuth

from .jobs import JOB_PROPERTIES
from .reports import spool_flusher
from .settings import MasterSettings
from .steps import build_factory

__all__ = ["FORCE_SCHEDULER", "buildmaster_config", "patch_log_download_hang"]

#: The ForceScheduler the trigger's buildbot backend calls (``/api/v2/forceschedulers/<name>``).
FORCE_SCHEDULER = "checkline"
#: The force form's labels, where a property's name says too little (the names stay the Job's
#: keys, Taskotron's: ``taskname`` is the check).
FORCE_LABELS = {"taskname": "taskname (the check: a folder of the checks repository)"}


def patch_log_download_hang() -> None:
    """Work around Buildbot 4.3's wedge on an aborted raw-log download.

    A client that disconnects in the middle of ``/logs/N/raw`` leaves the log-compression
    thread (a pool of ``cpu_count // 2`` threads) waiting forever for it to drain; then no build
    finishes and ``buildbot stop`` never returns. Not waiting for the backlog avoids it
    (reproduced and verified against Buildbot 4.3.0: an interrupted raw-log download, then
    ``buildbot stop`` never returned).
    """
    import buildbot.db.logs as logs

    original = logs._async_iter_on_pool
    if getattr(original, "checkline_patched", False):
        return

    def no_wait(*args: Any, **kwargs: Any) -> Any:
        kwargs["wait_backlog_consuption"] = False  # sic: Buildbot's spelling
        return original(*args, **kwargs)

    no_wait.checkline_patched = True  # type: ignore[attr-defined]
    logs._async_iter_on_pool = no_wait


class NoLogin(NoAuth):  # type: ignore[misc]
    """Buildbot's ``NoAuth``, with ``/auth/login`` answering 404 "no users" where ``NoAuth``
    raises inside Twisted's resource lookup: a 500 with a traceback in twistd.log for every
    client that tries to log in (the trigger's buildbot backend does, when given a user)."""

    def getLoginResource(self) -> Any:
        from twisted.web.pages import errorPage

        return errorPage(
            404,
            "No login",
            "This master has no users (master.toml's users): there is nothing to log in to, "
            "and the web UI is read-only to everyone.",
        )


def _www(settings: MasterSettings) -> dict[str, Any]:
    www: dict[str, Any] = {
        "port": f"tcp:{settings.www_port}:interface={settings.www_bind}",
        "plugins": {},
    }
    if settings.users:
        www["auth"] = util.UserPasswordAuth(
            {user: password.reveal() for user, password in settings.users.items()}
        )
        admins = util.RolesFromUsername(roles=["admins"], usernames=list(settings.users))
        www["authz"] = util.Authz(
            allowRules=[util.AnyControlEndpointMatcher(role="admins")],
            roleMatchers=[admins],
        )
    else:
        www["auth"] = NoLogin()
    return www


def buildmaster_config(settings: MasterSettings) -> dict[str, Any]:
    """The ``BuildmasterConfig`` dict for ``settings``."""
    patch_log_download_hang()
    arches = settings.arches
    factory = build_factory(settings)
    builders = [
        util.BuilderConfig(
            name=arch,
            workernames=[w.name for w in settings.workers if arch in w.arches],
            factory=factory,
            collapseRequests=False,
        )
        for arch in arches
    ]
    force = schedulers.ForceScheduler(
        name=FORCE_SCHEDULER,
        builderNames=arches,
        reason=util.StringParameter(name="reason", default="checkline job", size=80),
        properties=[
            util.StringParameter(name=name, label=FORCE_LABELS.get(name), default="")
            for name in JOB_PROPERTIES
        ],
    )
    return {
        "title": "Checkline",
        "titleURL": settings.buildbot_url,
        "buildbotURL": settings.buildbot_url,
        "buildbotNetUsageData": None,
        "db": {"db_url": settings.db_url},
        "protocols": {"pb": {"port": f"tcp:{settings.pb_port}:interface={settings.pb_bind}"}},
        "workers": [
            worker.Worker(w.name, w.password.reveal(), max_builds=w.max_builds)
            for w in settings.workers
        ],
        "collapseRequests": False,
        "schedulers": [force],
        "builders": builders,
        "services": [spool_flusher(settings)],
        "www": _www(settings),
    }
