"""The watch stream: one hub per process fans events out to per-RPC streams.

See docs/watch.md.
"""
