"""Tests for ammtc_qa.evaluation.beir: loaders, passage folding and metrics, with a fake library.

No model is loaded: ``evaluate_beir`` is run against a fake ``ammtc_qa`` module whose
``load`` returns canned passages, so the expected scores can be worked out by hand.
"""

from __future__ import annotations

import json
import math
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ammtc_qa.evaluation.beir import evaluate_beir, load_beir, passages_to_run, score_run

# --------------------------------------------------------------------------- score_run


def test_score_run_known_ndcg() -> None:
    # q1: relevant d1, d2 (d9 judged non-relevant); ranking d3, d1, d2.
    #   DCG@10  = 1/log2(3) + 1/log2(4)       = 0.630930 + 0.5      = 1.130930
    #   IDCG@10 = 1/log2(2) + 1/log2(3)       = 1 + 0.630930        = 1.630930
    #   nDCG@10 = 1.130930 / 1.630930         = 0.693426
    #   RR@10 = 1/2 (first relevant at rank 2); R@10 = R@100 = 2/2
    qrels = {"q1": {"d1": 1, "d2": 1, "d9": 0}}
    run = {"q1": {"d3": 3.0, "d1": 2.0, "d2": 1.0}}
    m = score_run(qrels, run)
    ndcg = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg == pytest.approx(0.693426, abs=1e-6)
    assert m["nDCG@10"] == pytest.approx(ndcg)
    assert m["RR@10"] == pytest.approx(0.5)
    assert m["R@10"] == m["R@100"] == pytest.approx(1.0)
    assert m["queries"] == 1


def test_score_run_graded_gain_is_linear() -> None:
    # trec_eval's ndcg_cut uses gain = relevance (not 2^rel - 1). qrels a:2, b:1; ranking b, a.
    #   DCG = 1/1 + 2/log2(3) = 2.261860; IDCG = 2/1 + 1/log2(3) = 2.630930; nDCG = 0.859719
    m = score_run({"q": {"a": 2, "b": 1}}, {"q": {"b": 2.0, "a": 1.0}})
    assert m["nDCG@10"] == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert m["nDCG@10"] == pytest.approx(0.859719, abs=1e-6)


def test_score_run_empty_and_missing_queries_score_zero() -> None:
    qrels = {
        "q1": {"d1": 1, "d2": 1, "d9": 0},
        "q2": {"d4": 1},  # retrieves nothing: 0 on every measure, still in the mean
        "q3": {"d5": 0},  # no relevant document: not judged, left out of the mean
        "q4": {"d6": 1},  # absent from the run: 0 too
    }
    run = {"q1": {"d3": 3.0, "d1": 2.0, "d2": 1.0}, "q2": {}, "extra": {"d1": 1.0}}
    m = score_run(qrels, run)
    assert m["queries"] == 3
    assert m["nDCG@10"] == pytest.approx(0.693426 / 3, abs=1e-6)
    assert m["RR@10"] == pytest.approx(0.5 / 3)
    assert m["R@10"] == pytest.approx(1 / 3)
    # nothing at all retrieved anywhere: zeros, no crash
    zero = score_run({"q": {"d": 1}}, {"q": {}})
    assert zero == {"nDCG@10": 0.0, "R@10": 0.0, "R@100": 0.0, "RR@10": 0.0, "queries": 1}
    assert score_run({}, {})["queries"] == 0


def test_recall_at_100_sees_beyond_10() -> None:
    run = {"q": {f"x{i}": 100.0 - i for i in range(20)}}  # relevant x15 at rank 16
    m = score_run({"q": {"x15": 1}}, run)
    assert m["R@10"] == 0.0 and m["R@100"] == 1.0 and m["RR@10"] == 0.0


# --------------------------------------------------------------------------- passages_to_run


@dataclass
class P:
    doc_id: str
    score: float
    text: str = "t"
    start: int = 0
    end: int = 1


def test_passages_to_run_rank_order_dedupe_and_own_id() -> None:
    # passage scores are deliberately not monotone: the returned order is what counts
    ps = [P("own", 9.0), P("b", 0.1), P("a", 0.9), P("b", 5.0), P("c", 0.5)]
    run = passages_to_run(ps, drop_id="own")
    assert list(run) == ["b", "a", "c"]
    assert run == {"b": 1.0, "a": 0.5, "c": pytest.approx(1 / 3)}
    assert passages_to_run([]) == {}


# --------------------------------------------------------------------------- loaders


def make_task(tmp_path: Path, corpus: list[str] | None = None, queries: list[str] | None = None,
              qrels: list[str] | None = None) -> Path:
    root = tmp_path / "task"
    (root / "qrels").mkdir(parents=True)
    corpus = corpus if corpus is not None else [
        json.dumps({"_id": "d1", "title": "Fruit", "text": "apples are red"}),
        json.dumps({"_id": "d2", "title": "Fruit", "text": "bananas are yellow"}),
        json.dumps({"_id": "qa", "text": "an argument that is also a query"}),
    ]
    queries = queries if queries is not None else [
        json.dumps({"_id": "q1", "text": "red fruit", "metadata": {}}),
        json.dumps({"_id": "qa", "text": "argument"}),
        json.dumps({"_id": "q3", "text": "nothing"}),
        json.dumps({"_id": "q4", "text": "unjudged"}),
    ]
    qrels = qrels if qrels is not None else [
        "query-id\tcorpus-id\tscore", "q1\td1\t1", "qa\td2\t1", "q3\td2\t1",
    ]
    (root / "corpus.jsonl").write_text("\n".join(corpus) + "\n", encoding="utf-8")
    (root / "queries.jsonl").write_text("\n".join(queries) + "\n", encoding="utf-8")
    (root / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n", encoding="utf-8")
    return root


def test_load_beir_ok(tmp_path: Path) -> None:
    task = load_beir(make_task(tmp_path))
    assert task.corpus["d1"] == {"title": "Fruit", "text": "apples are red"}
    assert task.corpus["qa"]["title"] == ""
    assert task.queries["q1"] == "red fruit"
    assert task.qrels == {"q1": {"d1": 1}, "qa": {"d2": 1}, "q3": {"d2": 1}}
    assert task.judged_queries == ["q1", "qa", "q3"]
    assert task.skipped_qrels == 0


def test_load_beir_real_folder_head() -> None:
    folder = Path("/work/shared/bench/squad-dev")
    if not folder.is_dir():
        pytest.skip("squad-dev not available")
    task = load_beir(folder)  # ~3.6 MB of JSON lines: well under a second
    assert len(task.corpus) == 2067 and len(task.queries) == 10570
    assert task.qrels["56be4db0acb8001400a502ec"] == {"0_0": 1}


@pytest.mark.parametrize(("which", "lines", "lineno", "problem"), [
    ("corpus", ['{"_id": "d1", "text": "a"}', '{"_id": "d2", "text": '], 2, "bad JSON"),
    ("corpus", ['{"_id": "d1", "text": "a"}', '{"text": "b"}'], 2, 'missing "_id"'),
    ("corpus", ['{"_id": "d1"}'], 1, 'missing "text"'),
    ("corpus", ['{"_id": "d1", "text": "a"}', '{"_id": "d1", "text": "b"}'], 2, "duplicate _id"),
    ("queries", ['{"_id": "q1", "text": "a"}', "", '{"_id": "q2"}'], 3, 'missing "text"'),
    ("queries", ['{"_id": "q1", "text": "a"}', "[1, 2]"], 2, "JSON object"),
    ("qrels", ["query-id\tcorpus-id\tscore", "q1\td1"], 2, "3 tab-separated fields"),
    ("qrels", ["query-id\tcorpus-id\tscore", "q1 d1 1"], 2, "3 tab-separated fields"),
    ("qrels", ["query-id\tcorpus-id\tscore", "q1\td1\t1", "q1\td2\thigh"], 3, "not an integer"),
])
def test_load_beir_malformed(tmp_path: Path, which: str, lines: list[str], lineno: int, problem: str) -> None:
    root = make_task(tmp_path, **{which: lines})
    path = {"corpus": root / "corpus.jsonl", "queries": root / "queries.jsonl",
            "qrels": root / "qrels" / "test.tsv"}[which]
    with pytest.raises(ValueError) as e:
        load_beir(root)
    assert f"{path}:{lineno}:" in str(e.value) and problem in str(e.value)


def test_load_beir_unknown_query_skipped_with_warning(tmp_path: Path) -> None:
    root = make_task(tmp_path, qrels=["query-id\tcorpus-id\tscore", "q1\td1\t1", "zz\td1\t1", "yy\td2\t1"])
    with pytest.warns(UserWarning, match="skipped 2 qrels rows"):
        task = load_beir(root)
    assert task.skipped_qrels == 2 and task.qrels == {"q1": {"d1": 1}}


def test_load_beir_missing_file(tmp_path: Path) -> None:
    root = make_task(tmp_path)
    (root / "queries.jsonl").unlink()
    with pytest.raises(FileNotFoundError, match="queries.jsonl"):
        load_beir(root)


# --------------------------------------------------------------------------- evaluate_beir


@dataclass
class FakeAnswer:
    question: str
    passages: list[P]
    notice: str | None = None


class FakeQA:
    # Best first; passage scores increase down the list so that a scorer trusting them
    # would invert the ranking.
    CANNED = {
        "red fruit": [P("d2", 0.1), P("d1", 0.2), P("d1", 0.3)],
        "argument": [P("qa", 0.1), P("d2", 0.2)],  # its own document first: must be dropped
        "nothing": [],
    }

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    def ask(self, question: str, k: int = 10) -> FakeAnswer:
        self.asked.append((question, k))
        return FakeAnswer(question, self.CANNED.get(question, [])[:k])


@pytest.fixture
def fake_lib(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Install a fake ``ammtc_qa`` whose ``load`` records what it was given."""
    seen: dict[str, Any] = {}

    def load(corpus_dir: Path | None = None, index_dir: Path | None = None, **kw: Any) -> FakeQA:
        assert corpus_dir is not None
        files = sorted(Path(corpus_dir).iterdir())
        seen["files"] = [f.name for f in files]
        seen["docs"] = [json.loads(x) for x in files[0].read_text(encoding="utf-8").splitlines()]
        seen["index_dir"] = index_dir
        seen["kwargs"] = kw
        seen["qa"] = FakeQA()
        return seen["qa"]

    mod = types.ModuleType("ammtc_qa")
    mod.load = load  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ammtc_qa", mod)
    return seen


def test_evaluate_beir_end_to_end(tmp_path: Path, fake_lib: dict[str, Any]) -> None:
    root = make_task(tmp_path)
    m = evaluate_beir(root, k=7, progress=False, settings="x")
    # corpus written as one .jsonl with id/title/text, ids verbatim
    assert fake_lib["files"] == ["corpus.jsonl"]
    assert fake_lib["docs"][0] == {"id": "d1", "title": "Fruit", "text": "apples are red"}
    assert fake_lib["kwargs"] == {"settings": "x"}
    assert fake_lib["index_dir"] is not None
    # only judged queries, in file order, asked with k
    assert fake_lib["qa"].asked == [("red fruit", 7), ("argument", 7), ("nothing", 7)]
    # q1: d2, d1 -> relevant at rank 2: nDCG 1/log2(3), RR 1/2, R 1
    # qa: own doc dropped -> d2 at rank 1: all 1
    # q3: nothing retrieved: all 0
    assert m["queries"] == 3
    assert m["nDCG@10"] == pytest.approx((1 / math.log2(3) + 1 + 0) / 3)
    assert m["RR@10"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert m["R@10"] == pytest.approx(2 / 3) and m["R@100"] == pytest.approx(2 / 3)
    assert {"load_s", "ask_p50_ms", "ask_p95_ms"} <= set(m)


def test_evaluate_beir_max_queries_and_index_dir(tmp_path: Path, fake_lib: dict[str, Any]) -> None:
    root = make_task(tmp_path)
    idx = tmp_path / "idx"
    m = evaluate_beir(root, index_dir=idx, max_queries=1, progress=True)
    assert fake_lib["index_dir"] == idx
    assert fake_lib["qa"].asked == [("red fruit", 100)]
    assert m["queries"] == 1 and m["nDCG@10"] == pytest.approx(1 / math.log2(3))
