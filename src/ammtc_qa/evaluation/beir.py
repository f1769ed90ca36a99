"""Retrieval benchmarks in BEIR format (corpus.jsonl, queries.jsonl, qrels/<split>.tsv).

The question set of the project is small and about one topic; a BEIR task is a large,
general check that the default pipeline is not overfitted to it and still beats plain
BM25 and plain dense retrieval on ordinary text. The library answers with passages, a
BEIR task judges documents, so passages are folded into a document ranking here.

Metrics come from ``ir_measures`` (trec_eval semantics) rather than being re-implemented:
BEIR numbers are only comparable with published ones if computed the same way. Heavy
imports (the library itself, ``ir_measures``, ``tqdm``) happen inside the functions.
"""

from __future__ import annotations

import json
import tempfile
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MissingFileError
from ..input.jsonl import json_objects, line_error

__all__ = ["MEASURES", "BeirTask", "evaluate_beir", "load_beir", "passages_to_run", "score_run"]

MEASURES: tuple[str, ...] = ("nDCG@10", "R@10", "R@100", "RR@10")
"""The reported measures, in ``ir_measures`` notation (also the keys of the result)."""


@dataclass
class BeirTask:
    """A loaded BEIR task.

    ``corpus`` maps doc id to ``{"title", "text"}``; ``queries`` maps query id to its text
    (only queries that have qrels are worth running, see :attr:`judged_queries`); ``qrels``
    maps query id to ``{doc id: relevance}``. ``skipped_qrels`` counts qrels rows dropped
    because they name a query that is not in ``queries.jsonl``.
    """

    folder: Path
    corpus: dict[str, dict[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    skipped_qrels: int = 0

    @property
    def judged_queries(self) -> list[str]:
        """Query ids with at least one relevant document, in ``queries.jsonl`` order.

        File order keeps ``max_queries`` runs reproducible; a query with no relevant
        document cannot score anything and only dilutes the averages.
        """
        return [q for q in self.queries if any(r > 0 for r in self.qrels.get(q, {}).values())]


_err = line_error


def _read_jsonl(path: Path, required: Sequence[str]) -> Iterable[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line, validating required string keys."""
    if not path.is_file():
        raise MissingFileError(f"{path}: missing (a BEIR folder needs corpus.jsonl, queries.jsonl, qrels/)")
    for lineno, obj in json_objects(path):
        for key in required:
            if key not in obj:
                raise _err(path, lineno, f'missing "{key}"')
            if not isinstance(obj[key], (str, int)):
                raise _err(path, lineno, f'"{key}" must be a string')
        yield lineno, obj


def load_beir(folder: str | Path, *, split: str = "test") -> BeirTask:
    """Load a BEIR folder, failing loudly (file and line) on malformed input.

    A silently dropped document or judgment shifts every score, so bad JSON, a missing
    ``_id``/``text``, a duplicate id, or a qrels row that is not ``query<TAB>doc<TAB>int``
    is an error. Qrels naming an unknown query are skipped with one warning (common in
    published BEIR sets, where the qrels file covers several query files); qrels naming
    an unknown document are kept, since dropping them would inflate recall.
    """
    root = Path(folder)
    corpus: dict[str, dict[str, str]] = {}
    cpath = root / "corpus.jsonl"
    for lineno, obj in _read_jsonl(cpath, ("_id", "text")):
        did = str(obj["_id"])
        if did in corpus:
            raise _err(cpath, lineno, f'duplicate _id "{did}"')
        title = obj.get("title") or ""
        corpus[did] = {"title": str(title), "text": str(obj["text"])}

    queries: dict[str, str] = {}
    qpath = root / "queries.jsonl"
    for lineno, obj in _read_jsonl(qpath, ("_id", "text")):
        qid = str(obj["_id"])
        if qid in queries:
            raise _err(qpath, lineno, f'duplicate _id "{qid}"')
        queries[qid] = str(obj["text"])

    rpath = root / "qrels" / f"{split}.tsv"
    if not rpath.is_file():
        raise MissingFileError(f"{rpath}: missing")
    qrels: dict[str, dict[str, int]] = {}
    skipped = unknown_docs = 0
    with rpath.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 3:
                raise _err(rpath, lineno, f"expected 3 tab-separated fields (query-id, corpus-id, score), "
                                          f"got {len(fields)}")
            qid, did, score = (f.strip() for f in fields)
            try:
                rel = int(score)
            except ValueError:
                if lineno == 1:  # the BEIR header line: query-id corpus-id score
                    continue
                raise _err(rpath, lineno, f'score "{score}" is not an integer') from None
            if qid not in queries:
                skipped += 1
                continue
            if did not in corpus:
                unknown_docs += 1
            qrels.setdefault(qid, {})[did] = rel
    if skipped:
        warnings.warn(f"{rpath}: skipped {skipped} qrels rows naming queries not in {qpath.name}",
                      stacklevel=2)
    if unknown_docs:
        warnings.warn(f"{rpath}: {unknown_docs} qrels rows name documents not in {cpath.name} "
                      "(kept: they count as unretrievable)", stacklevel=2)
    return BeirTask(folder=root, corpus=corpus, queries=queries, qrels=qrels, skipped_qrels=skipped)


def passages_to_run(passages: Iterable[Any], *, drop_id: str | None = None) -> dict[str, float]:
    """Fold best-first passages into a document ranking ``{doc_id: score}``.

    A document ranks where its best passage ranks. Scores are ``1 / rank`` rather than the
    passage scores because fused or reranked passage scores need not be monotone in the
    returned order, and trec_eval sorts by score: only the order the library chose counts.
    ``drop_id`` removes the query's own document (ArguAna-style tasks, where each query is
    itself a corpus document that would otherwise trivially rank first).
    """
    run: dict[str, float] = {}
    for p in passages:
        did = str(p.doc_id)
        if did == drop_id or did in run:
            continue
        run[did] = 1.0 / (len(run) + 1)
    return run


def score_run(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    measures: Sequence[str] = MEASURES,
) -> dict[str, float]:
    """Mean of each measure over the judged queries (those with a relevant document).

    A judged query absent from ``run`` or with an empty ranking scores 0 on every measure:
    trec_eval-based tools would leave it out of the mean and so reward a system for
    returning nothing on its hardest queries. Queries in ``run`` without judgments are
    ignored. Returns ``{measure: value}`` plus ``"queries"``, the number averaged over.
    """
    import ir_measures

    parsed = [ir_measures.parse_measure(m) for m in measures]
    judged = [q for q, rels in qrels.items() if any(r > 0 for r in rels.values())]
    out: dict[str, float] = {m: 0.0 for m in measures}
    if judged:
        q_in = {q: {d: int(r) for d, r in qrels[q].items()} for q in judged}
        r_in = {q: {d: float(s) for d, s in run[q].items()} for q in judged if run.get(q)}
        names = {str(pm): m for pm, m in zip(parsed, measures, strict=True)}
        totals = dict.fromkeys(measures, 0.0)
        if r_in:
            for metric in ir_measures.iter_calc(parsed, q_in, r_in):
                if metric.query_id in r_in:
                    totals[names[str(metric.measure)]] += float(metric.value)
        out = {m: totals[m] / len(judged) for m in measures}
    out["queries"] = len(judged)
    return out


def evaluate_beir(
    folder: str | Path,
    *,
    index_dir: str | Path | None = None,
    k: int = 100,
    max_queries: int | None = None,
    progress: bool = True,
    **load_kwargs: Any,
) -> dict[str, float]:
    """Index a BEIR corpus with the library, run its queries and score the rankings.

    The corpus is written as one ``corpus.jsonl`` (``id``, ``title``, ``text``) so that the
    library ingests it through its ordinary path and keeps the BEIR ids as doc ids. Each
    query is asked with ``qa.ask(text, k=k)``; since ``k`` counts passages, R@100 is really
    recall over the documents of the top ``k`` passages. Pass ``index_dir`` to keep the
    index between runs (otherwise it is built in a temporary folder and discarded);
    ``max_queries`` takes the first judged queries in file order. ``load_kwargs`` go to
    ``ammtc_qa.load``. Returns the measures of :data:`MEASURES` plus ``queries``,
    ``load_s`` and ask latency percentiles.
    """
    import ammtc_qa

    task = load_beir(folder)
    qids = task.judged_queries
    if max_queries is not None:
        qids = qids[:max_queries]

    with tempfile.TemporaryDirectory(prefix="ammtc-beir-") as tmp:
        corpus_dir = Path(tmp) / "corpus"
        corpus_dir.mkdir()
        with (corpus_dir / "corpus.jsonl").open("w", encoding="utf-8") as fh:
            for did, doc in task.corpus.items():
                fh.write(json.dumps({"id": did, "title": doc["title"], "text": doc["text"]},
                                    ensure_ascii=False) + "\n")
        idx = Path(index_dir) if index_dir is not None else Path(tmp) / "index"

        t0 = time.perf_counter()
        qa = ammtc_qa.load(corpus_dir=corpus_dir, index_dir=idx, **load_kwargs)
        load_s = time.perf_counter() - t0

        it: Iterable[str] = qids
        if progress:
            from tqdm import tqdm

            it = tqdm(qids, desc=f"beir {task.folder.name}", unit="q")
        run: dict[str, dict[str, float]] = {}
        lat: list[float] = []
        for qid in it:
            t = time.perf_counter()
            answer = qa.ask(task.queries[qid], k=k)
            lat.append(time.perf_counter() - t)
            run[qid] = passages_to_run(answer.passages, drop_id=qid)

    result = score_run({q: task.qrels[q] for q in qids}, run)
    lat.sort()
    result["load_s"] = round(load_s, 3)
    result["ask_p50_ms"] = round(lat[len(lat) // 2] * 1000, 2) if lat else 0.0
    result["ask_p95_ms"] = round(lat[min(len(lat) - 1, int(0.95 * len(lat)))] * 1000, 2) if lat else 0.0
    return result
