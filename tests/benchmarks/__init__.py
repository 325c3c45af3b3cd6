"""Benchmark harness: every hot path measured against its own limit in the same run (issue 8).

Run with `make bench` or `python -m tests.benchmarks.run [--quick] [--out DIR]`; see
docs/performance.md. Not collected by pytest (no test_*.py files here).
"""
