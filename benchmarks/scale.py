"""Scale: vector index kinds at 10k, 100k and 1M passages; real-text ingestion at 10k.

Two parts, each size and kind measured in its own process (so RSS is that of one job):

* **Vector index** (``VectorIndex``, the FAISS part of ``ask``). SYNTHETIC vectors: 384-d unit
  vectors from a topic / subtopic / noise mixture (``synthetic``), so that neighbourhoods have
  structure as real sentence embeddings do (uniform random vectors have none and are the worst
  case for any approximate index; one row measures that too). Queries are new draws from the
  same mixture. For each kind: build time, size on disk, then a fresh process that loads the
  index memory-mapped and reports RSS and search latency (k=50, the depth ``ask`` uses) and
  recall@10 against exact search.
* **Real text** (squad-dev paragraphs repeated to 10,000 articles, each copy made distinct by
  a closing line, since identical texts are indexed once): a cold build through the library
  (read, clean, chunk, embed, write) with texts/s, then adding one article (texts embedded),
  then ``ask`` p50/p95 with question encoding excluded (the question vectors are computed first
  and ``encode_query`` returns them).

    python benchmarks/scale.py                 # everything (~40 min on 2 cores)
    python benchmarks/scale.py --sizes 10000,100000 --skip-text
    python benchmarks/scale.py --markdown out.json   # print the RESULTS.md section of a run
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


# ------------------------------------------------------------------------------ real text


def text_part(n_docs: int = 10_000) -> dict[str, object]:
    return run_child(["text", str(n_docs)], timeout=4 * 3600)


def child_text(n_docs: int) -> dict[str, object]:
    sys.path.insert(0, str(HERE.parent / "src"))
    import ammtc_qa
    from ammtc_qa.indexing.embedding import Embedder, load_embedder

    base = [json.loads(line) for line in (SQUAD / "corpus.jsonl").open(encoding="utf-8") if line.strip()]
    queries = [json.loads(line)["text"] for line in (SQUAD / "queries.jsonl").open(encoding="utf-8")][:200]
    corpus, index = WORK / f"text-{n_docs}" / "corpus", WORK / f"text-{n_docs}" / "index"
    if index.exists():
        import shutil

        shutil.rmtree(index)
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "one-more.txt").unlink(missing_ok=True)
    with open(corpus / "corpus.jsonl", "w", encoding="utf-8") as f:
        for i in range(n_docs):
            d = base[i % len(base)]
            copy = i // len(base)
            text = d["text"] + (f"\n\nArchive copy {copy} of this report." if copy else "")
            f.write(json.dumps({"id": f"{d['_id']}~{copy}", "title": d.get("title") or None, "text": text}) + "\n")
    load_embedder()
    counted = {"texts": 0}
    real = Embedder.encode

    def encode(self: Embedder, texts: list[str], **kw: object) -> np.ndarray:
        counted["texts"] += len(texts)
        return real(self, texts, **kw)

    Embedder.encode = encode  # type: ignore[method-assign]
    t = time.perf_counter()
    qa = ammtc_qa.load(corpus, index, progress=False)
    build_s = time.perf_counter() - t
    info = qa.info()
    stats = qa.data.manifest["embedding"]
    result: dict[str, object] = {
        "articles": info["documents"], "passages": info["chunks"], "sentences": info["sentences"],
        "build_s": round(build_s, 1), "articles_per_s": round(info["documents"] / build_s, 1),
        "texts_embedded": stats["embedded"], "texts_cached": stats["unique"] - stats["embedded"],
        "embedded_per_s": round(stats["embedded"] / build_s, 1), "vector_kind": info["vector_kind"],
        "index_mb": round(sum(p.stat().st_size for p in qa.data.version.rglob("*") if p.is_file()) / 2**20, 1),
        "build_rss": rss()}
    new = WORK / "one-more.txt"
    new.write_text("Police in Da Nang seized 300 kg of synthetic drugs hidden in tea packets on Friday, "
                   "officials said.\n\nThe haul, bound for Australia, was the largest this year. Four "
                   "suspects were arrested.\n", encoding="utf-8")
    counted["texts"] = 0
    t = time.perf_counter()
    qa.add(new)
    result["add_one_s"] = round(time.perf_counter() - t, 1)
    result["add_one_texts_embedded"] = counted["texts"]
    memo: dict[str, np.ndarray] = {}
    real_query = Embedder.encode_query

    def encode_query(self: Embedder, text: str) -> np.ndarray:  # question encoding excluded from timings
        if text not in memo:
            memo[text] = real_query(self, text)
        return memo[text]

    Embedder.encode_query = encode_query  # type: ignore[method-assign]
    for q in queries:  # warm-up pass: encodes every question once
        qa.ask(q, k=5)
    times = []
    for q in queries:
        t = time.perf_counter()
        qa.ask(q, k=5)
        times.append((time.perf_counter() - t) * 1000)
    result.update({"ask_p50_ms": round(pct(times, 50), 1), "ask_p95_ms": round(pct(times, 95), 1),
                   "serve_rss": rss()})
    return result


# ------------------------------------------------------------------------------ report


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def markdown(result: dict[str, object]) -> str:
    lines = ["## Scale", "",
             f"`benchmarks/scale.py`, one run on {result['machine']} (load average at start "
             f"{result['load_at_start']}, at end {result.get('load_at_end')}; other jobs were running).", "",
             "### Vector index (synthetic vectors)", "",
             "SYNTHETIC 384-d unit vectors (topic / subtopic / noise mixture; `uniform` rows: uniform random "
             "vectors, the worst case for approximate search). Search = `VectorIndex.search` for k=50 (the depth "
             "`ask` uses), one query at a time, in a fresh process that loads the index memory-mapped; "
             "recall@10 against exact search over the same vectors, 500 queries.", "",
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
    text = result.get("text")
    if text:
        lines += ["", "### Real text: ingestion and ask at 10,000 articles", ""]
        if "error" in text:
            lines.append(f"error: {text['error']}")
        else:
            lines += [
                f"squad-dev paragraphs repeated to {text['articles']:,} articles (distinct ids; each repeat ends "
                "with a distinct line, since identical texts are indexed once), all-MiniLM-L6-v2 on CPU.", "",
                "| articles | passages | sentences | cold build s | articles/s | texts (passages + sentences) "
                "| distinct texts embedded | embedded/s | index MB | add 1 article s | texts embedded for it "
                "| ask p50 ms | ask p95 ms | RSS MB |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
                f"| {text['articles']:,} | {text['passages']:,} | {text['sentences']:,} | {text['build_s']} | "
                f"{text['articles_per_s']} | {text['passages'] + text['sentences']:,} | {text['texts_embedded']:,} | "
                f"{text['embedded_per_s']} | {text['index_mb']} | {text['add_one_s']} | "
                f"{text['add_one_texts_embedded']} | {text['ask_p50_ms']} | {text['ask_p95_ms']} | "
                f"{text['serve_rss']['rss_mb']} |"]
    lines += ["", *result.get("notes", [])]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--skip-text", action="store_true")
    p.add_argument("--skip-vectors", action="store_true")
    p.add_argument("--out", default=str(HERE / "scale.json"))
    p.add_argument("--markdown", metavar="JSON", help="print the RESULTS.md section of a saved run and exit")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        what, *rest = args.child
        if what == "build":
            res = child_build(int(rest[0]), rest[1], bool(int(rest[2])))
        elif what == "serve":
            res = child_serve(int(rest[0]), rest[1], rest[2], bool(int(rest[3])))
        else:
            res = child_text(int(rest[0]))
        print(json.dumps(res))
        return
    if args.markdown:
        print(markdown(json.loads(Path(args.markdown).read_text())))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {"machine": f"{os.cpu_count()} cores, {os.uname().machine}",
                                 "load_at_start": round(os.getloadavg()[0], 1), "notes": []}
    if not args.skip_text:
        log("text: 10,000 articles")
        result["text"] = text_part()
        log(f"  {result['text']}")
        Path(args.out).write_text(json.dumps(result, indent=1))
    if not args.skip_vectors:
        result["vectors"] = vector_part([int(s) for s in args.sizes.split(",")])
    result["load_at_end"] = round(os.getloadavg()[0], 1)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(markdown(result))


if __name__ == "__main__":
    main()
