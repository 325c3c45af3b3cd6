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
    if status is None:
        return "not run"  # a run with --only leaves the other scenarios out
    return None if status == "measured" else f"{status}: {result.get('detail', '')}"[:160]


def search_rows(search: dict[str, Any]) -> list[Row]:
    """Issue 15's search goals: each shape's latency, throughput and exactness, ListSimilar."""
    if (skip := _cell(search)) or not search:
        return [("3. SearchAvailabilities", "p50 <= 50 ms, exact", "-", "-", skip or "not run")]
    n = f"{search['lots']:,} lots"
    rows: list[Row] = [
        (
            f"3. Search data set ({n})",
            "-",
            f"loaded in {search['load_total_s']} s",
            f"{search['load_s']}; {search['data_set']}"
            + (
                "; served with AVAILABILITY_SEARCH_MEMORY=true"
                if search.get("search_memory")
                else ""
            ),
            "-",
        )
    ]
    for shape, r in search["shapes"].items():
        rows += [
            (
                f"3{shape[0]}. Search {shape} p50 (c=1)",
                "<= 50 ms",
                f"{r['p50_ms']} ms",
                f"{r['queries']} queries, mean {r['mean_ms']} ms",
                _status(r["p50_ms"], 50, False),
            ),
            (
                f"3{shape[0]}. Search {shape} p99 (c=1)",
                "<= 150 ms",
                f"{r['p99_ms']} ms",
                "",
                _status(r["p99_ms"], 150, False),
            ),
            (
                f"3{shape[0]}. Search {shape} throughput (c=8)",
                "reported",
                f"{r['rps_c8']} req/s",
                "",
                "-",
            ),
            (
                f"3{shape[0]}. Search {shape} recall@10 vs brute force",
                "1.0 (floor)",
                f"{r['recall_at_10']}",
                f"lowest of {r['samples']} sampled queries",
                _status(r["recall_at_10"], 1.0),
            ),
            (
                f"3{shape[0]}. Search {shape} identical pages",
                "1.0",
                f"{r['identical_rate']}",
                f"same lots, order and scores; brute force {r['brute_force_s_each']} s each",
                _status(r["identical_rate"], 1.0),
            ),
        ]
    similar = search.get("similar", {})
    if similar:
        rows += [
            (
                "3s. ListSimilar p50 (c=1)",
                "<= 20 ms",
                f"{similar['p50_ms']} ms",
                f"{similar['calls']} calls, p99 {similar['p99_ms']} ms",
                _status(similar["p50_ms"], 20, False),
            ),
            (
                "3s. ListSimilar recall@10 vs exact",
                ">= 0.95",
                f"{similar['recall_at_10']}",
                f"lowest {similar['min_recall_at_10']}",
                _status(similar["recall_at_10"], 0.95),
            ),
        ]
    return rows


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
                f"{get['service']['ok_rps']} vs {get['echo']['ok_rps']} req/s in the median"
                f" round{_spread(get.get('get_vs_echo_rounds'))}; the sweep's runs minutes"
                f" apart: {get.get('get_vs_echo_sweep')}",
                _status(get["get_vs_echo"], 0.5),
            )
        )
        rows.append(
            (
                "6. serve --workers 2 vs 1 (GetAvailability)",
                ">= 1.6",
                f"{get['workers_2_vs_1']}",
                f"{get['service_2_workers']['ok_rps']} vs "
                f"{get['service_1_worker_again']['ok_rps']} req/s in the median round"
                f"{_spread(get.get('workers_2_vs_1_rounds'))}; the bare echo with two processes"
                f" vs one in the same rounds: {_listed(get.get('echo_2_vs_1_rounds'))}"
                f"{_cores(get)}",
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
                f"{create['service']['ok_rps']} vs {create['sql']['ok_rps']} tx/s in the median"
                f" round{_spread(create.get('create_vs_sql_rounds'))}; SQL runs between the"
                f" rounds: {_listed(create.get('sql_runs_ok_rps'))} tx/s",
                _status(create["create_vs_sql"], 0.5),
            )
        )
        if "create_2_workers_vs_sql" in create:
            rows.append(
                (
                    f"2. CreateAvailability vs SQL, serve --workers 2 (c={create['concurrency']})",
                    ">= 0.5",
                    f"{create['create_2_workers_vs_sql']}",
                    f"{create['service_2_workers']['ok_rps']} vs"
                    f" {create['sql_2_workers']['ok_rps']} tx/s in the median round"
                    f"{_spread(create.get('create_2_workers_vs_sql_rounds'))}"
                    f"{_cores(create)}",
                    _status(create["create_2_workers_vs_sql"], 0.5),
                )
            )
    rows += search_rows(results.get("search", {}))
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
                f"{watch['deliveries']}/{watch['expected_deliveries']} delivered; writer "
                f"(another process) offered {watch.get('offered_events_per_s')} /s",
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
    rows += _standing_start_rows(results.get("standing_start", {}))
    return rows


def _standing_rows(standing: dict[str, Any]) -> list[Row]:
    """Issue 16: delivery delay and memory of standing searches (reported, no ratio)."""
    if (skip := _cell(standing)) or not standing:
        return [("16. WatchSearch standing searches", "report", "-", "-", skip or "not run")]
    load = (
        f"{standing['standing_searches']} searches over {standing['commodities']} commodities, "
        f"{standing['changes_per_s_written']} changes/s written, "
        f"{standing.get('changes_per_s_followed', '-')}/s followed; p50 by third of the writes "
        f"{standing.get('delay_p50_ms_by_third', '-')} ms; {standing['deliveries']} deliveries, "
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


def _standing_start_rows(start: dict[str, Any]) -> list[Row]:
    """Issue 16: the 1,000 standing searches opened at once, on an empty and a large market."""
    if (skip := _cell(start)) or not start:
        return [("16. Standing searches starting at once", "report", "-", "-", skip or "not run")]
    rows: list[Row] = []
    for key, market in (("empty_market", "an empty market"), ("large_market", None)):
        side = start.get(key)
        if not side:
            continue
        where = market or f"a {start.get('market_lots', '?'):,} lot market"
        rows.append(
            (
                f"16. {start['standing_searches']} standing searches starting at once on {where}",
                "report",
                f"p50 {side['start_p50_ms']} ms, p99 {side['start_p99_ms']} ms",
                f"{side['started']} started, errors {side['stream_errors'] or 'none'}; RSS "
                f"{side['rss_before_mb']} -> peak {side['rss_peak_mb']} -> "
                f"{side['rss_open_mb']} MB open",
                "reported",
            )
        )
    return rows


def replica_rows(results: dict[str, Any]) -> list[Row]:
    """Issue 18: reported, no goal (primary and standby share this machine's cores)."""
    rep = results.get("replicas", {})
    if (skip := _cell(rep)) or not rep:
        return [("7. Search, primary + standby vs primary", "report", "-", "-", skip or "not run")]
    alone, paired = rep["primary_only"], rep["primary_and_standby"]
    return [
        (
            f"7. Search, primary + standby vs primary (c={rep['concurrency']})",
            "report",
            f"{rep['search_rps_ratio']}",
            f"{paired['search_ok_rps']} vs {alone['search_ok_rps']} req/s; "
            f"{rep['share_of_reads_on_standby']} of reads on the standby",
            "reported",
        ),
        (
            "7. Read-your-writes Get after a create",
            "report",
            f"p50 {paired['ryw_get_p50_ms']} vs {alone['ryw_get_p50_ms']} ms",
            f"p99 {paired['ryw_get_p99_ms']} vs {alone['ryw_get_p99_ms']} ms",
            "reported",
        ),
    ]


def _listed(values: list[Any] | None) -> str:
    return ", ".join(str(v) for v in values or ()) or "-"


def _spread(rounds: list[Any] | None) -> str:
    """Every alternating round's ratio, beside the median the row reports."""
    return f" (rounds: {_listed(rounds)})" if rounds else ""


def _cores(scenario: dict[str, Any]) -> str:
    """Where the cores went with one worker and with two, in the median round (a process runs
    its Python under one GIL; the client and PostgreSQL's backends take the rest)."""
    cpu = scenario.get("cpu")
    if not cpu:
        return ""
    one, two = cpu["service_1_worker"], cpu["service_2_workers"]
    return (
        f"; server used {one['server_cores']} (one worker) vs {two['server_cores']} cores,"
        f" machine busy {one['machine_busy']:.0%} vs {two['machine_busy']:.0%}"
        f" of {two['cpus']} CPUs"
    )


def _merged(meta: dict[str, Any]) -> str:
    """A `--merge` run names the scenarios it ran and the oldest run the other rows are from."""
    if "merged_into" not in meta:
        return ""
    oldest = meta["merged_into"]
    while "merged_into" in oldest:
        oldest = oldest["merged_into"]
    only = ",".join(meta.get("only") or ()) or "some scenarios"
    return (
        f"; `--only {only} --merge`: every other row kept from earlier runs, the oldest from"
        f" {oldest['started']} ({oldest['mode']} mode, {oldest['elapsed_s']} s)"
    )


def markdown(document: dict[str, Any]) -> str:
    meta = document["meta"]
    lines = [
        f"Run {meta['started']} ({meta['mode']} mode, {meta['elapsed_s']} s{_merged(meta)}), "
        f"{meta['machine']}, load generator: {meta['load_generator']}.",
        "",
        "| target | goal | measured | detail | status |",
        "|---|---|---|---|---|",
    ]
    for row in target_rows(document["results"]) + replica_rows(document["results"]):
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
