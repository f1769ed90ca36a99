"""The contract every backend must honour, as a pytest mixin shipped in the package.

Subclass ``BackendContract`` in a test module (the class name must start with ``Test``) and
implement ``build(docs, tmp_path)`` (a backend holding exactly ``docs``) and, for writable
backends, ``apply(backend, change)``. Every test compares the backend with
``ReferenceBackend``: brute-force cosine over the stored vectors and a bm25s index built
from scratch over the live passages, the simplest implementation that is obviously right.

    class TestMyStore(BackendContract):
        exact = True
        def build(self, docs, tmp_path): ...
        def apply(self, backend, change): ...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..backends.base import Backend, ChangeSet, Hits, IndexedDocument, IndexedPassage, PassageRecord, SentenceBlock
from ..backends.filters import DocMeta, Filter
from ..input.document import Document
from ..text.meetings import MeetingProfile

WORDS = [f"w{i}" for i in range(60)] + ["ammtc_19", "somtc_20", "drug", "fraud", "cyber", "border"]
PUBLISHERS = ["VNA", "Bernama", "MPS", None]
MEETINGS = ["AMMTC 19", "AMMTC 18", "SOMTC 20"]


def synthetic_documents(n_docs: int, *, seed: int = 0, dim: int = 16, prefix: str = "d") -> list[IndexedDocument]:
    """Articles of random words with random unit vectors: enough structure for every check, no model."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    out = []
    for d in range(n_docs):
        passages = []
        parts: list[str] = []
        pos = 0
        for _ in range(pick.randint(1, 4)):
            sentences = []
            start = pos
            for _ in range(pick.randint(1, 3)):
                words = [pick.choice(WORDS) for _ in range(pick.randint(3, 9))]
                sentence = " ".join(words) + "."
                sentences.append((pos, pos + len(sentence)))
                parts.append(sentence)
                pos += len(sentence) + 1
            end = pos - 1
            text_so_far = " ".join(parts)
            tokens = tuple(t.strip(".") for t in text_so_far[start:end].split())
            vec = rng.normal(size=dim).astype(np.float32)
            svecs = rng.normal(size=(len(sentences), dim)).astype(np.float32)
            passages.append(IndexedPassage(start, end, tuple(sentences), tokens,
                                           (vec / np.linalg.norm(vec)).astype(np.float16),
                                           (svecs / np.linalg.norm(svecs, axis=1, keepdims=True)).astype(np.float16),
                                           text_key=rng.bytes(32), sentence_keys=tuple(rng.bytes(32)
                                                                                       for _ in sentences)))
        text = " ".join(parts)
        mentioned = tuple(sorted(pick.sample(MEETINGS, pick.randint(0, 2))))
        date = dt.date(2019, 1, 1) + dt.timedelta(days=pick.randint(0, 2500)) if pick.random() < 0.8 else None
        doc = Document(doc_id=f"{prefix}{d}", text=text, title=f"Title {d}", date=date,
                       publisher=pick.choice(PUBLISHERS), language=pick.choice(["en", "vi"]), source=f"{prefix}{d}.txt",
                       meetings=MeetingProfile(mentioned[0] if mentioned else None, mentioned, (), None))
        out.append(IndexedDocument(doc, tuple(passages), text_sha=hashlib.sha256(text.encode()).hexdigest()))
    return out


class ReferenceBackend:
    """The oracle: every live passage in memory, brute-force search, bm25s for BM25."""

    name = "reference"

    def __init__(self, docs: Sequence[IndexedDocument], k1: float = 0.9, b: float = 0.4) -> None:
        self.docs = {d.document.doc_id: d for d in docs}
        self.k1, self.b = k1, b
        self.records: list[PassageRecord] = []
        vectors, svecs, tokens, metas = [], [], [], []
        pid = 0
        for item in docs:
            for position, p in enumerate(item.passages):
                self.records.append(PassageRecord(pid, item.document.doc_id, p.start, p.end, position, p.sentences))
                vectors.append(np.asarray(p.vector, dtype=np.float32))
                svecs.append(np.asarray(p.sentence_vectors, dtype=np.float32))
                tokens.append(list(p.tokens))
                metas.append(DocMeta.of(item.document))
                pid += 1
        self._vectors = np.stack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
        self._svecs = svecs
        self._meta = metas
        self._tokens = tokens
        import bm25s

        self.bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.bm25.index(tokens, show_progress=False)
        self._vocab = self.bm25.vocab_dict
        self._by_pid = {r.pid: i for i, r in enumerate(self.records)}

    def __len__(self) -> int:
        return len(self.records)

    @property
    def dim(self) -> int:
        return int(self._vectors.shape[1])

    @property
    def state(self) -> Mapping[str, Any]:
        return {"counts": {"documents": len(self.docs), "chunks": len(self.records)}}

    def _mask(self, where: Filter | None) -> np.ndarray:
        if where is None:
            return np.ones(len(self.records), dtype=bool)
        return np.array([where.matches(m) for m in self._meta], dtype=bool)

    def dense_search(self, query: np.ndarray, k: int, where: Filter | None = None) -> Hits:
        mask = self._mask(where)
        scores = self._vectors @ np.asarray(query, dtype=np.float32)
        ids = np.array([r.pid for r in self.records], dtype=np.int64)
        return Hits.top(ids[mask], scores[mask], k)

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        return self._vectors[[self._by_pid[int(i)] for i in ids]]

    def _all_scores(self, tokens: Sequence[str]) -> np.ndarray:
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return np.zeros(len(self.records), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def lexical_search(self, tokens: Sequence[str], k: int, where: Filter | None = None) -> Hits:
        scores = self._all_scores(tokens)
        keep = self._mask(where) & (scores > 0)
        ids = np.array([r.pid for r in self.records], dtype=np.int64)
        return Hits.top(ids[keep], scores[keep], k)

    def lexical_scores(self, tokens: Sequence[str], ids: Sequence[int]) -> np.ndarray:
        scores = self._all_scores(tokens)
        return scores[[self._by_pid[int(i)] for i in ids]] if len(ids) else np.zeros(0, dtype=np.float32)

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        n = len(self.records)
        out = {}
        for t in set(tokens):
            df = sum(t in set(toks) for toks in self._tokens)
            if df:
                out[t] = float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return out

    def passages(self, ids: Sequence[int]) -> list[PassageRecord]:
        return [self.records[self._by_pid[int(i)]] for i in ids]

    def sentence_vectors(self, ids: Sequence[int]) -> SentenceBlock:
        return SentenceBlock.of([self._svecs[self._by_pid[int(i)]] for i in ids], self.dim)

    def document(self, doc_id: str) -> Document:
        return self.docs[doc_id].document

    def documents(self) -> Iterator[Document]:
        return (d.document for d in self.docs.values())

    def doc_meta(self) -> list[DocMeta]:
        return [DocMeta.of(d.document) for d in self.docs.values()]

    def copies(self, doc_id: str) -> tuple[str, ...]:
        return ()

    def passage_ids(self, doc_id: str) -> list[int]:
        return [r.pid for r in self.records if r.doc_id == doc_id]


def random_filters(seed: int = 0, n: int = 12) -> list[Filter]:
    pick = random.Random(seed)
    out = [Filter()]
    for _ in range(n):
        fields: dict[str, Any] = {}
        if pick.random() < 0.4:
            fields["meetings"] = pick.sample(MEETINGS, pick.randint(1, 2))
        if pick.random() < 0.4:
            fields["since"] = dt.date(2019, 1, 1) + dt.timedelta(days=pick.randint(0, 2000))
        if pick.random() < 0.3:
            fields["until"] = dt.date(2020, 1, 1) + dt.timedelta(days=pick.randint(0, 2000))
        if pick.random() < 0.3:
            fields["publishers"] = [p for p in pick.sample(PUBLISHERS, 2) if p] or ["VNA"]
        if pick.random() < 0.2:
            fields["languages"] = ["vi"]
        if pick.random() < 0.2:
            fields["doc_ids"] = [f"d{pick.randint(0, 40)}" for _ in range(5)]
        out.append(Filter(**fields))
    return out


QUERY_TOKENS = [["w1", "w2"], ["drug", "fraud", "w3"], ["ammtc_19"], ["w5", "w5", "border"], ["nope"], []]


def _live_ids(backend: Backend) -> list[int]:
    return sorted(p for m in backend.doc_meta() for p in backend.passage_ids(m.doc_id))


class BackendContract:
    """Mix into a ``Test*`` class; implement ``build`` (and ``apply`` for writable backends)."""

    exact: bool = True
    """Dense search is exact (else a recall floor is checked instead of equality)."""
    writable: bool = True
    n_docs: int = 40
    dim: int = 16

    def build(self, docs: list[IndexedDocument], tmp_path: Path) -> Backend:
        raise NotImplementedError

    def apply(self, backend: Backend, change: ChangeSet) -> Backend:
        return backend.apply(change)  # type: ignore[attr-defined]

    # -- helpers ---------------------------------------------------------------------------------
    def _pair(self, tmp_path: Path, seed: int = 0) -> tuple[Backend, ReferenceBackend]:
        docs = synthetic_documents(self.n_docs, seed=seed, dim=self.dim)
        return self.build(docs, tmp_path), ReferenceBackend(docs)

    def _queries(self, seed: int = 1, n: int = 8) -> np.ndarray:
        q = np.random.default_rng(seed).normal(size=(n, self.dim)).astype(np.float32)
        return q / np.linalg.norm(q, axis=1, keepdims=True)

    def _check_same(self, backend: Backend, ref: ReferenceBackend) -> None:
        """Everything a reader sees equals the reference over the same live articles."""
        assert len(backend) == len(ref)
        assert sorted(m.doc_id for m in backend.doc_meta()) == sorted(ref.docs)
        for q in self._queries():
            got, want = backend.dense_search(q, 10), ref.dense_search(q, 10)
            self._same_dense(got, want, backend, ref)
        for tokens in QUERY_TOKENS:
            got, want = backend.lexical_search(tokens, 10), ref.lexical_search(tokens, 10)
            np.testing.assert_allclose(got.scores, want.scores, rtol=1e-4, atol=1e-5)
            assert [backend.passages([i])[0].doc_id for i in got.ids] == \
                   [ref.passages([i])[0].doc_id for i in want.ids] or np.allclose(got.scores, want.scores)
            assert backend.idf(tokens) == _approx(ref.idf(tokens))
        ids = np.asarray(_live_ids(backend), dtype=np.int64)  # by id in any order, across segments
        in_order = dict(zip(ids.tolist(), backend.sentence_vectors(ids), strict=True))
        shuffled = np.random.default_rng(0).permutation(ids)
        for pid, vecs in zip(shuffled.tolist(), backend.sentence_vectors(shuffled), strict=True):
            np.testing.assert_array_equal(vecs, in_order[pid])

    def _same_dense(self, got: Hits, want: Hits, backend: Backend, ref: ReferenceBackend) -> None:
        got_keys = [_key(backend.passages([i])[0]) for i in got.ids]
        want_keys = [_key(ref.passages([i])[0]) for i in want.ids]
        if self.exact:
            assert got_keys == want_keys
            np.testing.assert_allclose(got.scores, want.scores, rtol=1e-3, atol=1e-3)
        else:
            assert len(set(got_keys) & set(want_keys)) >= 0.6 * len(want_keys)

    # -- the contract ---------------------------------------------------------------------------
    def test_dense_search_agrees_with_brute_force(self, tmp_path: Path) -> None:
        backend, ref = self._pair(tmp_path)
        for q in self._queries():
            self._same_dense(backend.dense_search(q, 10), ref.dense_search(q, 10), backend, ref)

    def test_bm25_agrees_with_bm25s(self, tmp_path: Path) -> None:
        backend, ref = self._pair(tmp_path)
        ids = _live_ids(backend)
        ref_ids = [r.pid for r in ref.records]
        for tokens in QUERY_TOKENS:
            got = backend.lexical_scores(tokens, ids)
            want = ref.lexical_scores(tokens, ref_ids)
            by_key = dict(zip([_key(r) for r in ref.passages(ref_ids)], want.tolist(), strict=True))
            expected = [by_key[_key(r)] for r in backend.passages(ids)]
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
            hits = backend.lexical_search(tokens, 10)
            assert np.all(hits.scores > 0) and np.all(np.diff(hits.scores) <= 1e-6)
            np.testing.assert_allclose(hits.scores, ref.lexical_search(tokens, 10).scores, rtol=1e-4, atol=1e-5)

    def test_filters_never_leak_and_are_applied_before_top_k(self, tmp_path: Path) -> None:
        backend, ref = self._pair(tmp_path)
        meta = {m.doc_id: m for m in backend.doc_meta()}
        q = self._queries(n=1)[0]
        for f in random_filters():
            for hits, want in ((backend.dense_search(q, 8, f), ref.dense_search(q, 8, f)),
                               (backend.lexical_search(["w1", "drug", "w7"], 8, f),
                                ref.lexical_search(["w1", "drug", "w7"], 8, f))):
                docs = [r.doc_id for r in backend.passages(hits.ids)]
                assert all(f.matches(meta[d]) for d in docs), f"{f.describe()} leaked {docs}"
                # a pre-filter returns as many as match (a post-filter would return fewer)
                assert len(hits) == len(want), f.describe()

    def test_vectors_by_id_equal_what_was_stored(self, tmp_path: Path) -> None:
        docs = synthetic_documents(self.n_docs, seed=3, dim=self.dim)
        backend = self.build(docs, tmp_path)
        stored = {(d.document.doc_id, p.start): p for d in docs for p in d.passages}
        ids = _live_ids(backend)
        records = backend.passages(ids)
        vectors = backend.vectors(ids)
        svecs = backend.sentence_vectors(ids)
        for r, v, s in zip(records, vectors, svecs, strict=True):
            p = stored[(r.doc_id, r.start)]
            np.testing.assert_array_equal(v, np.asarray(p.vector, dtype=np.float32))
            np.testing.assert_array_equal(s, np.asarray(p.sentence_vectors, dtype=np.float32))
            assert r.sentences == p.sentences and r.end == p.end

    def test_records_cite_exact_spans_in_article_order(self, tmp_path: Path) -> None:
        backend, _ = self._pair(tmp_path)
        for m in backend.doc_meta():
            doc = backend.document(m.doc_id)
            ids = backend.passage_ids(m.doc_id)
            records = backend.passages(ids)
            assert ids == list(range(ids[0], ids[0] + len(ids))), "passage ids of an article are consecutive"
            assert [r.position for r in records] == list(range(len(ids)))
            for r in records:
                assert r.doc_id == m.doc_id and 0 <= r.start < r.end <= len(doc.text)
                assert all(r.start <= a < b <= r.end for a, b in r.sentences)

    def test_changes_keep_every_invariant_and_corpus_wide_statistics(self, tmp_path: Path) -> None:
        if not self.writable:
            return
        docs = synthetic_documents(self.n_docs, seed=5, dim=self.dim)
        more = synthetic_documents(12, seed=6, dim=self.dim, prefix="e")
        backend = self.build(docs[:10], tmp_path)
        for lo in range(10, len(docs), 10):  # add in several batches
            backend = self.apply(backend, ChangeSet(add=docs[lo:lo + 10]))
        live = {d.document.doc_id: d for d in docs}
        self._check_same(backend, ReferenceBackend(list(live.values())))
        # remove some, replace some (same id, new content), add new ones
        removed = {f"d{i}" for i in range(0, self.n_docs, 7)}
        replaced = [IndexedDocument(replace_id(d.document, f"d{i + 1}"), d.passages, d.text_sha)
                    for i, d in enumerate(more[:3])]
        backend = self.apply(backend, ChangeSet(add=[*replaced, *more[3:]], remove=removed))
        for d in removed:
            live.pop(d, None)
        for d in [*replaced, *more[3:]]:
            live[d.document.doc_id] = d
        ref = ReferenceBackend(list(live.values()))
        self._check_same(backend, ref)
        for d in removed - set(live):
            try:
                backend.document(d)
                raise AssertionError(f"removed document {d} still readable")
            except KeyError:
                pass
        for item in replaced:
            assert backend.document(item.document.doc_id).text == item.document.text

    def test_fused_top_10_equals_the_reference_pipeline(self, tmp_path: Path) -> None:
        """The whole ranking (fusion, sentence rescoring, selection) over this backend gives the
        same top 10 as over the reference backend holding the same articles."""
        from ..ranking import Ranker
        from ..settings import SearchSettings

        docs = synthetic_documents(self.n_docs, seed=11, dim=self.dim)
        backend, ref = self.build(docs, tmp_path), ReferenceBackend(docs)
        queries = self._queries(seed=12, n=len(QUESTIONS))
        for question, q in zip(QUESTIONS, queries, strict=True):
            embedder = _FixedQuery(q)
            got = Ranker(backend, lambda e=embedder: e).ask(question, 10, SearchSettings())
            want = Ranker(ref, lambda e=embedder: e).ask(question, 10, SearchSettings())
            key = [(p.doc_id, p.start, p.end) for p in got.passages]
            ref_key = [(p.doc_id, p.start, p.end) for p in want.passages]
            if self.exact:
                assert key == ref_key, question
                np.testing.assert_allclose([p.score for p in got.passages], [p.score for p in want.passages],
                                           rtol=1e-4, atol=1e-4)
            else:
                assert len(set(key) & set(ref_key)) >= 0.6 * len(ref_key), question


QUESTIONS = ["w1 w2 drug", "what about fraud and cyber w3", "AMMTC 19 border", "w5 w9 w11", "nothing here"]
"""Questions for the ranking check (the library tokenises them; the query vector is fixed)."""


class _FixedQuery:
    """An embedder stand-in whose question vector is given (ranking sees only ``encode_query``)."""

    def __init__(self, vector: np.ndarray) -> None:
        self.vector = vector

    def encode_query(self, question: str) -> np.ndarray:
        return self.vector


def replace_id(doc: Document, doc_id: str) -> Document:
    from dataclasses import replace

    return replace(doc, doc_id=doc_id, source=f"{doc_id}.txt")


def _key(r: PassageRecord) -> tuple[str, int]:
    return r.doc_id, r.start


class _approx(dict):  # noqa: N801 - a comparison helper for dicts of floats
    def __eq__(self, other: object) -> bool:
        return isinstance(other, dict) and set(other) == set(self) and all(
            abs(other[k] - v) <= 1e-5 * max(1.0, abs(v)) for k, v in self.items())

    __hash__ = None  # type: ignore[assignment]
