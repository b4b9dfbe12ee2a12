"""Schema management with Alembic: create or upgrade (``upgrade``), empty (``drop``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from .db import make_engine
from .schema import metadata

__all__ = ["alembic_config", "drop", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # '%' would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Create the schema, or migrate it to the newest revision."""
    command.upgrade(alembic_config(url), "head")


def drop(url: str) -> None:
    """Drop every table, Alembic's own included, so that ids restart at 1."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            if inspect(conn).has_table("alembic_version"):
                conn.exec_driver_sql("DROP TABLE alembic_version")
    finally:
        engine.dispose()
