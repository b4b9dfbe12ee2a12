"""Checkline's implementation of Taskotron's check API, shared by ``libtaskotron`` and ``checkb``.

This folder's parent (``runner/taskapi/``) is put on ``sys.path`` (and ``PYTHONPATH``) of the
check code the ``python`` directive runs, and of nothing else: Checkline's own interpreter never
imports these names. ``python3 -m _checkline_taskapi`` (with that folder on ``PYTHONPATH``) runs
a self-check of both names under any interpreter.
"""
