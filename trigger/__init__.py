"""Trigger: bus messages -> Events -> Jobs, recorded in a ledger, submitted to a backend.

adapters (Message -> Event), query + rules (Event -> [Job]), ledger (record, dedup, status),
backends (none, local, buildbot), dispatch (submit in order, reconcile), consumer (the
fedora-messaging callback), cli (``checkline trigger``, ``checkline jobs``).
"""
