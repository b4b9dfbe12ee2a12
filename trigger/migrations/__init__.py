"""Alembic migrations of the trigger's ledger (``checkline.trigger.ledger.migrate``)."""
