"""Tables and the results file: every benchmark reports rows of figure, baseline (same run) and their ratio."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    """One line of a table. ``met`` is None when the row is informational (no goal)."""

    metric: str
    figure: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    goal: str = ""
    met: bool | None = None
    note: str = ""
    ratio_inverse: bool = False  # True: ratio is baseline / figure (e.g. "× faster"), not figure / baseline

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline or not self.figure:
            return None
        return self.baseline / self.figure if self.ratio_inverse else self.figure / self.baseline


@dataclass
class BenchResult:
    """One benchmark's table plus whatever details explain it (kept in the JSON file)."""

    name: str
    title: str
    rows: list[Row]
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def met(self) -> bool:
        return all(row.met is not False for row in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "met": self.met,
            "seconds": round(self.seconds, 1),
            "rows": [{**asdict(row), "ratio": _round(row.ratio)} for row in self.rows],
            "notes": self.notes,
            "details": self.details,
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def fmt(value: float | None, unit: str = "") -> str:
    """Numbers as people read them: 3 significant digits, thousands grouped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    magnitude = abs(value)
    if isinstance(value, int) or (magnitude >= 1000 and float(value).is_integer()):
        text = f"{int(value):,}"
    elif magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text}{unit}" if unit == "×" else f"{text} {unit}".rstrip()


def render(result: BenchResult) -> str:
    """The table as text (also valid Markdown, so the README can show it verbatim)."""
    header = ("metric", "figure", "baseline (same run)", "ratio", "goal", "met")
    lines = []
    for row in result.rows:
        baseline = fmt(row.baseline, row.unit) + (f" ({row.baseline_label})" if row.baseline_label else "")
        met = "–" if row.met is None else ("yes" if row.met else "NO")
        ratio = row.ratio
        lines.append((row.metric, fmt(row.figure, row.unit), baseline if row.baseline is not None else "–",
                      "–" if ratio is None else f"{ratio:.2f}×", row.goal or "–", met))  # fmt: skip
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    out = [f"### {result.title}", "", line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(cells) for cells in lines]
    out += [f"- {note}" for note in result.notes]
    return "\n".join(out)


def machine_facts() -> dict[str, Any]:
    """CPU model, cores, memory, OS and Python: figures mean little without them."""
    cpu = platform.processor() or platform.machine()
    info: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = text.partition(":")
            info.setdefault(key.strip(), value.strip())
    if info.get("model name"):
        cpu = info["model name"]
        if info.get("cpu family") and info.get("model"):
            cpu += f" (family {info['cpu family']}, model {info['model']})"
        if "hypervisor" in info.get("flags", "").split():
            cpu += ", virtualised"
    mem_gb = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "python_impl": platform.python_implementation(),
        "load_average": load,
    }


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, timeout=5,
            cwd=RESULTS_DIR.parent,
        )  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, timeout=5,
                               cwd=RESULTS_DIR.parent).stdout.strip()  # fmt: skip
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def save(results: list[BenchResult], options: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    """Write ``<timestamp>.json`` and ``latest.json`` (the same content); return the timestamped path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    document = {
        "timestamp": stamp,
        "machine": machine_facts(),
        "load_average_at_start": options.get("load_average_at_start"),
        "commit": git_commit(),
        "argv": sys.argv[1:],
        "options": options,
        "met": all(result.met for result in results),
        "benchmarks": {result.name: result.to_dict() for result in results},
    }
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    path = directory / f"{stamp}.json"
    path.write_text(text, encoding="utf-8")
    (directory / "latest.json").write_text(text, encoding="utf-8")
    return path


def summary_markdown(document: dict[str, Any]) -> str:
    """The goal rows of every benchmark in one Markdown table, with the machine: what the README shows."""
    m = document["machine"]
    lines = [
        f"Run {document['timestamp']} (commit {document.get('commit')}) on {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gb']} GB, {m['os']}, Python {m['python']}; load average at start "
        f"{document.get('load_average_at_start')}."
        + (
            f" The function and its baselines ran from {runtime}."
            if (runtime := document["options"].get("runtime"))
            else ""
        ),
        "",
        "| benchmark | metric | figure | baseline (same run) | ratio | goal | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in document["benchmarks"].values():
        for row in result["rows"]:
            if not row["goal"]:
                continue
            baseline = fmt(row["baseline"], row["unit"]) if row["baseline"] is not None else "–"
            if row["baseline_label"] and row["baseline"] is not None:
                baseline += f" ({row['baseline_label']})"
            ratio = "–" if row["ratio"] is None else f"{row['ratio']:.2f}×"
            met = "yes" if row["met"] else "NO"
            title = result["title"].split(" — ")[0]
            lines.append(
                f"| {title} | {row['metric']} | {fmt(row['figure'], row['unit'])} | {baseline} | {ratio} | "
                f"{row['goal']} | {met} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":  # python -m bench.report [results.json]: the README's summary table
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_DIR / "latest.json"
    print(summary_markdown(json.loads(source.read_text(encoding="utf-8"))))
