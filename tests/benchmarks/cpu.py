"""Where the two cores went during a load run: the server's processes, and the machine.

Linux /proc only. The share of the machine that was idle says whether a scenario could have
gone faster at all: a second worker cannot add throughput the cores do not have.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.processes import child_pids

_TICKS = os.sysconf("SC_CLK_TCK")


def _process_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _machine() -> tuple[float, float]:
    """(busy, total) jiffies of every core since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@contextmanager
def cpu_meter(server_pid: int, out: dict[str, Any]) -> Iterator[None]:
    """Fills `out` with the server's CPU (its process and workers, in cores) and the whole
    machine's busy share over the block."""
    pids = [server_pid, *child_pids(server_pid)]
    before = {pid: _process_seconds(pid) for pid in pids}
    busy0, total0 = _machine()
    started = time.monotonic()
    yield
    wall = time.monotonic() - started
    busy1, total1 = _machine()
    used = sum(_process_seconds(pid) - before[pid] for pid in pids)
    out["server_cores"] = round(used / wall, 2) if wall else None
    out["machine_busy"] = round((busy1 - busy0) / (total1 - total0), 2) if total1 > total0 else None
    out["cpus"] = len(os.sched_getaffinity(0))
