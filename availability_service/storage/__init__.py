"""Postgres adapters: tables, queries, the event store and the embedded server."""
