"""Publish real-shaped messages through fedora-messaging's own API (a test and bench tool).

Messages are built and validated by the schema classes, then sent with
``fedora_messaging.api.publish`` (which waits for the broker's confirm), so the consumer sees
exactly what Fedora's infrastructure would send. fedora-messaging reads its configuration once
per process, from ``FEDORA_MESSAGING_CONF``; hence a script, run once per batch::

    python tests/support/publish.py CONFIG.toml --koji NVR [NVR ...] [--bodhi ALIAS=NVR,NVR]

It prints one line per message: ``<message id> <topic>``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

PREFIX = "org.fedoraproject.prod."


def koji_build(nvr: str, build_id: int = 1, *, prefix: str = PREFIX, **overrides: Any) -> Any:
    """A Koji build that reached COMPLETE on the primary instance; ``overrides`` replace body
    keys (``owner``, ``request``...). ``prefix=""`` leaves the topic bare, for a publisher
    that adds its own prefix."""
    from koji_fedoramessaging_messages.build import BuildStateChangeV1

    name, version, release = nvr.rsplit("-", 2)
    return BuildStateChangeV1(
        topic=prefix + "buildsys.build.state.change",
        body={
            "build_id": build_id,
            "name": name,
            "version": version,
            "release": release,
            "epoch": None,
            "attribute": "state",
            "old": 0,
            "new": 1,
            "owner": "packager",
            "instance": "primary",
            "task_id": 1000 + build_id,
            "request": [f"git+https://src.fedoraproject.org/rpms/{name}#0abc", "f40", {}],
            "creation_time": "2040-01-01T10:00:00+00:00",
            "completion_time": None,
            "task": {
                "id": 1000 + build_id,
                "method": "build",
                "host_id": None,
                "arch": "noarch",
                "result": None,
            },
            **overrides,
        },
    )


def bodhi_update(alias: str, nvrs: list[str]) -> Any:
    from bodhi.messages.schemas.update import UpdateReadyForTestingV3

    update = {
        "alias": alias,
        "builds": [{"nvr": nvr} for nvr in nvrs],
        "user": {"name": "packager"},
        "status": "pending",
        "request": "testing",
        "release": {"name": "F40"},
    }
    builds = [
        {"type": "koji-build", "id": n, "task_id": n, "nvr": nvr} for n, nvr in enumerate(nvrs)
    ]
    return UpdateReadyForTestingV3(
        topic=PREFIX + "bodhi.update.status.testing.koji-build-group.build.complete",
        body={
            "agent": "bodhi",
            "update": update,
            "artifact": {"type": "koji-build-group", "builds": builds},
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="fedora-messaging TOML (amqp_url)")
    parser.add_argument("--koji", nargs="*", default=[], metavar="NVR")
    parser.add_argument("--bodhi", nargs="*", default=[], metavar="ALIAS=NVR,NVR")
    args = parser.parse_args()
    os.environ["FEDORA_MESSAGING_CONF"] = args.config
    from fedora_messaging import api

    messages = [koji_build(nvr, n) for n, nvr in enumerate(args.koji, start=1)]
    for spec in args.bodhi:
        alias, _, nvrs = spec.partition("=")
        messages.append(bodhi_update(alias, [n for n in nvrs.split(",") if n]))
    for message in messages:
        message.validate()
        api.publish(message)
        print(message.id, message.topic, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
