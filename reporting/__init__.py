"""Reporting: verdicts as text (TAP13, Taskotron's ResultYAML) and, later, ResultsDB results.

A *verdict* is a plain dict: ``item``, ``type``, ``outcome`` (see ``checkline.outcomes``) and
optionally ``checkname``, ``summary``, ``details: {output}``, ``arch``, ``artifact`` and free
keys. ``tap`` and ``resultyaml`` convert between verdicts and text; ``parse`` tells them apart.
"""
