"""Shared helpers of the benchmark scripts: paths, the squad-dev corpus, percentiles, memory.

Every benchmark compares the library with a floor or a baseline measured in the same run,
side by side, because the machine is shared and noisy: only ratios are meaningful.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ammtc_qa.settings import IndexSettings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
DEV_QUESTIONS = Path("/work/shared/eval/dev.jsonl")
BLIND_QUESTIONS = Path(__file__).parent / "questions" / "blind.jsonl"
"""Our second question set, written without seeing the library (see questions/README.md)."""
BLIND2_QUESTIONS = Path(__file__).parent / "questions" / "blind2.jsonl"
"""A third set, written the same way later, after the defaults were fixed (see questions/README.md)."""
SCORE_PY = Path("/work/shared/eval/score.py")
SQUAD = Path("/work/shared/bench/squad-dev")
BATCH_SIZE = IndexSettings().batch_size
"""The library's default ``IndexSettings.batch_size``; the floors use the same."""


# --------------------------------------------------------------------------- numbers


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (p50 = the upper median, like ``score.py``'s ``lat[n // 2]``)."""
    if not values:
        return float("nan")
    s = sorted(values)
    if q == 50:
        return s[len(s) // 2]
    i = min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[i]


def ratio(ours: float, floor: float) -> float:
    return ours / floor if floor else float("nan")


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rss_mb() -> dict[str, float]:
    """Resident memory of this process now and at its peak (MiB), from /proc/self/status."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(int(value.split()[0]) / 1024, 1)
    return out


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, object] = {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
                               "platform": platform.platform()}
    with contextlib.suppress(OSError):
        info["loadavg_start"] = os.getloadavg()
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except Exception:  # noqa: BLE001 - informational only
        pass
    with contextlib.suppress(OSError):
        info["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                            capture_output=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, text=True,
                               capture_output=True, check=False).stdout.split("\n")
        info["src_uncommitted"] = [line[3:] for line in dirty if line.strip()]
    return info


# --------------------------------------------------------------------------- squad-dev


def squad_corpus(limit: int | None = None, repeat_to: int | None = None) -> list[dict[str, str]]:
    """squad-dev paragraphs in file order (``limit`` first ones), as ``{id, title, text}``.

    ``repeat_to`` cycles the paragraphs (with distinct ids ``<id>~r<n>``) up to that many
    documents: a bigger index for latency and memory, not for quality.
    """
    docs = []
    with (SQUAD / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                obj = json.loads(line)
                docs.append({"id": str(obj["_id"]), "title": obj.get("title") or "", "text": obj["text"]})
    if limit is not None:
        docs = docs[:limit]
    if repeat_to and repeat_to > len(docs):
        base, n = list(docs), 0
        while len(docs) < repeat_to:
            n += 1
            docs.extend({**d, "id": f"{d['id']}~r{n}"} for d in base[: repeat_to - len(docs)])
    return docs


def write_corpus(folder: Path, docs: list[dict[str, str]]) -> Path:
    """Write ``folder/corpus.jsonl`` unless it already holds exactly these documents
    (rewriting would change its mtime, and the library would re-hash it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "corpus.jsonl"
    body = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    if not path.is_file() or path.read_text(encoding="utf-8") != body:
        path.write_text(body, encoding="utf-8")
    return folder


def squad_queries(doc_ids: set[str] | None = None, limit: int | None = None) -> tuple[list[tuple[str, str]],
                                                                                      dict[str, dict[str, int]]]:
    """``([(query id, text)], qrels)``: judged queries in file order, optionally only those
    whose relevant paragraph is in ``doc_ids``, the first ``limit`` of them."""
    from ammtc_qa.evaluation.beir import load_beir

    task = load_beir(SQUAD)
    out = []
    for qid in task.judged_queries:
        rel = task.qrels[qid]
        if doc_ids is not None and not any(d in doc_ids for d, r in rel.items() if r > 0):
            continue
        out.append((qid, task.queries[qid]))
        if limit is not None and len(out) >= limit:
            break
    return out, {q: task.qrels[q] for q, _ in out}


def dev_questions() -> list[str]:
    return [json.loads(line)["q"] for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines()
            if line.strip()]


# --------------------------------------------------------------------------- plumbing


def section_args(argv: Sequence[str] | None = None):
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller smoke run")
    ap.add_argument("--full", action="store_true", help="all squad-dev queries / bigger scaling sizes")
    ap.add_argument("--out", type=Path, help="write the section's result JSON here")
    ap.add_argument("--paragraphs", type=int, help="build: index only the first N squad-dev paragraphs")
    return ap.parse_args(argv)


def emit(result: dict[str, object], out: Path | None) -> None:
    text = json.dumps(result, indent=2, default=_json_default)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
    print(text)


def _json_default(o: object) -> object:
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
    except ImportError:
        pass
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class PhaseTimer:
    """Wraps library functions to add up the wall time spent in each."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.calls: dict[str, list[tuple[int, float]]] = {}
        self.encoded: list[list[str]] = []
        self.outputs: dict[str, list[object]] = {}
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, name: str, label: str, record_texts: bool = False,
             record_output: bool = False) -> None:
        original = getattr(owner, name, None)
        if original is None:
            log(f"cannot time {label}: {owner}.{name} not found")
            return

        @functools.wraps(original)
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                value = original(*args, **kwargs)
                if record_output:
                    self.outputs.setdefault(label, []).append(value)
                return value
            finally:
                dt = time.perf_counter() - t0
                self.seconds[label] = self.seconds.get(label, 0.0) + dt
                self.count[label] = self.count.get(label, 0) + 1
                if record_texts:
                    texts = args[1] if len(args) > 1 else kwargs.get("texts")
                    self.encoded.append(list(texts))
                    self.calls.setdefault(label, []).append((len(texts), dt))

        self._undo.append((owner, name, original))
        setattr(owner, name, timed)

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


def index_settings(index_dir: Path):
    """The ``IndexSettings`` a cached benchmark index was built with (None when there is none).

    Loading a cached index with the settings it was built with keeps the library from
    rebuilding it (for ~30 min on a busy 2-core machine) whenever the defaults in ``src/``
    change under us; RESULTS.md states which settings each index used.
    """
    import dataclasses

    from ammtc_qa.settings import IndexSettings

    current = index_dir / "CURRENT"
    if not current.is_file():
        return None
    state = index_dir / current.read_text(encoding="utf-8").strip() / "state.json"
    try:
        stored = json.loads(state.read_text(encoding="utf-8")).get("settings") or {}
    except (OSError, json.JSONDecodeError):
        return None
    names = {f.name for f in dataclasses.fields(IndexSettings)}
    return IndexSettings(**stored) if stored and set(stored) <= names else None
