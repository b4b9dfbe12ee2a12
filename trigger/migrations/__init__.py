"""Alembic migrations of the trigger's ledger (``trigger.ledger.migrate``)."""
