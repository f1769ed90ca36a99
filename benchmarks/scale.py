"""Scale: the full pipeline at 10k, 100k and 1M passages; vector index kinds on their own.

Two parts, each size measured in its own process (so RSS is that of one job):

* **Store** (default; ``scale_store.py`` says exactly what is real and what is generated):
  ``QA.ask`` p50/p95 with the question encode excluded against the floor (dense search alone,
  ``backend.dense_search`` through the same store), the same with the encode on both sides,
  ``QA.add`` of one article with its embedding timed apart, RSS after opening and after 1,000
  asks, open time. 10k: real text, real model, built by the library. 100k / 1M: the real 10k
  store replicated (real text, stand-in vectors), written by the library's segment writer.
  The largest size is also profiled (cProfile of 100 asks and of one add).
* **Vector index** (``--vectors``; ``VectorIndex``, the FAISS part alone). SYNTHETIC vectors:
  384-d unit vectors from a topic / subtopic / noise mixture (``synthetic``), so that
  neighbourhoods have structure as real sentence embeddings do (one row uses uniform random
  vectors, the worst case for an approximate index). For each kind: build time, size on
  disk, then a fresh process that loads the index memory-mapped and reports RSS, search
  latency (k=50, the depth ``ask`` uses) and recall@10 against exact search. A run without
  ``--vectors`` keeps the vector rows of the previous ``scale.json``.

    python benchmarks/scale.py                      # the store part (~30 min on 2 cores)
    python benchmarks/run_all.py --only scale       # the same, as a section of the suite
    python benchmarks/scale.py --vectors --skip-store --sizes 10000,100000
    python benchmarks/scale.py --markdown scale.json   # print the RESULTS.md section of a run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("AMMTC_SCALE_DIR", "/tmp/ammtc-qa-scale"))
SQUAD = HERE.parent.parent / "shared" / "bench" / "squad-dev"
DIM = 384
QUERIES = 500
DEPTH = 50  # SearchSettings.dense_depth: what ask asks FAISS for
KINDS = {10_000: ["Flat"], 100_000: ["Flat", "HNSW32,SQ8", "IVF,SQ8"],
         1_000_000: ["HNSW32,SQ8", "IVF,SQ8", "Flat"]}


def rss() -> dict[str, float]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return {"rss_mb": round(out["VmRSS"], 1), "peak_rss_mb": round(out["VmHWM"], 1)}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# ------------------------------------------------------------------------------ synthetic


def synthetic(n: int, seed: int = 0, uniform: bool = False) -> np.ndarray:
    """``n`` unit vectors: topic (n/1000 of them) + 0.7·subtopic (~10 points each) + 0.6·noise."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    if uniform:
        for lo in range(0, n, 100_000):
            x = rng.standard_normal((min(100_000, n - lo), DIM), dtype=np.float32)
            out[lo:lo + len(x)] = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out
    topics = rng.standard_normal((max(1, n // 1000), DIM), dtype=np.float32)
    subs = rng.standard_normal((max(1, n // 10), DIM), dtype=np.float32)
    sub_topic = rng.integers(0, len(topics), len(subs))
    for lo in range(0, n, 100_000):
        m = min(100_000, n - lo)
        sub = rng.integers(0, len(subs), m)
        x = topics[sub_topic[sub]] + 0.7 * subs[sub] + 0.6 * rng.standard_normal((m, DIM), dtype=np.float32)
        out[lo:lo + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def synthetic_queries(n: int, uniform: bool) -> np.ndarray:
    """Queries from the same mixture as ``synthetic(n)``: same topics and subtopics, new noise."""
    rng = np.random.default_rng(1)
    if uniform:
        x = rng.standard_normal((QUERIES, DIM), dtype=np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)
    # regenerate the mixture's topics/subtopics exactly as synthetic() draws them
    g = np.random.default_rng(0)
    topics = g.standard_normal((max(1, n // 1000), DIM), dtype=np.float32)
    subs = g.standard_normal((max(1, n // 10), DIM), dtype=np.float32)
    sub_topic = g.integers(0, len(topics), len(subs))
    sub = rng.integers(0, len(subs), QUERIES)
    x = topics[sub_topic[sub]] + 0.7 * subs[sub] + 0.6 * rng.standard_normal((QUERIES, DIM), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def data_paths(n: int, uniform: bool) -> tuple[Path, Path, Path]:
    tag = f"{'uniform' if uniform else 'mix'}-{n}"
    return WORK / f"{tag}.npy", WORK / f"{tag}-queries.npy", WORK / f"{tag}-truth.npy"


def prepare(n: int, uniform: bool) -> None:
    import faiss

    data_p, q_p, t_p = data_paths(n, uniform)
    if t_p.exists():
        return
    WORK.mkdir(parents=True, exist_ok=True)
    x = synthetic(n, uniform=uniform)
    q = synthetic_queries(n, uniform)
    np.save(data_p, x)
    np.save(q_p, q)
    exact = faiss.IndexFlatIP(DIM)
    exact.add(x)
    _, truth = exact.search(q, 10)
    np.save(t_p, truth)


# ------------------------------------------------------------------------------ children


def child_build(n: int, kind: str, uniform: bool) -> dict[str, object]:
    sys.path.insert(0, str(HERE.parent / "src"))
    from ammtc_qa.backends.local.vectors import VectorIndex

    data_p, _, _ = data_paths(n, uniform)
    x = np.load(data_p, mmap_mode="r")
    t = time.perf_counter()
    index = VectorIndex.build(np.asarray(x), kind)
    build_s = time.perf_counter() - t
    path = WORK / f"{data_p.stem}-{index.kind.replace(',', '_')}.faiss"
    index.save(path)
    return {"kind": index.kind, "build_s": round(build_s, 1), "disk_mb": round(path.stat().st_size / 2**20, 1),
            "build": rss(), "path": str(path)}


def child_serve(n: int, kind: str, path: str, uniform: bool) -> dict[str, object]:
    sys.path.insert(0, str(HERE.parent / "src"))
    from ammtc_qa.backends.local.vectors import VectorIndex

    _, q_p, t_p = data_paths(n, uniform)
    queries, truth = np.load(q_p), np.load(t_p)
    before = rss()
    t = time.perf_counter()
    index = VectorIndex.load(Path(path), kind)
    load_s = time.perf_counter() - t
    after_load = rss()
    for q in queries[:20]:  # warm-up
        index.search(q, DEPTH)
    times, hits = [], 0
    for q, true in zip(queries, truth, strict=True):
        t = time.perf_counter()
        index.search(q, DEPTH)
        times.append((time.perf_counter() - t) * 1000)
        _, ids = index.search(q, 10)
        hits += len(set(ids.tolist()) & set(true.tolist()))
    return {"load_s": round(load_s, 2), "rss_before_load": before["rss_mb"], "rss_after_load": after_load["rss_mb"],
            "rss_after_queries": rss()["rss_mb"], "search_p50_ms": round(pct(times, 50), 2),
            "search_p95_ms": round(pct(times, 95), 2), "recall_at_10": round(hits / (10 * len(queries)), 4)}


def run_child(args: list[str], timeout: float = 7200) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                         timeout=timeout, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def vector_part(sizes: list[int]) -> list[dict[str, object]]:
    rows = []
    plan = [(n, kind, False) for n in sizes for kind in KINDS.get(n, ["Flat"])]
    if 100_000 in sizes:
        plan.append((100_000, "HNSW32,SQ8", True))
    for n, kind, uniform in plan:
        log(f"vectors: {n:,} {'uniform' if uniform else 'mixture'} {kind}")
        prepare(n, uniform)
        built = run_child(["build", str(n), kind, str(int(uniform))])
        row: dict[str, object] = {"passages": n, "vectors": "uniform" if uniform else "mixture", **built}
        if "error" not in built:
            row.update(run_child(["serve", str(n), str(built["kind"]), str(built["path"]), str(int(uniform))]))
        log(f"  {row}")
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------ store


STORE_SIZES = [10_000, 100_000, 1_000_000]
QUICK_STORE_SIZES = [1_000, 10_000, 30_000]


def store_child(args: list[str], timeout: float = 3 * 3600) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    out = subprocess.run([sys.executable, str(HERE / "scale_store.py"), *args], capture_output=True, text=True,
                         timeout=timeout, check=False, env=env)
    if out.returncode != 0:
        log(out.stderr[-3000:])
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def store_part(sizes: list[int], quick: bool) -> dict[str, object]:
    """The real store first (built once, then reused while current), then each size prepared
    and measured in a process of its own; the largest one profiled."""
    from scale_store import FLOOR_RSS, QUICK_ARTICLES, REAL_ARTICLES

    articles = QUICK_ARTICLES if quick else REAL_ARTICLES
    log(f"store: real store of {articles:,} articles (built once, then reused)")
    t = time.perf_counter()
    real = store_child(["real", str(articles)])
    real["step_s"] = round(time.perf_counter() - t, 1)
    log(f"  {real}")
    rows = []
    if "error" in real:
        return {"real": real, "rows": rows}
    for i, size in enumerate(sizes):
        t = time.perf_counter()
        if i == 0:  # the smallest size is the real store itself (a fresh copy: the adds change it)
            prepared = store_child(["copy-real", str(articles)])
            size = int(real["passages"])
        else:
            prepared = store_child(["generate", str(size), str(articles)])
            if "error" in prepared:
                rows.append({"passages": size, "error": prepared["error"]})
                continue
            size = int(prepared["passages"])
        prepared["prepare_s"] = round(time.perf_counter() - t, 1)
        log(f"store: {size:,} passages prepared in {prepared['prepare_s']}s; measuring")
        t = time.perf_counter()
        measured = store_child(["measure", str(size), *(["profile"] if i == len(sizes) - 1 else [])])
        row = {"target": sizes[i], "real": i == 0, "prepared": prepared, **measured,
               "measure_s": round(time.perf_counter() - t, 1)}
        log(f"  {({k: v for k, v in row.items() if not k.endswith('profile')})}")
        rows.append(row)
    floor = subprocess.run([sys.executable, "-c", FLOOR_RSS], text=True, capture_output=True, check=False)
    floor_rss = json.loads(floor.stdout.strip().splitlines()[-1])["rss_mb"] if floor.returncode == 0 else None
    return {"real": real, "rows": rows, "floor_model_only_rss_mb": floor_rss}


def plot_store(store: dict[str, object], png: Path) -> None:
    try:
        import matplotlib
    except ImportError:  # the numbers matter more than the picture: keep the run
        log(f"matplotlib is not installed: {png.name} not drawn")
        return

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in store["rows"] if "error" not in r]
    if not rows:
        return
    x = [r["passages"] for r in rows]
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.4))
    a.plot(x, [r["ask_p50_ms"] for r in rows], "o-", label="QA.ask p50 (encode excluded)")
    a.plot(x, [r["ask_p95_ms"] for r in rows], "o:", label="QA.ask p95 (encode excluded)", alpha=0.7)
    a.plot(x, [r["floor_p50_ms"] for r in rows], "s--", label="floor: dense_search p50")
    a.plot(x, [r["ask_enc_p50_ms"] for r in rows], "^-", label="QA.ask p50, encode included")
    a.plot(x, [r["floor_enc_p50_ms"] for r in rows], "v--", label="floor: encode + dense_search p50")
    a.axhline(50, color="red", lw=0.8, ls=":", label="goal at 1M: 50 ms")
    a.set_title("Ask latency (log scale)")
    a.set_ylabel("ms per question")
    b.plot(x, [r["add_median_s"] for r in rows], "o-", label="QA.add one article (median of 3)")
    b.plot(x, [r["add_minus_embed_median_s"] for r in rows], "s--", label="add minus its embedding")
    b.plot(x, [r["add_embed_median_s"] for r in rows], "^:", label="its embedding")
    b.axhline(1.0, color="red", lw=0.8, ls=":", label="goal: 1 s + embedding")
    b.set_title("Add one article")
    b.set_ylabel("seconds")
    c.plot(x, [r["rss_after_open_mb"] for r in rows], "o-", label="RSS after open")
    c.plot(x, [r["rss_after_asks_mb"] for r in rows], "s-", label=f"RSS after {rows[0]['asks']} asks")
    if store.get("floor_model_only_rss_mb"):
        c.axhline(store["floor_model_only_rss_mb"], color="grey", ls="--", label="floor: model only")
    c.axhline(1536, color="red", lw=0.8, ls=":", label="goal at 1M: 1.5 GB")
    c.set_title("Resident memory")
    c.set_ylabel("MiB")
    a.set_yscale("log")  # the encode (100-750 ms on the loaded machine) would flatten the rest
    for ax in (a, b, c):
        ax.set_xscale("log")
        ax.set_xlabel("passages in the store")
        if ax is not a:
            ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.suptitle("ammtc-qa at 10k (real), 100k and 1M (real text replicated, stand-in vectors) passages", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------------ report


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


NOTES = HERE / "scale_notes.md"
"""Hand-written analysis of the last full run (bottlenecks found by the profiles), appended to
the section: it names the run it analyses, so it visibly goes stale when the numbers change."""


def _mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


_NOT_OURS = ("model.py", "module.py", "decorators.py", "_contextlib.py", "transformer.py", "generic.py",
             "output_capturing.py", "deprecation.py", "scale_store.py", "embedding.py", "__init__.py", "decoder.py",
             "encoder.py", "store.py:78")
"""Frames of the model stack, the harness and thin wrappers: left out of the profile tables (the 1M
ask profile caught 4 real question encodes; the JSON keeps every frame)."""


def _parts(r: dict, when: str) -> str:
    p = r.get(f"rss_after_{when}_parts") or {}
    return f"heap {p.get('anon_mb')} + mapped files {p.get('file_mb')}"


def store_markdown(store: dict[str, object]) -> list[str]:
    rows = [r for r in store.get("rows", []) if "error" not in r]
    real = store.get("real", {})
    lines = ["### Full pipeline at 10k, 100k and 1M passages", ""]
    if "error" in real or not rows:
        return lines + [f"error: {real.get('error') or [r.get('error') for r in store.get('rows', [])]}", ""]
    small, big = rows[0], rows[-1]
    lines += [
        "![ask latency, add latency and memory against corpus size](scale.png)", "",
        "What was real and what was generated:", "",
        f"- **{small['passages']:,} passages: everything real.** {real['articles']:,} articles = the 2,067 "
        "squad-dev paragraphs repeated (distinct ids; each repeat ends with a distinct closing line, since the "
        "library indexes an identical text once), built by `ammtc_qa.load` (read, clean, chunk, tokenise, embed "
        f"{real['passages']:,} passages + {real['sentences']:,} sentences with all-MiniLM-L6-v2 on CPU, write), "
        "questions encoded by the same model.",
        "- **Larger sizes: real text, generated store.** That real store's one segment replicated by "
        "`benchmarks/scale_store.py generate`: the real documents, passages, sentence spans, BM25 term counts, "
        "cache keys and near-copy links of each copy are those of the 10k build, with new document ids; "
        "GENERATED: passage vectors = the real ones + Gaussian noise (σ = 0.025 per dimension, renormalised; "
        "cosine ≈ 0.9 to the original), sentence vectors copied unchanged, text hashes made distinct per copy. "
        "Written by the library's `write_segment` (BM25 postings, FAISS `auto` kind, checksums) and committed "
        "by its version writer, with a build state whose corpus stamps match the corpus files written beside it "
        "(one `.jsonl` per copy), so the library sees a current index of a real corpus folder.",
        "- **Measured through the library only**, one process per size: `ammtc_qa.load(corpus, index, "
        "rebuild=\"never\")`, `QA.ask(q)` (k=5, default settings), `QA.add(path)` of a `.txt` news article "
        f"(copied into the corpus folder, refreshed, one new segment and version). {big['questions']} squad-dev "
        "questions cycled; their vectors computed before timing and returned by `encode_query` (encode "
        f"excluded). Floor = `qa.backend.dense_search(v, {5})` (FAISS through the same store) timed interleaved "
        f"with the asks ({big['asks']} each). Encode included: `QA.ask` with the real `encode_query` against "
        f"`model.encode(q)` + `dense_search`, {big['encoded_pairs']} pairs interleaved.", ""]
    goals = []
    ratio_1m = big["add_minus_embed_median_s"] / small["add_minus_embed_median_s"]
    for r in rows:
        if r["passages"] <= 150_000:
            goals.append([f"ask ≤ 1.3× floor at {r['passages']:,} (encode included both sides, p50)",
                          f"{r['ask_enc_p50_ms']} ms vs {r['floor_enc_p50_ms']} ms", f"{r['ratio_enc_p50']}×",
                          _mark(r["ratio_enc_p50"] <= 1.3)])
            goals.append(["  the same, encode excluded (ask vs dense search alone, p50)",
                          f"{r['ask_p50_ms']} ms vs {r['floor_p50_ms']} ms", f"{r['ratio_p50']}×",
                          _mark(r["ratio_p50"] <= 1.3)])
    goals += [
        [f"ask p50 ≤ 50 ms, encode excluded, at {big['passages']:,}", f"{big['ask_p50_ms']} ms "
         f"(p95 {big['ask_p95_ms']})", f"floor {big['floor_p50_ms']} ms", _mark(big["ask_p50_ms"] <= 50)],
        ["add one article ≤ 1 s + its embedding, at every size",
         ", ".join(f"{r['add_minus_embed_median_s']} s" for r in rows) + " (+ "
         + ", ".join(f"{r['add_embed_median_s']} s" for r in rows) + " embedding)", "",
         _mark(all(r["add_minus_embed_median_s"] <= 1.0 for r in rows))],
        [f"add flat: (add − embedding) at {big['passages']:,} / at {small['passages']:,} ≤ 1.5",
         f"{big['add_minus_embed_median_s']} / {small['add_minus_embed_median_s']} s", f"{ratio_1m:.2f}×",
         _mark(ratio_1m <= 1.5)],
        [f"RSS after open ≤ 1.5 GB at {big['passages']:,}", f"{big['rss_after_open_mb']} MiB ({_parts(big, 'open')})",
         "", _mark(big["rss_after_open_mb"] <= 1536)],
        [f"RSS after {big['asks']} asks ≤ 1.5 GB at {big['passages']:,} (model loaded)",
         f"{big['rss_after_asks_mb']} MiB ({_parts(big, 'asks')})",
         f"model alone {store.get('floor_model_only_rss_mb')} MiB",
         _mark(big["rss_after_asks_mb"] <= 1536)],
        [f"open ≤ 2 s at {big['passages']:,}", f"{big['open_s']} s", "", _mark(big["open_s"] <= 2.0)]]
    lines += ["| goal | measured | ratio / reference | met? |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(map(str, g))} |" for g in goals]
    lines += ["", "| passages | documents | FAISS kind | open s (load / store / Ranker) | ask p50 / p95 ms "
              "| floor p50 / p95 ms | ratio p50 | with encode: ask / floor p50 ms | ratio | add s (3 articles) "
              "| of which embedding s | texts embedded | RSS MiB: open / model / after asks | peak |",
              "|---:|---:|---|---|---|---|---:|---|---:|---|---|---:|---|---:|"]
    for r in rows:
        lines.append(
            f"| {r['passages']:,}{' (real)' if r['real'] else ''} | {r['documents']:,} | {r['vector_kind']} "
            f"| {r['open_s']} / {r['store_open_s']} / {r['ranker_init_s']} | {r['ask_p50_ms']} / {r['ask_p95_ms']} "
            f"| {r['floor_p50_ms']} / {r['floor_p95_ms']} | {r['ratio_p50']} | {r['ask_enc_p50_ms']} / "
            f"{r['floor_enc_p50_ms']} | {r['ratio_enc_p50']} | {', '.join(str(a['add_s']) for a in r['adds'])} "
            f"| {', '.join(str(a['embed_s']) for a in r['adds'])} | {r['adds'][0]['texts_embedded']} "
            f"| {r['rss_after_open_mb']} / {r['rss_after_model_mb']} / {r['rss_after_asks_mb']} | {r['peak_rss_mb']} |")
    def prep(r: dict) -> str:
        if r["real"]:
            return f"real build or reuse {real['load_or_build_s']} s this run, then copied"
        g = r["prepared"]
        return f"generated in {g.get('generate_s')} s (index {g.get('index_mb')} MB, corpus {g.get('corpus_mb')} MB)"

    lines += ["", "Preparation: " + "; ".join(f"{r['passages']:,}: {prep(r)}" for r in rows)
              + ". Every added article was found by the next ask: "
        + _mark(all(a["found_by_ask"] for r in rows for a in r["adds"])) + ".", ""]
    hybrid = [r for r in rows if r.get("hybrid_floor")]
    if hybrid:
        lines += ["**Does 1.3× of the dense search leave room for a hybrid search?** The simplest one a user "
                  "could write with the raw libraries, timed in the same process, in turn with the ask and the "
                  "dense floor (`scale_store.hybrid_floor`): FAISS top 50 through the same store, then bm25s "
                  "over every passage's text with its own tokenizer (`get_scores`, top 50), reciprocal-rank "
                  "fusion (k = 60), top 5. Nothing about a candidate is read: no text, no sentence, no "
                  "meeting, no citation.", "",
                  "| passages | ask p50 ms | dense alone p50 ms | bare hybrid p50 ms | bare hybrid / dense "
                  "| ask / dense | ask / bare hybrid | rounds |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in hybrid:
            h = r["hybrid_floor"]
            lines.append(f"| {r['passages']:,} | {h['ask_p50_ms']} | {h['dense_p50_ms']} | {h['hybrid_p50_ms']} "
                         f"| {h['hybrid_over_dense']}× | {h['ask_over_dense']}× | {h['ask_over_hybrid']}× "
                         f"| {h['asks']} |")
        lines.append("")
    for key, title in (("ask_profile", "ask"), ("add_profile", "add")):
        prof = big.get(key)
        if prof:
            lines += [f"Profile of {title} at {big['passages']:,} (cProfile, {prof.get('asks', 1)} call(s), "
                      f"{prof['total_s']} s in all; top by cumulative time):", "",
                      "| function | calls | cumulative s | share | own s |", "|---|---:|---:|---:|---:|"]
            ours = [x for x in prof["by_cumtime"] if not x["function"].startswith(_NOT_OURS)]
            lines += [f"| `{x['function']}` | {x['calls']} | {x['cumtime_s']} | {x['cum_share']:.0%} "
                      f"| {x['tottime_s']} |" for x in ours[:14]]
            lines.append("")
    return lines


def vector_markdown(result: dict[str, object]) -> list[str]:
    lines = ["### Vector index alone (synthetic vectors)", "",
             "SYNTHETIC 384-d unit vectors (topic / subtopic / noise mixture; `uniform` rows: uniform random "
             "vectors, the worst case for approximate search). Search = `VectorIndex.search` for k=50 (the depth "
             "`ask` uses), one query at a time, in a fresh process that loads the index memory-mapped; "
             "recall@10 against exact search over the same vectors, 500 queries"
             f"{'' if result.get('vectors_run') else ' (rows kept from an earlier `--vectors` run)'}.", "",
             "| passages | vectors | kind | build s | disk MB | RSS after load MB | RSS after queries MB "
             "| search p50 ms | p95 ms | recall@10 |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result.get("vectors", []):
        if "error" in r:
            lines.append(f"| {r['passages']:,} | {r['vectors']} | {r.get('kind', '?')} | error: {r['error']} |"
                         + " |" * 6)
            continue
        lines.append(f"| {r['passages']:,} | {r['vectors']} | {r['kind']} | {r['build_s']} | {r['disk_mb']} | "
                     f"{r['rss_after_load']} | {r['rss_after_queries']} | {r['search_p50_ms']} | "
                     f"{r['search_p95_ms']} | {r['recall_at_10']} |")
    return lines + ["", *result.get("vector_notes", []), ""]


def markdown(result: dict[str, object]) -> str:
    lines = ["## Scale", "",
             f"`benchmarks/scale.py` (`python benchmarks/run_all.py --only scale`), one run on {result['machine']}, "
             f"{result.get('date', '')} (load average at start {result['load_at_start']}, at end "
             f"{result.get('load_at_end')}; other engineers' jobs shared the 2 cores, so compare the ratios), "
             f"library commit {result.get('commit', '?')}.", ""]
    if result.get("store"):
        lines += store_markdown(result["store"])
        if NOTES.is_file():
            lines += [NOTES.read_text(encoding="utf-8").strip(), ""]
    if result.get("vectors"):
        lines += vector_markdown(result)
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", help="store sizes in passages (default 10000,100000,1000000); with --vectors, "
                                   "the vector index sizes too")
    p.add_argument("--vectors", action="store_true", help="also measure the vector index kinds alone")
    p.add_argument("--skip-store", action="store_true")
    p.add_argument("--quick", action="store_true", help="a smoke run: 1,000 real articles, 10k and 30k")
    p.add_argument("--full", action="store_true", help=argparse.SUPPRESS)  # run_all passes it to every section
    p.add_argument("--out", default=str(HERE / "scale.json"))
    p.add_argument("--markdown", metavar="JSON", help="print the RESULTS.md section of a saved run and exit")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        what, *rest = args.child
        if what == "build":
            res = child_build(int(rest[0]), rest[1], bool(int(rest[2])))
        else:
            res = child_serve(int(rest[0]), rest[1], rest[2], bool(int(rest[3])))
        print(json.dumps(res))
        return
    if args.markdown:
        print(markdown(json.loads(Path(args.markdown).read_text())))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    canonical = HERE / ("scale-quick.json" if args.quick else "scale.json")
    previous = json.loads(canonical.read_text()) if canonical.is_file() else {}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, text=True, capture_output=True,
                            check=False).stdout.strip()
    result: dict[str, object] = {"machine": f"{os.cpu_count()} cores, {os.uname().machine}",
                                 "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit,
                                 "load_at_start": round(os.getloadavg()[0], 1),
                                 "vectors": previous.get("vectors", []),
                                 "vector_notes": previous.get("vector_notes", previous.get("notes", [])),
                                 "store": previous.get("store") if args.skip_store else None}
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    if not args.skip_store:
        result["store"] = store_part(sizes or (QUICK_STORE_SIZES if args.quick else STORE_SIZES), args.quick)
        plot_store(result["store"], HERE / ("scale-quick.png" if args.quick else "scale.png"))
    if args.vectors:
        result["vectors"] = vector_part(sizes or [10_000, 100_000, 1_000_000])
        result["vectors_run"] = True
    result["load_at_end"] = round(os.getloadavg()[0], 1)
    text = json.dumps(result, indent=1, default=str)
    canonical.write_text(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(markdown(result))


if __name__ == "__main__":
    main()
