"""Trigger: bus messages to recorded, scheduled jobs (arrives with the trigger issue)."""
