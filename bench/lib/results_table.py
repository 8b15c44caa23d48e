"""Turns the hyperfine JSON of one benchmark run into the markdown table of results.md.

Usage: results_table.py OUT_DIR
Reads OUT_DIR/manifest.tsv (one comparison a line: directory, case, peer, target ratio; written
by compare's `compare`) and OUT_DIR/measurements.tsv (one command of runbook alone a line:
directory, case, name, size, unit, time and memory targets, peak RSS in KB; written by
`measure`), pools the times of every round-*.json in each directory, and prints markdown on
stdout, followed by OUT_DIR/environment.txt.
"""

import json
import statistics
import sys
from pathlib import Path

HEADER = (
    "| case | runbook median | runbook min – max | peer | peer median | peer min – max "
    "| runs each | ratio runbook/peer | target |\n"
    "|---|---:|---:|---|---:|---:|---:|---:|---|"
)


def seconds(value: float) -> str:
    """A duration with three significant figures, in ms below one second."""
    if value < 1:
        return f"{value * 1000:.3g} ms"
    return f"{value:.3g} s"


def pooled_times(directory: Path) -> dict[str, list[float]]:
    """Every timed run of every round, by command name."""
    times: dict[str, list[float]] = {}
    for round_file in sorted(directory.glob("round-*.json")):
        for result in json.loads(round_file.read_text(encoding="utf-8"))["results"]:
            times.setdefault(result["command"], []).extend(result["times"])
    return times


def mean_cpu(directory: Path, command: str) -> float:
    """User + system CPU time per run, averaged over the rounds (hyperfine gives a mean each)."""
    rounds = []
    for round_file in sorted(directory.glob("round-*.json")):
        for result in json.loads(round_file.read_text(encoding="utf-8"))["results"]:
            if result["command"] == command:
                rounds.append(result["user"] + result["system"])
    return statistics.mean(rounds)


MEASUREMENT_HEADER = (
    "| case | command | median | min – max | CPU (user + sys), mean | runs | peak RSS | per unit "
    "| target |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---|"
)


def summary(times: list[float]) -> tuple[float, str]:
    """The median, and "min – max"."""
    return statistics.median(times), f"{seconds(min(times))} – {seconds(max(times))}"


def verdict(ratio: float, target: str) -> str:
    """`≤ 0.8 ✅` when the ratio meets the target, `≤ 0.8 ❌` when it misses it."""
    if target in ("", "-"):
        return "–"
    limit = float(target.lstrip("≤<= "))
    return f"{target} {'✅' if ratio <= limit else '❌'}"


def figure(value: float) -> str:
    """Three significant figures, without an exponent."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


# The units whose cost is a time per unit, and the scale each is shown in.
TIME_UNITS = {"step": ("µs", 1e6), "host": ("ms", 1e3)}


def per_unit(median: float, size: str, unit: str) -> str:
    """The time per step or host, or the throughput in MB/s of a file of `size` bytes."""
    if unit in TIME_UNITS:
        symbol, scale = TIME_UNITS[unit]
        return f"{figure(median / int(size) * scale)} {symbol}/{unit}"
    if unit == "byte":
        return f"{figure(int(size) / median / 1e6)} MB/s"
    return "–"


def limits(median: float, rss_mb: float, target_s: str, target_mb: str) -> str:
    """`< 0.5 s ✅, < 100 MB ❌` for the limits set, or `–`."""
    checks = []
    if target_s != "-":
        checks.append(f"< {target_s} s {'✅' if median < float(target_s) else '❌'}")
    if target_mb != "-":
        checks.append(f"< {target_mb} MB {'✅' if rss_mb < float(target_mb) else '❌'}")
    return ", ".join(checks) or "–"


def growth(rows: list[tuple[str, str, int, float]]) -> list[str]:
    """For each case measured per step or host: how the time per unit moves from one size to
    the next (linear growth keeps it about level once start-up no longer dominates)."""
    lines = []
    cases = dict.fromkeys((case, unit) for case, unit, _, _ in rows)
    for case, unit in cases:
        sizes = [(size, median) for c, u, size, median in rows if (c, u) == (case, unit)]
        if len(sizes) < 2:
            continue
        symbol, scale = TIME_UNITS[unit]
        counts = " → ".join(f"{size:,}" for size, _ in sizes)
        per = " → ".join(figure(median / size * scale) for size, median in sizes)
        lines.append(f"* {case}: {counts} {unit}s, {per} {symbol} of wall-clock time per {unit}.")
    return lines


def measurements(out: Path) -> list[str]:
    """The second table: runbook alone, time, peak memory and the derived unit cost."""
    path = out / "measurements.tsv"
    if not path.exists():
        return []
    rows = [MEASUREMENT_HEADER]
    timed_per_unit = []
    for line in path.read_text(encoding="utf-8").splitlines():
        directory, case, name, size, unit, target_s, target_mb, rss_kb = line.split("\t")
        times = pooled_times(out / directory)[name]
        median, span = summary(times)
        cpu = mean_cpu(out / directory, name)
        rss_mb = int(rss_kb) / 1024
        rows.append(
            f"| {case} | {name} | {seconds(median)} | {span} | {seconds(cpu)} | {len(times)} "
            f"| {rss_mb:.3g} MB "
            f"| {per_unit(median, size, unit)} | {limits(median, rss_mb, target_s, target_mb)} |"
        )
        if unit in TIME_UNITS:
            timed_per_unit.append((case, unit, int(size), median))
    lines = ["", "Measured alone (time: hyperfine; peak RSS: GNU time, median of 3 runs):", ""]
    lines += rows
    if timed_per_unit:
        lines += ["", "Growth with the number of steps or hosts:", ""] + growth(timed_per_unit)
    return lines


def main() -> None:
    out = Path(sys.argv[1])
    rows = [HEADER]
    for line in (out / "manifest.tsv").read_text(encoding="utf-8").splitlines():
        directory, case, peer, target = line.split("\t")
        times = pooled_times(out / directory)
        runbook_median, runbook_span = summary(times["runbook"])
        peer_median, peer_span = summary(times[peer])
        ratio = runbook_median / peer_median
        rows.append(
            f"| {case} | {seconds(runbook_median)} | {runbook_span} | {peer} "
            f"| {seconds(peer_median)} | {peer_span} | {len(times['runbook'])} "
            f"| **{ratio:.2f}** | {verdict(ratio, target)} |"
        )
    rows += measurements(out)
    # Figures a case family measures outside hyperfine (the size of a journal), one per line.
    notes = out / "notes.md"
    if notes.exists():
        rows += ["", notes.read_text(encoding="utf-8").rstrip()]
    print("\n".join(rows))
    environment = out / "environment.txt"
    if environment.exists():
        print()
        print(environment.read_text(encoding="utf-8").rstrip())


if __name__ == "__main__":
    main()
