"""Ask latency: ``qa.ask(q, k=5)`` on the shipped corpus vs the floor in the same process.

Floor: ``embedder.model.encode(question)`` + ``index.search`` on the library's own FAISS
index (``qa.data.dense.index``): the least any dense question answering must do. Calls are
interleaved (ours, floor / floor, ours alternately) over the dev questions repeated to at
least 300 calls each, after a warm-up pass, so noise on the shared machine hits both alike.
A second, separate pass wraps the library's search stages to show where the time goes.
"""

from __future__ import annotations

import math
import time

import numpy as np
from common import PhaseTimer, dev_questions, emit, log, percentile, ratio, section_args

MIN_CALLS = 300
QUICK_CALLS = 60


def floor_ask(model, index, question: str, k: int = 5) -> None:
    v = model.encode(question)
    index.search(np.asarray(v, dtype=np.float32).reshape(1, -1), k)


def stage_breakdown(qa, questions: list[str], model, index) -> dict[str, float]:
    """Mean ms per ask spent in each library stage (wrapped, not edited), and the floor's encode."""
    from ammtc_qa import search as search_mod
    from ammtc_qa.indexing import embedding

    searcher = qa._searcher
    timer = PhaseTimer()
    timer.wrap(search_mod, "analyse", "meeting analysis of the question")
    timer.wrap(embedding.Embedder, "encode_query", "encode_query (token count + encode)")
    timer.wrap(qa.data.dense, "search", "faiss search")
    timer.wrap(search_mod, "tokenize", "lexical tokenize")
    timer.wrap(qa.data.lexical, "scores", "bm25 scores (all passages)")
    timer.wrap(searcher, "_vectors", "reconstruct candidate vectors")
    timer.wrap(searcher, "_best_sentence_similarity", "best-sentence similarity")
    timer.wrap(searcher, "_fuse", "fusion")
    timer.wrap(searcher, "_diversify", "diversify (MMR)")
    timer.wrap(searcher, "_passage", "build passages + highlights")
    total = 0.0
    floor_encode = 0.0
    try:
        for q in questions:
            t0 = time.perf_counter()
            qa.ask(q, k=5)
            total += time.perf_counter() - t0
            t0 = time.perf_counter()
            model.encode(q)
            floor_encode += time.perf_counter() - t0
    finally:
        timer.restore()
    n = len(questions)
    out = {k: round(v / n * 1000, 3) for k, v in sorted(timer.seconds.items(), key=lambda kv: -kv[1])}
    out["other (ask total minus stages)"] = round((total - sum(timer.seconds.values())) / n * 1000, 3)
    out["ask total"] = round(total / n * 1000, 3)
    out["floor: model.encode alone"] = round(floor_encode / n * 1000, 3)
    return out


def run(quick: bool = False, full: bool = False) -> dict[str, object]:
    import ammtc_qa

    qa = ammtc_qa.load()
    questions = dev_questions()
    embedder = qa._searcher.embedder
    model, index = embedder.model, qa.data.dense.index
    calls = QUICK_CALLS if quick else MIN_CALLS
    reps = math.ceil(calls / len(questions))
    for q in questions:  # warm-up: both paths, every question once
        qa.ask(q, k=5)
        floor_ask(model, index, q)
    ours: list[float] = []
    floor: list[float] = []
    log(f"latency: {reps * len(questions)} calls each, interleaved")
    for r in range(reps):
        for i, q in enumerate(questions):
            pair = [("ours", lambda q=q: qa.ask(q, k=5)), ("floor", lambda q=q: floor_ask(model, index, q))]
            if (r + i) % 2:
                pair.reverse()
            for name, fn in pair:
                t0 = time.perf_counter()
                fn()
                (ours if name == "ours" else floor).append(time.perf_counter() - t0)
    p50o, p95o = percentile(ours, 50) * 1000, percentile(ours, 95) * 1000
    p50f, p95f = percentile(floor, 50) * 1000, percentile(floor, 95) * 1000
    breakdown = stage_breakdown(qa, questions, model, index)
    return {
        "calls_each": len(ours),
        "questions": len(questions),
        "passages_in_index": int(qa.info()["chunks"]),
        "ours_p50_ms": round(p50o, 2), "ours_p95_ms": round(p95o, 2),
        "floor_p50_ms": round(p50f, 2), "floor_p95_ms": round(p95f, 2),
        "ratio_p50": round(ratio(p50o, p50f), 3), "ratio_p95": round(ratio(p95o, p95f), 3),
        "goal": "<= 1.3 (p50, ours / floor)",
        "met": ratio(p50o, p50f) <= 1.3,
        "stages_ms_per_ask": breakdown,
    }


def main() -> None:
    args = section_args()
    emit(run(args.quick, args.full), args.out)


if __name__ == "__main__":
    main()
