"""The garbage collector of a serving process: start-up objects frozen, young collections rarer.

A server process allocates many short-lived objects per request and per watch event (tuples,
dataclasses, protobuf wrappers), and CPython runs a young-generation collection every 700
net allocations; each one that survives promotes, and every tenth older collection walks the
whole heap, including the hundreds of thousands of objects built at start-up (modules,
catalog, SQLAlchemy metadata, generated protobuf classes) that live as long as the process.
Freezing those after start-up takes them out of every later collection, and a larger first
threshold makes the collections fewer (each a little longer): measured with 1,000 standing
searches, the collector went from about a tenth of the event loop to a few percent
(docs/performance.md). Reference cycles are still collected; memory grows only by the
young generation's larger bound.
"""

from __future__ import annotations

import gc


def tune_collector(gen0_threshold: int) -> None:
    """Freezes what start-up built and sets the young generation's threshold; 0 leaves the
    interpreter's defaults (no freeze) for comparison."""
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(gen0_threshold, older, oldest)
