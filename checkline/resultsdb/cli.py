"""``checkline resultsdb``: serve the API, create or empty the schema."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from checkline.secrets import redact_url
from checkline.settings import SettingsError

from .config import ResultsDBSettings, load_settings

__all__ = ["resultsdb_group"]


def _settings(conf: str | None, **overrides: Any) -> ResultsDBSettings:
    try:
        return load_settings(conf, **overrides)
    except SettingsError as err:
        raise click.UsageError(str(err)) from err


@click.group("resultsdb")
def resultsdb_group() -> None:
    """The ResultsDB v2.0 service: serve it, create its schema."""


_conf = click.option(
    "--config",
    "--conf",
    "conf",
    type=click.Path(dir_okay=False),
    help="TOML settings file. Env: CHECKLINE_RESULTSDB_CONFIG.",
)
_db = click.option(
    "--db", help="Database URL (default: settings, else sqlite:///resultsdb.sqlite)."
)


@resultsdb_group.command("init-db")
@_conf
@_db
@click.option("--drop", is_flag=True, help="Drop everything first: an empty database, ids from 1.")
def init_db(conf: str | None, db: str | None, drop: bool) -> None:
    """Create the schema, or migrate it to the newest version (Alembic)."""
    from .migrate import drop as drop_schema
    from .migrate import upgrade

    settings = _settings(conf, db=db)
    if drop:
        drop_schema(settings.db)
    upgrade(settings.db)
    click.echo(f"schema ready: {redact_url(settings.db)}")


@resultsdb_group.command("import")
@_conf
@_db
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--batch",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 100000),
    help="Results stored per transaction.",
)
def import_command(conf: str | None, db: str | None, path: Path, batch: int) -> None:
    """Load PATH: results exported from another ResultsDB, one v2.0 result JSON per line.

    submit_time, groups, data, note and ref_urls are kept. Every line is checked first: one
    bad line imports nothing, and every bad line is listed with its number.
    """
    from .db import Database
    from .importer import UnimportableLines, import_results

    settings = _settings(conf, db=db)
    database = Database(settings.db)
    try:
        report = import_results(path, database, settings.outcomes, batch=batch)
    except UnimportableLines as err:
        click.echo(f"error: {path}: {err}", err=True)
        sys.exit(1)
    finally:
        database.dispose()
    rate = report.results / report.seconds if report.seconds else 0.0
    click.echo(f"imported {report.results} results in {report.seconds:.1f} s ({rate:.0f}/s)")


@resultsdb_group.command("serve")
@_conf
@_db
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=5001, show_default=True, type=int)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes.",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker.",
)
def serve(
    conf: str | None, db: str | None, host: str, port: int, workers: int, threads: int
) -> None:
    """Serve the API with gunicorn (several processes; SQLite or PostgreSQL)."""
    from gunicorn.app.base import BaseApplication

    from .app import create_app

    settings = _settings(conf, db=db)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": None,
                "errorlog": "-",
                "timeout": 60,
            }.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn >= 27 opens ~/.gunicorn/gunicorn.ctl, shared by every server.
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            # Each worker builds its own app: engines must not cross a fork.
            return create_app(settings)

    click.echo(
        f"resultsdb: serving {redact_url(settings.db)} on http://{host}:{port}/api/v2.0", err=True
    )
    Server().run()
    sys.exit(0)
