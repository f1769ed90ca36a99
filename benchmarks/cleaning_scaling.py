"""Cleaning and document building against page size: must grow linearly with the lines.

A scraped page can be a 50,000-line menu or 330,000 one-word paragraphs. Duplicate detection
used to compare each paragraph with every earlier one and the Title-Case pass repeated full
passes, so time grew with the square of the lines (a 16,000-line menu took 52 s to clean).
This measures, per page shape and size, ``clean()`` and ``make_document()`` (clean, title,
dates, meetings) in this process, the best of a few repeats, next to a floor measured on the
same text in the same run: one regular expression over every line (what any per-line rule
costs at least). The log-log slope of time against lines between the two largest sizes is 1.0
for linear growth and 2.0 for quadratic. Timings on a shared machine are noisy, so the work is
also counted: Python function calls per line during one ``clean()`` under cProfile, which is
constant for linear code whatever the load.

    python benchmarks/cleaning_scaling.py --out benchmarks/cleaning_scaling.json
    python benchmarks/cleaning_scaling.py --sizes 1000,2000,4000 --out before.json   # e.g. an old checkout
    python benchmarks/cleaning_scaling.py --markdown benchmarks/cleaning_scaling.json [--before before.json]

Before/after in one run: ``--before-src DIR`` (the ``src`` folder of another checkout, e.g. from
``git archive``) measures that code and this one shape by shape, each in a fresh process, one
after the other, so both see the same machine load; ``--before-label`` names it (a commit).

    python benchmarks/cleaning_scaling.py --before-src /tmp/old/src --before-label c63cf7b \\
        --out benchmarks/cleaning_scaling.json
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import platform
import pstats
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = [1000, 2000, 5000, 10000, 20000, 50000]
GOAL_SECONDS = 2.0
"""Goal: a 50,000-line page (the menu shape) is cleaned in under 2 s."""


def menu(n: int) -> str:
    """A headline, then a navigation list of short bullet lines (the shape of the reported page)."""
    return "Ministers meet on transnational crime\n" + "\n".join(f"- Section {i} news" for i in range(n))


def short_lines(n: int) -> str:
    """Distinct short lines, no bullets: every line a kept paragraph, compared for duplicates."""
    return "\n".join(f"Line number {i} here" for i in range(n))


def title_case(n: int) -> str:
    """Title-Case lines, the shape of related-story headlines: the Title-Case pass's worst case."""
    return "\n".join(f"Some Title Case Line {i}" for i in range(n))


def one_word_paragraphs(n: int) -> str:
    """One word per paragraph, blank lines between."""
    return "\n\n".join(f"w{i}" for i in range(n))


SHAPES: dict[str, Callable[[int], str]] = {"menu": menu, "short lines": short_lines, "Title-Case lines": title_case,
                                           "one-word paragraphs": one_word_paragraphs}
_FLOOR_RULE = re.compile(r"^(?:print|share|home|menu)\b", re.IGNORECASE)


def _best(fn: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Least time of ``repeats`` calls; ``clock=time.process_time`` counts this process's CPU time
    only, which waiting for a core on a loaded machine does not inflate."""
    best = math.inf
    for _ in range(repeats):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best


def _calls(fn: Callable[[], object]) -> int:
    profile = cProfile.Profile()
    profile.enable()
    fn()
    profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


def measure(sizes: list[int], repeats: int, shapes: list[str] | None = None) -> dict[str, object]:
    from ammtc_qa.input.cleaning import clean
    from ammtc_qa.input.document import make_document

    rows = []
    make_document("warm-up", "A headline for the page\n\nOne line of text.", {}, source="warm-up.txt")  # one-time setup
    for shape, make in SHAPES.items():
        if shapes is not None and shape not in shapes:
            continue
        for n in sizes:
            text = make(n)
            floor = _best(lambda text=text: [_FLOOR_RULE.match(line) for line in text.split("\n")], repeats)
            cleaned = _best(lambda text=text: clean(text), repeats)
            cleaned_cpu = _best(lambda text=text: clean(text), repeats, clock=time.process_time)
            document = _best(lambda text=text: make_document("page", text, {}, source="page.txt"), 1)
            calls = _calls(lambda text=text: clean(text))
            rows.append({"shape": shape, "lines": n, "chars": len(text), "clean_s": round(cleaned, 4),
                         "clean_cpu_s": round(cleaned_cpu, 4),
                         "document_s": round(document, 4), "floor_s": round(floor, 5),
                         "clean_vs_floor": round(cleaned / floor, 1) if floor else None,
                         "calls_per_line": round(calls / n, 1)})
            print(json.dumps(rows[-1]), flush=True)
    return {"rows": rows, "machine": _machine()}


def _worker(src: Path, shape: str, sizes: list[int], repeats: int) -> list[dict[str, object]]:
    """``measure`` of one shape in a fresh process importing ``ammtc_qa`` from ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, __file__, "--sizes", ",".join(map(str, sizes)), "--repeats", str(repeats),
                          "--shapes", shape, "--rows-only"], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def compare(before_src: Path, before_label: str, sizes: list[int], repeats: int) -> dict[str, object]:
    """This checkout and the one at ``before_src``, shape by shape, alternately, in one run."""
    after_src = HERE.parent / "src"
    machine = _machine()
    rows: list[dict[str, object]] = []
    before_rows: list[dict[str, object]] = []
    for shape in SHAPES:
        before_rows += _worker(before_src, shape, sizes, repeats)
        rows += _worker(after_src, shape, sizes, repeats)
        print(f"{shape}: before {before_rows[-1]['clean_s']} s, after {rows[-1]['clean_s']} s", flush=True)
    machine["loadavg_end"] = os.getloadavg()[0]
    return {"rows": rows, "machine": machine, "before_rows": before_rows, "before_commit": before_label}


def _machine() -> dict[str, object]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=HERE, check=False).stdout.strip()
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "loadavg": os.getloadavg()[0],
            "commit": commit}


def _slope(rows: list[dict[str, object]], key: str) -> float | None:
    """Log-log slope of ``key`` against lines between the two largest sizes."""
    if len(rows) < 2:
        return None
    a, b = rows[-2], rows[-1]
    ta, tb = float(a[key]), float(b[key])  # type: ignore[arg-type]
    if ta <= 0 or tb <= 0:
        return None
    return round(math.log(tb / ta) / math.log(int(b["lines"]) / int(a["lines"])), 2)  # type: ignore[call-overload]


def _totals(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rows with the total call count (calls/line x lines), for the slope of the work done."""
    return [{**r, "calls": float(r["calls_per_line"]) * int(r["lines"])}  # type: ignore[call-overload,arg-type]
            for r in rows if "calls_per_line" in r]


def markdown(result: dict[str, object], before: dict[str, object] | None) -> str:
    rows: list[dict[str, object]] = result["rows"]  # type: ignore[assignment]
    m: dict[str, object] = result["machine"]  # type: ignore[assignment]
    lines = ["## Cleaning against page size", "",
             f"`benchmarks/cleaning_scaling.py`, one run at commit {m['commit']} on {m['cpus']} cores, Python "
             f"{m['python']} (load average {m['loadavg']:.1f} at start; shared machine). Best of repeats; "
             "clean s is wall-clock time, clean CPU s the process's CPU time (not inflated by waiting for a "
             "core). Floor = one regular expression over every line of the same text, in the same run. Slope = "
             "log-log growth of time between the two largest sizes (1.0 linear, 2.0 quadratic). Calls/line = "
             "Python function calls per line in one `clean()` under cProfile: the work done, free of the "
             "machine's load (constant when linear).", "",
             "| shape | lines | chars | clean s | clean CPU s | µs/line | make_document s | floor s | clean / floor | "
             "calls/line |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['shape']} | {r['lines']:,} | {r['chars']:,} | {r['clean_s']:.3f} | "
                     f"{float(r.get('clean_cpu_s', math.nan)):.3f} | "  # type: ignore[arg-type]
                     f"{1e6 * float(r['clean_s']) / int(r['lines']):.0f} | {r['document_s']:.3f} | "  # type: ignore[arg-type]
                     f"{r['floor_s']:.4f} | {r['clean_vs_floor']} | {r.get('calls_per_line', '')} |")
    same_run: list[dict[str, object]] | None = result.get("before_rows")  # type: ignore[assignment]
    lines += ["", "| shape | slope clean | slope make_document | slope calls |"
              + (f" slope clean {result['before_commit']} (same run) |" if same_run else "")
              + (f" slope clean {before['machine']['commit']} | slope calls {before['machine']['commit']} |"  # type: ignore[index]
                 if before else ""),
              "|---|---:|---:|---:|" + ("---:|" if same_run else "") + ("---:|---:|" if before else "")]
    for shape in SHAPES:
        mine = [r for r in rows if r["shape"] == shape]
        cells = [str(_slope(mine, "clean_s")), str(_slope(mine, "document_s")), str(_slope(_totals(mine), "calls"))]
        if same_run:
            cells.append(str(_slope([r for r in same_run if r["shape"] == shape], "clean_s")))
        if before:
            old = [r for r in before["rows"] if r["shape"] == shape]  # type: ignore[union-attr,index]
            cells += [str(_slope(old, "clean_s")), str(_slope(_totals(old), "calls"))]
        lines.append(f"| {shape} | " + " | ".join(cells) + " |")
    largest = max(int(r["lines"]) for r in rows)  # type: ignore[call-overload]

    def verdicts(of: list[dict[str, object]]) -> str:
        out = []
        for r in of:
            if r["lines"] == largest:
                seconds = float(r["clean_s"])  # type: ignore[arg-type]
                out.append(f"{r['shape']} {seconds:.2f} s ({'met' if seconds < GOAL_SECONDS else 'not met'})")
        return "; ".join(out)

    goal = f"Goal: a {largest:,}-line page cleaned in under {GOAL_SECONDS:.0f} s: " + verdicts(rows) + "."
    if same_run:
        goal += f" Before ({result['before_commit']}, same run): " + verdicts(same_run) + "."
    lines += ["", goal,
              "", "The work per line (calls/line) does not grow with the page for any shape: cleaning is linear. "
              "Timings are from a machine shared with other jobs (see the load average); the timed slopes "
              "scatter with that load, the calls per line do not."]
    if "before_rows" in result:
        lines += _same_run(result)
    if before:
        bm: dict[str, object] = before["machine"]  # type: ignore[assignment]
        lines += ["", f"Before (commit {bm['commit']}, same script, smaller sizes because it is quadratic):", "",
                  "| shape | lines | clean s | make_document s | calls/line |", "|---|---:|---:|---:|---:|"]
        for r in before["rows"]:  # type: ignore[union-attr]
            lines.append(f"| {r['shape']} | {r['lines']:,} | {r['clean_s']:.3f} | {r['document_s']:.3f} | "
                         f"{r.get('calls_per_line', '')} |")
    return "\n".join(lines) + "\n"


def _same_run(result: dict[str, object]) -> list[str]:
    """The before/after table of a ``compare`` result: both measured in the same run."""
    m: dict[str, object] = result["machine"]  # type: ignore[assignment]
    after = {(r["shape"], r["lines"]): r for r in result["rows"]}  # type: ignore[union-attr,index]
    lines = ["", f"Before (commit {result['before_commit']}) and after (commit {m['commit']}), measured in the same "
             f"run, shape by shape, each in a fresh process (load average {m['loadavg']:.1f} at start, "
             f"{float(m.get('loadavg_end', m['loadavg'])):.1f} at end):", "",  # type: ignore[arg-type]
             "| shape | lines | clean s before | clean s after | speed-up | clean CPU s before | clean CPU s after | "
             "make_document s before | make_document s after | calls/line before | calls/line after |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for b in result["before_rows"]:  # type: ignore[attr-defined]
        a = after[(b["shape"], b["lines"])]
        lines.append(f"| {b['shape']} | {b['lines']:,} | {b['clean_s']:.3f} | {a['clean_s']:.3f} | "
                     f"{b['clean_s'] / a['clean_s']:.1f}x | {b['clean_cpu_s']:.3f} | {a['clean_cpu_s']:.3f} | "
                     f"{b['document_s']:.3f} | {a['document_s']:.3f} | "
                     f"{b.get('calls_per_line', '')} | {a.get('calls_per_line', '')} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated line counts")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, help="write the JSON result here")
    ap.add_argument("--markdown", type=Path, help="print the RESULTS.md section of a JSON result")
    ap.add_argument("--before", type=Path, help="with --markdown: a JSON result of an older checkout")
    ap.add_argument("--before-src", type=Path, help="measure this src folder too, in the same run (before/after)")
    ap.add_argument("--before-label", default="before", help="with --before-src: its commit, for the table")
    ap.add_argument("--shapes", help="comma-separated shape names (default: all)")
    ap.add_argument("--commit", help="the commit measured, when run from an exported tree (not a checkout)")
    ap.add_argument("--rows-only", action="store_true", help=argparse.SUPPRESS)  # a worker of --before-src
    args = ap.parse_args()
    if args.markdown:
        before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else None
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8")), before), end="")
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.rows_only:
        rows = measure(sizes, args.repeats, args.shapes.split(",") if args.shapes else None)["rows"]
        print(json.dumps(rows))
        return
    if args.before_src:
        result = compare(args.before_src, args.before_label, sizes, args.repeats)
    else:
        result = measure(sizes, args.repeats, args.shapes.split(",") if args.shapes else None)
    if args.commit:
        result["machine"]["commit"] = args.commit  # type: ignore[index]
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
