"""The runner: a formula (Taskotron's ``runtask.yml``) plus a runner input dict become a run.

Flow: ``job.RunInput`` (the input dict, checked) -> ``formula.load_plan`` (the whole formula
validated, nothing run) -> ``executor.execute`` (actions run by directives) -> the run
directory ``<artifacts root>/<uuid>/`` with ``results.tap``, ``execution.json``, ``runner.log`` and
one log per action. ``api.run_job`` does all of it from plain dicts.
"""
