"""The relevance cut-off and the evidence-meeting preference (issue 13, part 4): calibration and report.

Why a script: the cut-off only removes passages from the selected list, so one run per question
with the cut-off off (``explain=True`` records each passage's relevance) lets every
(``min_relevance``, ``relative_cutoff``) pair be scored offline, exactly. The meeting preference
changes the ranking, so each of its values is a separate pass over the question sets.

* Question sets: dev (tuned on), blind and blind2 (reported only, never tuned on), scored with
  ``score.py``'s definitions (its evidence matching and meeting-to-article map are imported from
  it); wrong_meeting@5 also on the questions that do not name their meeting.
* squad-dev: a fixed-seed sample of judged queries (``--squad N``, seed ``--seed``) over the whole
  corpus, ``k=100``, scored with ``ammtc_qa.evaluation.score_run``.
* Unrelated questions: out-of-domain questions the shipped corpus cannot answer.

``python benchmarks/cutoff.py --out benchmarks/cutoff.json`` (the squad index is built once in
``--cache``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from common import BLIND2_QUESTIONS, BLIND_QUESTIONS, DEV_QUESTIONS, SCORE_PY, log, squad_corpus, write_corpus

UNRELATED = ["Who won the 2022 World Cup?", "What is the boiling point of tungsten?",
             "How do I bake sourdough bread?", "Which planet has the most moons?",
             "Who wrote Pride and Prejudice?", "What is the capital of Australia?"]
"""Questions of another domain: the right answer on the shipped corpus is no passage."""
FLOORS = [None, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]
MARGINS = [None, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4]
BOOSTS = [0.0, 0.1, 0.2, 0.3, 0.5]


def _score_module() -> Any:
    spec = importlib.util.spec_from_file_location("score", SCORE_PY)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.path.insert(0, str(SCORE_PY.parent))
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


SCORE = _score_module()


def questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def collect(qa: Any, qs: list[dict[str, Any]], **overrides: Any) -> list[dict[str, Any]]:
    """Each question's passages (k=10, as score.py) with what the cut-off and the metrics need."""
    from ammtc_qa.ranking.questions import analyse

    out = []
    catalog = qa._ranker.catalog
    for q in qs:
        ans = qa.ask(q["q"], k=10, explain=True, **overrides)
        phrases = [SCORE.norm(x) for g in q.get("groups", []) for x in g]
        rows = []
        for p in ans.passages:
            t = SCORE.norm(p.text)
            rows.append({"relevance": p.explanation["relevance"], "demoted": p.explanation["demoted"],
                         "evidence": any(x in t for x in phrases),
                         "parts": [any(SCORE.norm(x) in t for x in g) for g in q.get("groups", [])],
                         "seed": SCORE.seed_of(p.text)})
        named = bool(analyse(q["q"], catalog).named)
        out.append({"id": q["id"], "meeting": q.get("meeting"), "unanswerable": bool(q.get("unanswerable")),
                    "names_meeting": named, "passages": rows})
    return out


def keep(rows: list[dict[str, Any]], floor: float | None, margin: float | None,
         penalty: float = 0.0) -> list[dict[str, Any]]:
    """``ranking.cutoff.cut`` over recorded passages; ``penalty`` is taken off the relevance of
    passages demoted for another meeting."""
    if not rows:
        return rows
    rel = [r["relevance"] - penalty * r.get("demoted", False) for r in rows]
    top = max(rel)
    if floor is not None and top < floor:
        return []
    if margin is None:
        return rows
    return [r for j, r in enumerate(rows) if j == 0 or rel[j] >= top - margin]


def metrics(recorded: list[dict[str, Any]], floor: float | None, margin: float | None,
            penalty: float = 0.0) -> dict[str, float]:
    """score.py's metrics (k=5, deep=10) after the cut-off, plus wrong_meeting@5 on the questions
    that do not name their meeting and the mean number of passages returned."""
    ranks, wrong, nk, wrong_u, nk_u, n_pass, abstain, cover = [], 0, 0, 0, 0, [], [], []
    for q in recorded:
        rows = keep(q["passages"], floor, margin, penalty)
        n_pass.append(len(rows))
        if q["unanswerable"]:
            abstain.append(not rows)
            continue
        ranks.append(next((i for i, r in enumerate(rows) if r["evidence"]), None))
        if rows and len(rows[0]["parts"]) > 1:
            cover.append(sum(any(r["parts"][g] for r in rows) for g in range(len(rows[0]["parts"])))
                         / len(rows[0]["parts"]))
        allowed = SCORE.MEETING_DOCS.get(q["meeting"])
        if allowed:
            w = sum(r["seed"] not in allowed for r in rows[:5])
            wrong += w
            nk += min(5, len(rows))
            if not q["names_meeting"]:
                wrong_u += w
                nk_u += min(5, len(rows))
    n = len(ranks)
    return {"hit@1": sum(r == 0 for r in ranks) / n, "hit@5": sum(r is not None and r < 5 for r in ranks) / n,
            "mrr@10": sum(1 / (r + 1) for r in ranks if r is not None) / n,
            "wrong_meeting@5": wrong / max(1, nk), "wrong_meeting@5_unnamed": wrong_u / max(1, nk_u),
            "unnamed_passages@5": nk_u, "abstain": sum(abstain) / max(1, len(abstain)),
            "mean_passages@10": sum(n_pass) / max(1, len(n_pass)),
            "mean_passages@5": sum(min(5, x) for x in n_pass) / max(1, len(n_pass))}


def squad_collect(qa: Any, sample: list[tuple[str, str]]) -> dict[str, list[tuple[str, float]]]:
    out = {}
    for qid, text in sample:
        out[qid] = [(p.doc_id, p.explanation["relevance"]) for p in qa.ask(text, k=100, explain=True).passages]
    return out


def squad_metrics(recorded: dict[str, list[tuple[str, float]]], qrels: dict[str, dict[str, int]],
                  floor: float | None, margin: float | None) -> dict[str, float]:
    from ammtc_qa.evaluation import score_run

    run = {}
    kept = []
    for qid, rows in recorded.items():
        rows_kept = keep([{"relevance": r, "doc": d} for d, r in rows], floor, margin)
        kept.append(len(rows_kept))
        ranking: dict[str, float] = {}
        for r in rows_kept:
            ranking.setdefault(r["doc"], 1.0 / (len(ranking) + 1))
        run[qid] = ranking
    out = score_run(qrels, run, ("nDCG@10", "R@5", "R@10", "R@100", "RR@10"))
    out["mean_passages"] = sum(kept) / max(1, len(kept))
    out["empty"] = sum(x == 0 for x in kept)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


class _Doc:
    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path)
    ap.add_argument("--squad", type=int, default=1000, help="squad-dev queries sampled (0: skip)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/cutoff-cache"))
    a = ap.parse_args()
    import ammtc_qa
    from ammtc_qa.evaluation import passages_to_run, score_run
    from ammtc_qa.evaluation.beir import load_beir

    off = {"min_relevance": None, "relative_cutoff": None}
    before = {**off, "evidence_meeting_boost": 0.0}
    qa = ammtc_qa.load()
    sets = {"dev": questions(DEV_QUESTIONS), "blind": questions(BLIND_QUESTIONS),
            "blind2": questions(BLIND2_QUESTIONS)}
    result: dict[str, Any] = {"floors": FLOORS, "margins": MARGINS, "boosts": BOOSTS, "sets": {}}
    t0 = time.perf_counter()
    for boost in BOOSTS:
        for name, qs in sets.items():
            rec = collect(qa, qs, evidence_meeting_boost=boost, **off)
            result["sets"].setdefault(name, {})[str(boost)] = {
                f"{f}/{m}{'/p' if p else ''}": metrics(rec, f, m, p) for f in FLOORS for m in MARGINS
                for p in (0.0, boost)}
        log(f"cutoff: boost {boost} done ({time.perf_counter() - t0:.0f} s)")
    result["report"] = {name: {"before": metrics(collect(qa, qs, **before), None, None),
                               "after": metrics(collect(qa, qs), None, None)} for name, qs in sets.items()}
    result["unrelated"] = [{"q": q, "relevance": [round(p.explanation["relevance"], 3) for p in
                                                   qa.ask(q, k=5, explain=True, **off).passages],
                            "after": len(qa.ask(q, k=5)), "notice": qa.ask(q, k=5).notice}
                           for q in UNRELATED]
    if a.squad:
        task = load_beir(SCORE_PY.parents[1] / "bench" / "squad-dev")
        qids = random.Random(a.seed).sample(task.judged_queries, a.squad)
        corpus = write_corpus(a.cache / "squad-corpus", squad_corpus())
        sq = ammtc_qa.load(corpus_dir=corpus, index_dir=a.cache / "squad-index", progress=False)
        defaults = sq.search_settings
        sq.search_settings = sq.search_settings.with_overrides(**before)
        t1 = time.perf_counter()
        rec_sq = squad_collect(sq, [(q, task.queries[q]) for q in qids])
        log(f"cutoff: squad {len(qids)} queries in {time.perf_counter() - t1:.0f} s")
        qrels = {q: task.qrels[q] for q in qids}
        sq.search_settings = defaults
        after = {qid: [p.doc_id for p in sq.ask(task.queries[qid], k=100).passages] for qid in qids}
        run = {qid: passages_to_run(_Doc(d) for d in docs) for qid, docs in after.items()}
        measured = score_run(qrels, run, ("nDCG@10", "R@5", "R@10", "R@100", "RR@10"))
        result["squad_after"] = {k: round(v, 4) if isinstance(v, float) else v for k, v in measured.items()}
        result["squad_after"]["mean_passages"] = sum(len(d) for d in after.values()) / len(after)
        result["squad_after"]["empty"] = sum(not d for d in after.values())
        result["squad"] = {"queries": len(qids), "seed": a.seed,
                           "grid": {f"{f}/{m}": squad_metrics(rec_sq, qrels, f, m) for f in FLOORS for m in MARGINS},
                           "top_relevance": sorted(round(max((r for _, r in rows), default=0.0), 3)
                                                   for rows in rec_sq.values())[:20]}
    text = json.dumps(result, indent=1)
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
