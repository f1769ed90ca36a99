"""Ask latency: ``qa.ask(q, k=5)`` on the shipped corpus vs the floor in the same process.

Floor: ``embedder.model.encode(question)`` + ``qa.backend.dense_search`` (FAISS search through
the library's own store): the least any dense question answering must do. Calls are
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


def floor_ask(model, backend, question: str, k: int = 5) -> None:
    v = model.encode(question)
    backend.dense_search(np.asarray(v, dtype=np.float32), k)


def stage_breakdown(qa, questions: list[str], model, backend) -> dict[str, float]:
    """Mean ms per ask spent in each library stage (wrapped, not edited), and the floor's encode.

    The wrapped calls do not nest: backend calls made by ``candidates.gather`` are timed one by
    one, and the ranking stages that call no backend are timed whole."""
    from ammtc_qa.indexing import embedding
    from ammtc_qa.ranking import fusion, pipeline, selection, signals

    timer = PhaseTimer()
    timer.wrap(pipeline, "analyse", "meeting analysis of the question")
    timer.wrap(embedding.Embedder, "encode_query", "encode_query (token count + encode)")
    timer.wrap(pipeline, "question_tokens", "lexical tokenize")
    timer.wrap(backend, "dense_search", "store: dense search (FAISS)")
    timer.wrap(backend, "lexical_search", "store: BM25 search")
    timer.wrap(backend, "lexical_scores", "store: BM25 scores of candidates")
    timer.wrap(backend, "vectors", "store: candidate vectors")
    timer.wrap(backend, "passages", "store: passage records")
    timer.wrap(backend, "sentence_vectors", "store: sentence vectors")
    timer.wrap(backend, "idf", "store: idf")
    timer.wrap(signals, "best_sentence", "best-sentence similarity")
    timer.wrap(signals, "rescore", "sentence rescoring")
    timer.wrap(fusion, "fuse", "fusion")
    timer.wrap(selection, "select", "selection (diversity, copies)")
    timer.wrap(qa._ranker, "_passage", "build passages + highlights")
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
    # idf and fusion are also called from inside rescore / select: not added twice to "other"
    outer = {k: v for k, v in timer.seconds.items() if k not in ("store: idf", "fusion")}
    out = {k: round(v / n * 1000, 3) for k, v in sorted(timer.seconds.items(), key=lambda kv: -kv[1])}
    out["other (ask total minus stages)"] = round((total - sum(outer.values())) / n * 1000, 3)
    out["ask total"] = round(total / n * 1000, 3)
    out["floor: model.encode alone"] = round(floor_encode / n * 1000, 3)
    return out


def run(quick: bool = False, full: bool = False) -> dict[str, object]:
    import ammtc_qa

    qa = ammtc_qa.load()
    questions = dev_questions()
    model, backend = qa._ranker.embedder.model, qa.backend
    calls = QUICK_CALLS if quick else MIN_CALLS
    reps = math.ceil(calls / len(questions))
    for q in questions:  # warm-up: both paths, every question once
        qa.ask(q, k=5)
        floor_ask(model, backend, q)
    ours: list[float] = []
    floor: list[float] = []
    log(f"latency: {reps * len(questions)} calls each, interleaved")
    for r in range(reps):
        for i, q in enumerate(questions):
            pair = [("ours", lambda q=q: qa.ask(q, k=5)), ("floor", lambda q=q: floor_ask(model, backend, q))]
            if (r + i) % 2:
                pair.reverse()
            for name, fn in pair:
                t0 = time.perf_counter()
                fn()
                (ours if name == "ours" else floor).append(time.perf_counter() - t0)
    p50o, p95o = percentile(ours, 50) * 1000, percentile(ours, 95) * 1000
    p50f, p95f = percentile(floor, 50) * 1000, percentile(floor, 95) * 1000
    breakdown = stage_breakdown(qa, questions, model, backend)
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
