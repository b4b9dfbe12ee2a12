"""Offline stand-ins for Koji, Bodhi and dist-git: TEST TOOLS, not part of Checkline.

They exist so that the koji and bodhi directives and the checks built on them can be run
here, where the real Fedora services cannot be reached, with the real client libraries
(``koji.ClientSession``, ``requests``) talking to real HTTP servers on 127.0.0.1. They are
not installed with Checkline (``pyproject.toml`` packages only the product) and are never
used by product code.

* ``rpms``: builds real RPMs with ``rpmbuild`` from the spec files in ``specs/`` and lays
  them out as Koji does (``packages/<name>/<version>/<release>/<arch>/<nvr>.<arch>.rpm``).
* ``koji``: a Koji hub stand-in (the XML-RPC calls the directives make) that also serves
  the files, with fault injection for tests (cut connections, corrupt files, 5xx answers).
* ``bodhi``: a Bodhi stand-in serving ``GET /updates/<alias>`` in Bodhi's JSON shape.
* ``distgit``: a dist-git stand-in serving Pagure's raw file URLs over a directory.

From a shell (as the offline demo, a later issue, will)::

    python -m tests.standins.koji --root /tmp/koji --build-rpms --port 8081
    python -m tests.standins.bodhi --port 8082 --update FEDORA-2024-0001=checkline-clean-1.0-1.fc40
    python -m tests.standins.distgit --root /tmp/distgit --populate --port 8083
"""
