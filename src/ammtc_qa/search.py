"""Ranking passages for a question: hybrid retrieval, meeting awareness, diversity, evidence.

1. The question's meeting (named, or implied by a place or year the corpus ties to one
   meeting) is resolved first. A named meeting no article covers gives no passages and a
   notice; a named meeting restricts candidates to articles that mention it; an implied one
   boosts them.
2. Candidates come from dense search (FAISS) and BM25, each over header + passage.
3. The lists are fused (a convex mix of normalised scores by default, or reciprocal rank
   fusion), with a third signal: the best sentence's similarity to the question, which
   rewards a passage that *contains* the answer over one that is merely on topic.
4. The top fused candidates are rescored at sentence level: a sentence also earns the
   idf-weighted share of the question's terms it holds.
5. A greedy selection penalises near-duplicates of passages already chosen, so several parts
   of a multi-part answer are shown instead of near-copies of one; a syndicated copy of a
   chosen passage from another article is folded into it as "also reported by".
6. Highlights: the sentences of each passage closest to the question.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .answer import Answer, Passage
from .embedding import Embedder
from .index import IndexData
from .lexical import question_tokens, tokenize
from .questions import MeetingCatalog, analyse, unknown_notice
from .settings import SearchSettings

SYNDICATED_SIMILARITY = 0.93
"""Cosine above which two passages from different articles are taken as the same wire copy."""


@dataclass
class _Candidates:
    rows: np.ndarray
    dense: np.ndarray
    dense_rank: np.ndarray
    lexical: np.ndarray
    lexical_rank: np.ndarray


class Searcher:
    """Stateless over one loaded index: safe to call from many threads."""

    def __init__(self, data: IndexData, embedder_factory: Any, reranker: Any = None) -> None:
        self.data = data
        self._embedder_factory = embedder_factory
        self.reranker = reranker
        self.catalog = MeetingCatalog.from_documents(data.documents)
        self.doc_of_chunk = np.asarray(data.chunks[:, 0])
        first_of_doc = np.searchsorted(self.doc_of_chunk, self.doc_of_chunk)
        self.position = np.arange(len(self.doc_of_chunk)) - first_of_doc
        """Index of each passage within its article (0 = the lead)."""
        chunk_of_sentence = np.asarray(data.sentences[:, 0])
        self.sentence_bounds = np.searchsorted(chunk_of_sentence, np.arange(len(data.chunks) + 1))
        self.title_sentence = self._title_sentences()
        """Sentences that are an article's headline: article-level evidence, already in every
        passage's header, so they neither score a passage nor count as its highlight."""

    @property
    def embedder(self) -> Embedder:
        return self._embedder_factory()

    def search(self, question: str, k: int, settings: SearchSettings, explain: bool = False) -> Answer:
        meetings = analyse(question, self.catalog)
        if meetings.unknown and not meetings.named:
            return Answer(question, [], unknown_notice(meetings.unknown, self.catalog), meetings.unknown)
        notice = unknown_notice(meetings.unknown, self.catalog) if meetings.unknown else None
        allowed = self._allowed_rows(meetings.named)
        query = self.embedder.encode_query(question)
        q_tokens = question_tokens(question)
        cands = self._candidates(q_tokens, query, allowed, settings)
        if len(cands.rows) == 0:
            return Answer(question, [], notice or "No passage matches the question.", meetings.named)
        best_sentence = self._best_sentence_similarity(cands.rows, query)
        boosted = (self._rows_mentioning(cands.rows, meetings.implied) if meetings.implied
                   else np.zeros(len(cands.rows), dtype=bool))
        fused = self._fuse(cands, best_sentence, boosted, settings)
        if settings.sentence_lexical_weight and settings.sentence_weight:
            best_sentence, fused = self._rescore_sentences(q_tokens, query, cands, best_sentence, boosted, fused,
                                                           settings)
        if self.reranker is not None:
            fused = self._rerank(question, query, cands.rows, fused)
        order = self._diversify(cands.rows, fused, k, settings)
        passages = []
        for i, also, selection_score in order:
            row = int(cands.rows[i])
            info = {"dense_rank": int(cands.dense_rank[i]), "lexical_rank": int(cands.lexical_rank[i]),
                    "dense": float(cands.dense[i]), "bm25": float(cands.lexical[i]),
                    "best_sentence": float(best_sentence[i]), "fused": float(fused[i]),
                    "meeting": _meeting_decision(meetings, bool(boosted[i]))} if explain else {}
            also_rows = [int(cands.rows[j]) for j in also]
            passages.append(self._passage(row, selection_score, query, also_rows, info))
        return Answer(question, passages, notice, meetings.named or meetings.implied)

    # -- candidates ---------------------------------------------------------------------------
    def _allowed_rows(self, named: tuple[str, ...]) -> np.ndarray | None:
        if not named:
            return None
        docs = sorted(set().union(*(self.catalog.docs_mentioning[k] for k in named)))
        return np.flatnonzero(np.isin(self.doc_of_chunk, docs))

    def _rows_mentioning(self, rows: np.ndarray, keys: tuple[str, ...]) -> np.ndarray:
        docs = sorted(set().union(*(self.catalog.docs_mentioning.get(k, frozenset()) for k in keys)))
        return np.isin(self.doc_of_chunk[rows], docs)

    def _candidates(self, q_tokens: list[str], query: np.ndarray, allowed: np.ndarray | None,
                    settings: SearchSettings) -> _Candidates:
        _, d_rows = self.data.dense.search(query, settings.dense_depth, allowed)
        lex_all = self.data.lexical.scores(q_tokens)
        if allowed is not None:
            masked = np.full_like(lex_all, -np.inf)
            masked[allowed] = lex_all[allowed]
            lex_all = masked
        depth = min(settings.lexical_depth, int(np.isfinite(lex_all).sum()))
        top = np.argpartition(-lex_all, depth - 1)[:depth] if depth else np.zeros(0, dtype=np.int64)
        top = top[lex_all[top] > 0]
        top = top[np.argsort(-lex_all[top], kind="stable")]
        rows = np.unique(np.concatenate([d_rows, top]).astype(np.int64))
        big = len(self.data.chunks) + 1
        dense_rank = np.full(len(rows), big)
        lexical_rank = np.full(len(rows), big)
        pos = {int(r): i for i, r in enumerate(rows)}
        for rank, r in enumerate(d_rows):
            dense_rank[pos[int(r)]] = rank
        for rank, r in enumerate(top):
            lexical_rank[pos[int(r)]] = rank
        dense = self._vectors(rows) @ query if len(rows) else np.zeros(0, dtype=np.float32)
        lexical = np.where(np.isfinite(lex_all[rows]), lex_all[rows], 0.0) if len(rows) else np.zeros(0)
        return _Candidates(rows, dense.astype(np.float32), dense_rank, lexical.astype(np.float32), lexical_rank)

    def _vectors(self, rows: np.ndarray) -> np.ndarray:
        return self.data.dense.index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def _rescore_sentences(self, q_tokens: list[str], query: np.ndarray, cands: _Candidates,
                           best_sentence: np.ndarray, boosted: np.ndarray, fused: np.ndarray,
                           s: SearchSettings) -> tuple[np.ndarray, np.ndarray]:
        """Second stage on the top fused candidates: a sentence's score becomes its cosine plus
        ``sentence_lexical_weight`` times the idf-weighted share of question terms it holds."""
        idf = self.data.lexical.idf(q_tokens)
        total = sum(idf.values())
        if total <= 0:
            return best_sentence, fused
        top = np.argsort(-fused, kind="stable")[: s.rescore_depth]
        best = best_sentence.copy()
        for i in top:
            row = int(cands.rows[i])
            lo, sims = self._sentence_scores(row, query)
            if not len(sims):
                continue
            doc = self.data.documents[int(self.data.chunks[row, 0])]
            cover = np.array([sum(idf.get(t, 0.0) for t in _terms(doc.text[a:b])) / total
                              for _, a, b in self.data.sentences[lo:lo + len(sims)]], dtype=np.float32)
            best[i] = float(np.max(sims + s.sentence_lexical_weight * cover))
        rescored = self._fuse(cands, best, boosted, s)
        # Candidates outside the rescored top keep their rank below it: shift them down.
        rest = np.ones(len(fused), dtype=bool)
        rest[top] = False
        if rest.any() and len(top):
            rescored[rest] = np.minimum(rescored[rest], rescored[top].min() - 1e-6)
        return best, rescored

    def _title_sentences(self) -> np.ndarray:
        sentences = np.asarray(self.data.sentences)
        mask = np.zeros(len(sentences), dtype=bool)
        for i in np.flatnonzero(sentences[:, 1] == 0):
            doc = self.data.documents[int(self.data.chunks[int(sentences[i, 0]), 0])]
            if doc.title and doc.text.startswith(doc.title) and sentences[i, 2] <= len(doc.title):
                mask[i] = True
        return mask

    def _sentence_scores(self, row: int, query: np.ndarray) -> tuple[int, np.ndarray]:
        """``(first sentence row, cosine of each sentence of passage row)``; headlines get -1."""
        lo, hi = self.sentence_bounds[row], self.sentence_bounds[row + 1]
        sims = self.data.sentence_vectors[lo:hi].astype(np.float32) @ query
        return int(lo), np.where(self.title_sentence[lo:hi], -1.0, sims)

    def _body_vectors(self, rows: np.ndarray) -> np.ndarray:
        """Passage vectors without the shared article header: the normalised mean of the
        passage's sentence vectors. Used for redundancy, where the header would make every
        passage of one article look alike."""
        out = np.zeros((len(rows), self.data.sentence_vectors.shape[1]), dtype=np.float32)
        for i, row in enumerate(rows):
            lo, hi = self.sentence_bounds[row], self.sentence_bounds[row + 1]
            if hi > lo:
                v = self.data.sentence_vectors[lo:hi].astype(np.float32).mean(axis=0)
                out[i] = v / (np.linalg.norm(v) or 1.0)
        return out

    def _best_sentence_similarity(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        out = np.zeros(len(rows), dtype=np.float32)
        for i, row in enumerate(rows):
            _, sims = self._sentence_scores(int(row), query)
            if len(sims):
                out[i] = float(np.max(sims))
        return out

    # -- scoring ------------------------------------------------------------------------------
    def _fuse(self, c: _Candidates, best_sentence: np.ndarray, boosted: np.ndarray,
              s: SearchSettings) -> np.ndarray:
        """One relevance score per candidate from every signal (see SearchSettings)."""
        position = self.position[c.rows]
        if s.fusion == "rrf":
            def rr(values: np.ndarray) -> np.ndarray:
                ranks = np.argsort(np.argsort(-values, kind="stable"), kind="stable")
                return 1.0 / (s.rrf_k + ranks)
            unit = 1.0 / (s.rrf_k + 1)  # the best a single list can give: boosts are scaled to it
            score = (s.dense_weight / (s.rrf_k + c.dense_rank) + s.lexical_weight / (s.rrf_k + c.lexical_rank)
                     + s.sentence_weight * rr(best_sentence) + unit * s.lead_weight / (1.0 + position)
                     + unit * s.implied_meeting_boost * 4 * boosted)
        else:
            top = float(c.lexical.max())
            lexical = c.lexical / top if top > 0 else c.lexical
            score = (s.dense_weight * c.dense + s.lexical_weight * lexical + s.sentence_weight * best_sentence
                     + s.lead_weight / (1.0 + position) + s.implied_meeting_boost * boosted)
        if s.neighbour_weight:
            score = score + s.neighbour_weight * self._previous_scores(c.rows, score)
        return score.astype(np.float32)

    def _previous_scores(self, rows: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Score of each candidate's preceding passage in the same article (0 if not a candidate)."""
        by_row = dict(zip(rows.tolist(), score.tolist(), strict=True))
        prev = np.zeros(len(rows), dtype=np.float64)
        for i, row in enumerate(rows.tolist()):
            if self.position[row] > 0:
                prev[i] = by_row.get(row - 1, 0.0)
        return prev

    def _rerank(self, question: str, query: np.ndarray, rows: np.ndarray, fused: np.ndarray) -> np.ndarray:
        if hasattr(self.reranker, "rerank"):  # the sentence-level reranker (ammtc_qa.rerank)
            return self.reranker.rerank(question, fused, lambda i: self._sentence_texts(int(rows[i]), query))
        texts = [self._text(int(r)) for r in rows]  # a CrossEncoder folder: whole passages
        scores = np.asarray(self.reranker.predict([(question, t) for t in texts]), dtype=np.float32)
        return fused + 1.0 / (1.0 + np.exp(-scores))

    def _sentence_texts(self, row: int, query: np.ndarray) -> tuple[list[str], np.ndarray]:
        lo, sims = self._sentence_scores(row, query)
        doc = self.data.documents[int(self.data.chunks[row, 0])]
        return [doc.text[a:b] for _, a, b in self.data.sentences[lo:lo + len(sims)]], sims

    def _diversify(self, rows: np.ndarray, fused: np.ndarray, k: int,
                   s: SearchSettings) -> list[tuple[int, list[int], float]]:
        """Greedy selection that penalises near-duplicates of passages already chosen.

        Returns ``(candidate index, folded syndicated copies, selection score)``, best first.
        The selection score (fused score minus the redundancy penalty, in fused units) is what
        a passage reports: penalties only grow as passages are chosen, so it never increases
        down the list and the order and the scores agree. Passages of one
        article share its context header, so plain MMR would punish them for being from the
        same article; only similarity above ``duplicate_similarity`` counts as redundancy.
        """
        order = np.argsort(-fused, kind="stable")
        pool = order[: max(4 * k, 20)]
        vecs = self._body_vectors(rows[pool])
        span = float(fused[pool].max() - fused[pool].min()) or 1.0
        rel = (fused[pool] - fused[pool].min()) / span
        chosen: list[int] = []
        folded: dict[int, list[int]] = {}
        selected: dict[int, float] = {}
        remaining = list(range(len(pool)))
        while remaining and len(chosen) < k:
            scores = rel[remaining].copy()
            sims = vecs[remaining] @ vecs[chosen].T if chosen else None
            if sims is not None:
                max_sim = sims.max(axis=1)
                scores -= s.duplicate_penalty * np.clip(max_sim - s.duplicate_similarity, 0, None) / (
                    1 - s.duplicate_similarity)
            best = int(np.argmax(scores))
            cand = remaining.pop(best)
            if sims is not None and sims[best].max() >= SYNDICATED_SIMILARITY:
                twin = chosen[int(np.argmax(sims[best]))]
                if self.doc_of_chunk[rows[pool[twin]]] != self.doc_of_chunk[rows[pool[cand]]]:
                    folded.setdefault(twin, []).append(int(pool[cand]))
                    continue
            chosen.append(cand)
            selected[cand] = float(fused[pool].min()) + span * float(scores[best])
        return [(int(pool[c]), folded.get(c, []), selected[c]) for c in chosen]

    # -- output -------------------------------------------------------------------------------
    def _text(self, row: int) -> str:
        d, start, end = (int(x) for x in self.data.chunks[row])
        return self.data.documents[d].text[start:end]

    def _passage(self, row: int, score: float, query: np.ndarray, also: list[int],
                 info: dict[str, object]) -> Passage:
        d, start, end = (int(x) for x in self.data.chunks[row])
        doc = self.data.documents[d]
        lo, sims = self._sentence_scores(row, query)
        highlights: tuple[tuple[int, int], ...] = ()
        if len(sims):
            keep = sims >= max(float(sims.max()) - 0.05, 0.25)
            highlights = tuple((int(self.data.sentences[lo + j, 1]), int(self.data.sentences[lo + j, 2]))
                               for j in np.flatnonzero(keep))
            if info:
                info["highlight_scores"] = [round(float(x), 3) for x in sims]
        also_docs = [self.data.documents[int(self.data.chunks[r, 0])].citation for r in also]
        return Passage(text=doc.text[start:end], score=score, doc_id=doc.doc_id, start=start, end=end,
                       title=doc.title, publisher=doc.publisher, date=doc.date, url=doc.url,
                       meeting=doc.meetings.main, highlights=highlights,
                       also_reported_by=tuple(dict.fromkeys(also_docs)), explanation=info)


@lru_cache(maxsize=65536)
def _terms(sentence: str) -> frozenset[str]:
    """Lexical terms of a sentence; cached because the same candidates recur across questions."""
    return frozenset(tokenize(sentence))


def _meeting_decision(meetings: Any, boosted: bool) -> str:
    if meetings.named:
        return f"restricted to articles mentioning {'/'.join(meetings.named)}"
    if meetings.implied:
        return f"{'boosted' if boosted else 'not boosted'} ({meetings.reason}: {'/'.join(meetings.implied)})"
    return "no meeting in question"
