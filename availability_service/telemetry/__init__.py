"""Tracing and process metrics: what an operator sees of a running server."""
