"""results.md (one row per target, met or missed and by how much) and PNG plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str, str]


def _status(value: float | None, goal: float, higher_is_better: bool = True) -> str:
    if value is None:
        return "n/a"
    met = value >= goal if higher_is_better else value <= goal
    if met:
        return "met"
    missed = (goal - value) / goal if higher_is_better else (value - goal) / goal
    return f"missed by {missed:.0%}"


def _cell(result: dict[str, Any]) -> str | None:
    """'not built' / 'error' rows have no numbers."""
    status = result.get("status")
    return None if status == "measured" else f"{status}: {result.get('detail', '')}"[:160]


def target_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    get = results.get("get_and_workers", {})
    if (skip := _cell(get)) or not get:
        rows.append(("1. GetAvailability vs bare echo", ">= 0.5", "-", "-", skip or "not run"))
        rows.append(("6. serve --workers 2 vs 1", ">= 1.6", "-", "-", skip or "not run"))
    else:
        rows.append(
            (
                f"1. GetAvailability vs bare echo (c={get['concurrency']})",
                ">= 0.5",
                f"{get['get_vs_echo']}",
                f"{get['service']['ok_rps']} vs {get['echo']['ok_rps']} req/s",
                _status(get["get_vs_echo"], 0.5),
            )
        )
        rows.append(
            (
                "6. serve --workers 2 vs 1 (GetAvailability)",
                ">= 1.6",
                f"{get['workers_2_vs_1']}",
                f"{get['service_2_workers']['ok_rps']} vs "
                f"{get['service']['ok_rps']} req/s (echo: {get['echo_2_workers']['ok_rps']}"
                f" vs {get['echo']['ok_rps']})",
                _status(get["workers_2_vs_1"], 1.6),
            )
        )
    create = results.get("create", {})
    if (skip := _cell(create)) or not create:
        rows.append(("2. CreateAvailability vs SQL", ">= 0.5", "-", "-", skip or "not run"))
    else:
        rows.append(
            (
                f"2. CreateAvailability vs SQL (c={create['concurrency']})",
                ">= 0.5",
                f"{create['create_vs_sql']}",
                f"{create['service']['ok_rps']} vs {create['sql']['ok_rps']} tx/s",
                _status(create["create_vs_sql"], 0.5),
            )
        )
    search = results.get("search", {})
    if (skip := _cell(search)) or not search:
        rows.append(
            (
                "3. SearchAvailabilities vs raw SQL",
                "<= 1.5 x, recall >= 0.95",
                "-",
                "-",
                skip or "not run",
            )
        )
    else:
        n = search["lots"]
        rows.append(
            (
                f"3. Search p50 vs SQL ({n} lots)",
                "<= 1.5",
                f"{search['p50_vs_sql']}",
                f"{search['service_p50']} vs {search['sql_p50']} ms",
                _status(search["p50_vs_sql"], 1.5, False),
            )
        )
        rows.append(
            (
                f"3. Search p99 vs SQL ({n} lots)",
                "<= 1.5",
                f"{search['p99_vs_sql']}",
                f"{search['service_p99']} vs {search['sql_p99']} ms",
                _status(search["p99_vs_sql"], 1.5, False),
            )
        )
        rows.append(
            (
                f"3. Search recall@10 ({n} lots)",
                ">= 0.95",
                f"{search['service_recall_at_10']}",
                f"raw HNSW SQL: {search['sql_hnsw_recall_at_10']}; exact top-10 size "
                f"{search['exact_top10_size']}",
                _status(search["service_recall_at_10"], 0.95),
            )
        )
    hold = results.get("reserve", {})
    if (skip := _cell(hold)) or not hold:
        rows.append(
            (
                "4. ReserveAvailability vs pgbench",
                ">= 0.5, no oversell",
                "-",
                "-",
                skip or "not run",
            )
        )
    else:
        check = hold["oversell_check"]
        rows.append(
            (
                "4. Reserve: oversell on one lot",
                "0",
                "0" if not check["oversold"] else "OVERSOLD",
                f"{check['granted']} of {check['attempts']} granted, stock {check['stock']}",
                "met" if not check["oversold"] else "MISSED",
            )
        )
        rows.append(
            (
                f"4. Reserve vs pgbench (c={hold['concurrency']}, one hot lot)",
                ">= 0.5",
                f"{hold['reserve_vs_sql']}",
                f"{hold['service']['ok_rps']} vs {hold['sql']['ok_rps']} tx/s",
                _status(hold["reserve_vs_sql"], 0.5),
            )
        )
    watch = results.get("watch", {})
    if (skip := _cell(watch)) or not watch:
        rows.append(("5. WatchAvailabilities", ">= 0.5 x bare stream", "-", "-", skip or "not run"))
    else:
        rows.append(
            (
                f"5. Watch delivered events/s vs bare ({watch['watchers']} watchers)",
                ">= 0.5",
                f"{watch['delivered_vs_bare']}",
                f"{watch['delivered_events_per_s']} vs {watch['bare_events_per_s']} /s; "
                f"{watch['deliveries']}/{watch['expected_deliveries']} delivered",
                _status(watch["delivered_vs_bare"], 0.5),
            )
        )
        rows.append(
            (
                "5. Watch commit-to-delivery delay",
                "report",
                f"p50 {watch['delay_p50_ms']} ms, p99 {watch['delay_p99_ms']} ms",
                "",
                "reported",
            )
        )
        rows.append(
            (
                "5. Memory per idle watcher",
                "report",
                f"{watch['kb_per_idle_watcher']} KB",
                f"RSS {watch['rss_before_mb']} -> {watch['rss_idle_mb']} MB",
                "reported",
            )
        )
    rows += _standing_rows(results.get("standing_search", {}))
    return rows


def _standing_rows(standing: dict[str, Any]) -> list[tuple[str, ...]]:
    """Issue 16: delivery delay and memory of standing searches (reported, no ratio)."""
    if (skip := _cell(standing)) or not standing:
        return [("16. WatchSearch standing searches", "report", "-", "-", skip or "not run")]
    load = (
        f"{standing['standing_searches']} searches over {standing['commodities']} commodities, "
        f"{standing['changes_per_s_written']} changes/s; {standing['deliveries']} deliveries, "
        f"errors {standing['stream_errors'] or 'none'}"
    )
    return [
        (
            "16. Standing search commit-to-delivery delay",
            "report",
            f"p50 {standing['delay_p50_ms']} ms, p99 {standing['delay_p99_ms']} ms",
            load,
            "reported",
        ),
        (
            "16. Memory per standing search",
            "report",
            f"{standing['kb_per_standing_search']} KB",
            f"RSS {standing['rss_before_mb']} -> {standing['rss_with_searches_mb']} MB",
            "reported",
        ),
    ]


def markdown(document: dict[str, Any]) -> str:
    meta = document["meta"]
    lines = [
        f"Run {meta['started']} ({meta['mode']} mode, {meta['elapsed_s']} s), "
        f"{meta['machine']}, load generator: {meta['load_generator']}.",
        "",
        "| target | goal | measured | detail | status |",
        "|---|---|---|---|---|",
    ]
    for row in target_rows(document["results"]):
        lines.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in row) + " |")
    return "\n".join(lines) + "\n"


def plots(out: Path, series: dict[str, Any]) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[bench] matplotlib not installed (pip install '.[bench]'): no plots")
        return []
    written = []
    sweep = series.get("get_sweep")
    if sweep:
        fig, ax = plt.subplots(figsize=(6, 4))
        for label, points in sweep.items():
            ax.plot(
                [p["concurrency"] for p in points],
                [p["ok_rps"] for p in points],
                marker="o",
                label=f"GetAvailability: {label}",
            )
        ax.set(
            xscale="log",
            xlabel="concurrent requests",
            ylabel="successful calls/s",
            title="Throughput against concurrency (1 worker)",
        )
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "throughput.png", dpi=100)
        plt.close(fig)
        written.append("throughput.png")
    panels = [
        (k, v)
        for k, v in series.items()
        if k in ("create", "reserve", "search", "watch", "standing")
    ]
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.5), squeeze=False)
        for ax, (name, data) in zip(axes[0], panels, strict=True):
            for label, values in data.items():
                if values:
                    ax.hist(values, bins=40, alpha=0.6, label=label)
            ax.set(title=name, xlabel="ms", ylabel="calls")
            ax.legend()
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=100)
        plt.close(fig)
        written.append("latency.png")
    return written


def write(out: Path, document: dict[str, Any], series: dict[str, Any]) -> None:
    text = markdown(document)
    images = plots(out, series)
    text += "".join(f"\n![{name}]({name})\n" for name in images)
    (out / "results.md").write_text(text)
