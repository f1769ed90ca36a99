"""Build throughput: passages embedded per second while building the squad-dev index.

Ours: ``ammtc_qa.load(corpus_dir, index_dir, rebuild="always")`` with the model already
loaded in this process, so only the build is timed (read + clean + chunk + embed passages
+ embed every sentence for highlights + write + reload). Floor: ``model.encode`` over the
very texts the library embedded as passages (header + passage), same batch size, in the
same process, timed right after ours.

Where the build time goes is measured by wrapping the library's phases (not by editing it).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from common import BATCH_SIZE, CACHE, PhaseTimer, emit, log, ratio, section_args, squad_corpus, write_corpus

QUICK_DOCS = 300


def squad_paths(quick: bool) -> tuple[Path, Path, int | None]:
    """(corpus folder, index folder, paragraph limit) of the squad-dev index shared by sections."""
    if quick:
        return CACHE / f"squad{QUICK_DOCS}-corpus", CACHE / f"squad{QUICK_DOCS}-index", QUICK_DOCS
    return CACHE / "squad-corpus", CACHE / "squad-index", None


def floor_encode(model, texts: list[str]) -> float:
    t0 = time.perf_counter()
    model.encode(texts, batch_size=BATCH_SIZE, show_progress_bar=False, convert_to_numpy=True,
                 normalize_embeddings=True)
    return time.perf_counter() - t0


def run(quick: bool = False, full: bool = False, paragraphs: int | None = None) -> dict[str, object]:
    import ammtc_qa
    from ammtc_qa.backends.local import backend as local_backend
    from ammtc_qa.backends.local import bm25, vectors
    from ammtc_qa.indexing import build as build_mod
    from ammtc_qa.indexing import embedding

    corpus_dir, index_dir, limit = squad_paths(quick)
    if paragraphs:  # a separate index, so the shared squad-dev index stays whole
        limit = paragraphs
        corpus_dir, index_dir = CACHE / f"build-{limit}-corpus", CACHE / f"build-{limit}-index"
    docs = squad_corpus(limit)
    # A fresh folder: the library reuses the vectors of an index's previous version, and a
    # build that embeds nothing is not what this section measures.
    shutil.rmtree(index_dir, ignore_errors=True)
    write_corpus(corpus_dir, docs)
    embedder = embedding.load_embedder()
    embedder.encode(["warm up the model"] * 4)

    timer = PhaseTimer()
    timer.wrap(build_mod, "read_corpus", "read + clean corpus")
    timer.wrap(build_mod, "chunk_document", "chunking (token counts)")
    timer.wrap(build_mod, "embed_texts", "context headers (token counts)", record_output=True)
    timer.wrap(embedding.Embedder, "encode", "embedding", record_texts=True)
    timer.wrap(build_mod, "tokenize", "bm25 tokenize")
    timer.wrap(bm25.Forward, "from_tokens", "bm25 term counts")
    timer.wrap(vectors.VectorIndex, "build", "faiss build (inside write segment)")
    timer.wrap(local_backend, "write_segment", "write segment (incl. faiss build, bm25 postings)")
    timer.wrap(local_backend.LocalBackend, "_open_version", "open the new version")
    log(f"build: {len(docs)} paragraphs -> {index_dir}")
    # The library and the floor run one after the other, so each is as exposed to noise.
    t0 = time.perf_counter()
    built = ammtc_qa.load(corpus_dir=corpus_dir, index_dir=index_dir, rebuild="always", progress=False)
    build_s = time.perf_counter() - t0
    timer.restore()
    info = built.info()
    passages, sentences = int(info["chunks"]), int(info["sentences"])
    encode_calls = timer.calls.get("embedding", [])
    # The passage texts (header + passage) as the library made them; it may embed them mixed
    # with the sentences, deduplicated and sorted by length, so they are taken from embed_texts.
    passage_texts = [t for out in timer.outputs.get("context headers (token counts)", []) for t in out]
    log(f"build: {build_s:.1f}s for {passages} passages + {sentences} sentences; floor encode...")
    floor_s = floor_encode(embedder.model, passage_texts)
    texts_embedded = sum(n for n, _ in encode_calls)
    ours_pps = passages / build_s
    floor_pps = len(passage_texts) / floor_s
    phases = dict(sorted(timer.seconds.items(), key=lambda kv: -kv[1]))
    # the wrapped phases do not nest, except the FAISS build inside the segment write
    accounted = sum(v for k, v in phases.items() if k != "faiss build (inside write segment)")
    result = {
        "paragraphs": len(docs),
        "passages": passages,
        "sentences": sentences,
        "texts_embedded": texts_embedded,
        "build_s": round(build_s, 2),
        "ours_passages_per_s": round(ours_pps, 1),
        "ours_texts_per_s": round(texts_embedded / build_s, 1),
        "floor_passages_per_s": round(floor_pps, 1),
        "floor_s": round(floor_s, 2),
        "ratio_passages": round(ratio(ours_pps, floor_pps), 3),
        "ratio_texts": round(ratio(texts_embedded / build_s, floor_pps), 3),
        "goal": ">= 0.9 (passages/s, ours / floor)",
        "met": ratio(ours_pps, floor_pps) >= 0.9,
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
        "encode_calls": [{"texts": n, "seconds": round(s, 2), "texts_per_s": round(n / s, 1) if s else None}
                         for n, s in encode_calls],
        "unaccounted_s": round(build_s - accounted, 2),
        "batch_size": BATCH_SIZE,
        "index_dir": str(index_dir),
        "index_settings": built.index_settings.fingerprint(),
        "floor_texts": len(passage_texts),
    }
    return result


def main() -> None:
    args = section_args()
    emit(run(args.quick, args.full, args.paragraphs), args.out)


if __name__ == "__main__":
    main()
