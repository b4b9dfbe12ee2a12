"""``checkline stack``: every part of the pipeline started on one machine (``parts``), with
its settings (``settings``) and commands (``cli``); the artifacts served (``artifacts_server``).
"""
