"""Answer quality: ours vs two plain baselines, on the dev questions and on squad-dev.

Baselines (each a small retriever with the library's duck-typed ``ask(q, k)`` /
``document(doc_id)`` interface, so ``ammtc_qa.evaluate`` scores all three identically):

(a) ``dense800``: 800-character chunks of the cleaned documents (the library's own
    cleaning, so citations point into the same ``document.text``), all-MiniLM-L6-v2,
    a flat inner-product FAISS index.
(b) ``bm25-paragraphs``: BM25 (bm25s, k1 0.9, b 0.4, lucene) over paragraphs (blank-line
    blocks of the cleaned text; on squad-dev one corpus row = one paragraph, indexed as
    title + text), English stop words, PyStemmer stemming.

Dev metrics use ``score.py``'s definitions via ``ammtc_qa.evaluate`` (with ``score.py``'s
boilerplate phrases passed in, on top of the generic rules); ``score.py`` itself is also
run on the library as a parity check. squad-dev: nDCG@10, R@10, R@100, MRR@10 via
``ammtc_qa.evaluation.beir.score_run`` on the first N judged queries in file order.
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from common import (
    BATCH_SIZE,
    CACHE,
    ROOT,
    SCORE_PY,
    emit,
    index_settings,
    log,
    section_args,
    squad_corpus,
    squad_queries,
    write_corpus,
)

from ammtc_qa.indexing.chunking import paragraph_spans

SQUAD_QUERIES = 300
QUICK_QUERIES = 200
CHUNK_CHARS = 800


# --------------------------------------------------------------------------- duck-typed retrievers


@dataclass(frozen=True)
class Hit:
    text: str
    doc_id: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Result:
    passages: list[Hit]


@dataclass(frozen=True)
class PlainDoc:
    doc_id: str
    text: str
    title: str = ""
    meetings: Any = None


class _Retriever:
    def __init__(self, docs: list[Any]) -> None:
        self.docs = {d.doc_id: d for d in docs}
        self.spans: list[tuple[str, int, int]] = []

    def document(self, doc_id: str) -> Any:
        return self.docs[doc_id]

    def _hits(self, rows: np.ndarray, scores: np.ndarray) -> Result:
        out = []
        for r, s in zip(rows.tolist(), scores.tolist(), strict=True):
            if r < 0:
                continue
            doc_id, start, end = self.spans[r]
            out.append(Hit(self.docs[doc_id].text[start:end], doc_id, start, end, float(s)))
        return Result(out)


def char_chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, int]]:
    """Consecutive windows of at most ``size`` characters, cut at the last space when there is one."""
    spans, pos = [], 0
    while pos < len(text):
        end = min(len(text), pos + size)
        if end < len(text):
            cut = text.rfind(" ", pos + size // 2, end)
            end = cut if cut > pos else end
        if text[pos:end].strip():
            spans.append((pos, end))
        pos = end
    return spans


class DenseChunks(_Retriever):
    """Baseline (a): 800-character chunks + all-MiniLM-L6-v2 + flat inner-product FAISS."""

    def __init__(self, docs: list[Any], model: Any, cache: Path | None = None) -> None:
        import faiss

        super().__init__(docs)
        self.model = model
        self.spans = [(d.doc_id, s, e) for d in docs for s, e in char_chunks(d.text)]
        texts = [self.docs[i].text[s:e] for i, s, e in self.spans]
        vectors = None
        if cache is not None:
            key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
            path = cache / f"dense800-{key}.npy"
            if path.is_file():
                vectors = np.load(path)
        if vectors is None:
            vectors = self.encode(texts)
            if cache is not None:
                cache.mkdir(parents=True, exist_ok=True)
                np.save(path, vectors)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def encode(self, texts: list[str]) -> np.ndarray:
        v = self.model.encode(texts, batch_size=BATCH_SIZE, show_progress_bar=False, convert_to_numpy=True,
                              normalize_embeddings=True)
        return np.ascontiguousarray(v, dtype=np.float32)

    def ask(self, question: str, k: int = 5) -> Result:
        return self.ask_vector(self.encode([question]), k)

    def ask_vector(self, query: np.ndarray, k: int) -> Result:
        scores, ids = self.index.search(query.reshape(1, -1), k)
        return self._hits(ids[0], scores[0])


class BM25Paragraphs(_Retriever):
    """Baseline (b): BM25 over paragraphs (k1 0.9, b 0.4, English stop words, stemming)."""

    def __init__(self, docs: list[Any], with_title: bool = False, whole_docs: bool = False) -> None:
        import bm25s
        import Stemmer

        super().__init__(docs)
        self.stemmer = Stemmer.Stemmer("english")
        for d in docs:
            spans = [(0, len(d.text))] if whole_docs else paragraph_spans(d.text)
            self.spans.extend((d.doc_id, s, e) for s, e in spans)
        texts = []
        for doc_id, s, e in self.spans:
            d = self.docs[doc_id]
            body = d.text[s:e]
            texts.append(f"{d.title}\n{body}" if with_title and d.title else body)
        self.retriever = bm25s.BM25(k1=0.9, b=0.4, method="lucene")
        self.retriever.index(self._tokens(texts), show_progress=False)

    def _tokens(self, texts: list[str]) -> Any:
        import bm25s

        return bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)

    def ask(self, question: str, k: int = 5) -> Result:
        return self.ask_many([question], k)[0]

    def ask_many(self, questions: list[str], k: int) -> list[Result]:
        k = min(k, len(self.spans))
        ids, scores = self.retriever.retrieve(self._tokens(questions), k=k, show_progress=False, n_threads=0)
        return [self._hits(ids[i], scores[i]) for i in range(len(questions))]


# --------------------------------------------------------------------------- dev questions


def judge_boilerplate() -> list[str]:
    """``score.py``'s BOILER phrases, read from its source (importing it would read the seeds)."""
    tree = ast.parse(SCORE_PY.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "BOILER" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return []


def score_py_parity() -> dict[str, Any]:
    """``score.py --json`` on the library (the judge's own numbers, seed-file meeting map)."""
    try:
        out = subprocess.run([sys.executable, str(SCORE_PY), "--json"], cwd=ROOT, text=True,
                             capture_output=True, timeout=900, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    except (subprocess.SubprocessError, json.JSONDecodeError, IndexError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def question_sets_quality(embedder: Any) -> dict[str, dict[str, Any]]:
    """The dev and both blind question sets, each scored on ours and both baselines (built once)."""
    from common import BLIND2_QUESTIONS, BLIND_QUESTIONS, DEV_QUESTIONS

    import ammtc_qa
    from ammtc_qa.evaluation.questions import evaluate, load_questions

    qa = ammtc_qa.load()
    boiler = judge_boilerplate()
    docs = qa.documents()
    systems: dict[str, Any] = {
        "ours": qa,
        "dense800": DenseChunks(docs, embedder.model),
        "bm25-paragraphs": BM25Paragraphs(docs),
    }
    passages = {"ours": int(qa.info()["chunks"]), "dense800": len(systems["dense800"].spans),
                "bm25-paragraphs": len(systems["bm25-paragraphs"].spans)}
    results: dict[str, dict[str, Any]] = {}
    for set_name, path in (("dev", DEV_QUESTIONS), ("blind", BLIND_QUESTIONS), ("blind2", BLIND2_QUESTIONS)):
        questions = load_questions(path)
        out: dict[str, Any] = {"questions": len(questions), "judge_boilerplate_phrases": len(boiler)}
        for name, system in systems.items():
            report = evaluate(system, questions, k=5, deep=10, boilerplate=boiler)
            out[name] = {k: v for k, v in report.metrics.items() if not k.startswith("ask_")}
            out[name]["misses"] = [m.id for m in report.misses]
        out["passages_indexed"] = passages
        results[set_name] = out
    results["dev"]["score_py_ours"] = score_py_parity()
    return results


# --------------------------------------------------------------------------- squad-dev


def squad_quality(embedder: Any, quick: bool, full: bool) -> dict[str, Any]:
    from build import squad_paths

    import ammtc_qa
    from ammtc_qa.evaluation.beir import passages_to_run, score_run

    corpus_dir, index_dir, limit = squad_paths(quick)
    raw = squad_corpus(limit)
    write_corpus(corpus_dir, raw)
    n_queries = None if full else (QUICK_QUERIES if quick else SQUAD_QUERIES)
    queries, qrels = squad_queries({d["id"] for d in raw}, n_queries)
    log(f"quality: squad-dev, {len(raw)} paragraphs, {len(queries)} queries")
    t0 = time.perf_counter()
    qa = ammtc_qa.load(corpus_dir=corpus_dir, index_dir=index_dir, progress=False,
                       settings=index_settings(index_dir))
    load_s = time.perf_counter() - t0
    runs: dict[str, dict[str, dict[str, float]]] = {"ours": {}, "dense800": {}, "bm25-paragraphs": {}}
    t0 = time.perf_counter()
    for i, (qid, text) in enumerate(queries):
        runs["ours"][qid] = passages_to_run(qa.ask(text, k=100).passages)
        if i and i % 200 == 0:
            log(f"quality: ours {i}/{len(queries)} ({(time.perf_counter() - t0) / i * 1000:.0f} ms/q)")
    ours_s = time.perf_counter() - t0

    dense = DenseChunks(qa.documents(), embedder.model, cache=CACHE)
    qvecs = dense.encode([t for _, t in queries])
    for (qid, _), v in zip(queries, qvecs, strict=True):
        runs["dense800"][qid] = passages_to_run(dense.ask_vector(v, 100).passages)
    plain = [PlainDoc(d["id"], d["text"], d["title"]) for d in raw]
    bm25 = BM25Paragraphs(plain, with_title=True, whole_docs=True)
    for (qid, _), res in zip(queries, bm25.ask_many([t for _, t in queries], 100), strict=True):
        runs["bm25-paragraphs"][qid] = passages_to_run(res.passages)

    out: dict[str, Any] = {"index_settings": qa.index_settings.fingerprint(),
                           "paragraphs": len(raw), "queries": len(queries),
                           "query_selection": "all judged" if n_queries is None else f"first {len(queries)} judged, "
                                                                                        "file order",
                           "index_load_s": round(load_s, 2), "ours_ask_ms_mean": round(ours_s / len(queries) * 1000, 1),
                           "passages_indexed": {"ours": int(qa.info()["chunks"]), "dense800": len(dense.spans),
                                                "bm25-paragraphs": len(bm25.spans)}}
    for name, run in runs.items():
        out[name] = {k: round(v, 4) if isinstance(v, float) else v for k, v in score_run(qrels, run).items()}
    return out


def run(quick: bool = False, full: bool = False) -> dict[str, Any]:
    from ammtc_qa.indexing.embedding import load_embedder

    embedder = load_embedder()
    return {**question_sets_quality(embedder), "squad": squad_quality(embedder, quick, full)}


def main() -> None:
    args = section_args()
    emit(run(args.quick, args.full), args.out)


if __name__ == "__main__":
    main()
