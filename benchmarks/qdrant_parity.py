"""Qdrant vs the local backend: same answers? On the dev questions and on squad-dev.

Both backends are built by ``ammtc_qa.load`` from the same corpus and asked the same
questions (``k=10``). Reported per set: the share of questions whose top 10 is identical
(same passages, same order), the mean overlap of the top-10 sets, the share of rank
positions holding the same passage, nDCG@10 of both on squad-dev, and the ask p50 of both.

    PYTHONPATH=$PWD/src python benchmarks/qdrant_parity.py [--engine edge|client] [--squad 500] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, dev_questions, squad_corpus, squad_queries, write_corpus  # noqa: E402


def top10(qa: Any, question: str) -> tuple[list[tuple[str, int, int]], float, list[Any]]:
    t0 = time.perf_counter()
    answer = qa.ask(question, k=10)
    took = time.perf_counter() - t0
    for p in answer.passages:
        assert qa.document(p.doc_id).text[p.start:p.end] == p.text, "citation mismatch"
    return [(p.doc_id, p.start, p.end) for p in answer.passages], took, list(answer.passages)


def compare(local: Any, other: Any, questions: list[str]) -> tuple[dict[str, float], list[list[Any]], list[list[Any]]]:
    same, overlap, positions, n_pos = 0, [], 0, 0
    t_local, t_other, runs_local, runs_other = [], [], [], []
    for q in questions:
        a, ta, pa = top10(local, q)
        b, tb, pb = top10(other, q)
        t_local.append(ta)
        t_other.append(tb)
        runs_local.append(pa)
        runs_other.append(pb)
        same += a == b
        overlap.append(len(set(a) & set(b)) / max(len(a), len(b)) if a or b else 1.0)  # both abstain: agree
        positions += sum(x == y for x, y in zip(a, b, strict=False))
        n_pos += max(len(a), len(b))
    return {"questions": len(questions), "identical_top10": round(same / len(questions), 4),
            "mean_overlap@10": round(statistics.mean(overlap), 4),
            "same_position@10": round(positions / max(n_pos, 1), 4),
            "ask_p50_ms_local": round(statistics.median(t_local) * 1000, 1),
            "ask_p50_ms_qdrant": round(statistics.median(t_other) * 1000, 1)}, runs_local, runs_other


def options(engine: str, folder: Path) -> dict[str, Any]:
    return {"engine": "edge", "path": str(folder / "shard")} if engine == "edge" else {"path": str(folder / "qdrant")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["edge", "client"], default="edge")
    parser.add_argument("--squad", type=int, default=500, help="squad-dev paragraphs (0: skip squad-dev)")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    import ammtc_qa
    from ammtc_qa.evaluation import passages_to_run, score_run
    from ammtc_qa.qa import shipped_paths

    out: dict[str, Any] = {"engine": args.engine}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus, _ = shipped_paths()
        local = ammtc_qa.load()
        other = ammtc_qa.load(corpus, work / "dev-work", backend="qdrant",
                              backend_options=options(args.engine, work / "dev"), progress=False)
        out["dev"], _, _ = compare(local, other, dev_questions())
        print(json.dumps(out["dev"]), flush=True)
        if args.squad:
            raw = squad_corpus(args.squad)
            corpus_dir = write_corpus(CACHE / f"squad{args.squad}-corpus", raw)
            queries, qrels = squad_queries({d["id"] for d in raw}, args.queries)
            local = ammtc_qa.load(corpus_dir, CACHE / f"squad{args.squad}-index", progress=False)
            t0 = time.perf_counter()
            other = ammtc_qa.load(corpus_dir, work / "squad-work", backend="qdrant",
                                  backend_options=options(args.engine, work / "squad"), progress=False)
            build_s = time.perf_counter() - t0
            stats, runs_local, runs_other = compare(local, other, [t for _, t in queries])
            for name, runs in (("local", runs_local), ("qdrant", runs_other)):
                run = {qid: passages_to_run(ps) for (qid, _), ps in zip(queries, runs, strict=True)}
                stats[f"ndcg@10_{name}"] = round(score_run(qrels, run)["nDCG@10"], 4)
            out["squad"] = {"paragraphs": len(raw), "qdrant_build_s": round(build_s, 1), **stats}
            print(json.dumps(out["squad"]), flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
