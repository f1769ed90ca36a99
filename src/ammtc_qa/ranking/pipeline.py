"""The ranking pipeline: a question in, an ``Answer`` out, over any ``Backend``.

1. The question's meeting (named; read from a time reference such as "the latest AMMTC"
   against the corpus's own timeline, see ``temporal``; or implied by a place or year the
   corpus ties to one meeting) is resolved first. A named meeting no article covers gives no
   passages and a notice; a named or time-resolved meeting becomes a filter (applied inside the
   store); an implied one boosts. A time reading is always said back in ``answer.notice``.
2. Candidates come from dense search and BM25, each over header + passage (``candidates``).
3. The signals are fused, with the best sentence's similarity to the question (``fusion``,
   ``signals``); the top fused candidates are rescored at sentence level.
4. A greedy selection penalises near-duplicates and folds syndicated copies (``selection``).
5. Highlights: the sentences of each passage closest to the question.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..answer import Answer, Passage
from ..backends.base import Backend
from ..backends.filters import DocMeta, Filter
from ..backends.summary import MetaSummary
from ..indexing.embedding import Embedder
from ..settings import SearchSettings
from ..text.lexical import question_tokens
from ..text.meetings import meetings_in_question
from . import candidates, cutoff, fusion, selection, signals
from .hints import PublisherNames, period_in
from .questions import MeetingCatalog, QuestionMeetings, analyse, unknown_notice
from .temporal import Reading, Timeline


class Ranker:
    """Stateless over one backend version: safe to call from many threads."""

    def __init__(self, backend: Backend, embedder_factory: Callable[[], Embedder], reranker: Any = None) -> None:
        self.backend = backend
        self._embedder_factory = embedder_factory
        self.reranker = reranker
        # the corpus-wide tables, from counts a store can keep per part (``backends.summary``): a
        # local version adds its segments' summaries, so a change costs O(change + segments)
        summary = backend.meta_summary() if hasattr(backend, "meta_summary") else \
            MetaSummary.of(backend.doc_meta())
        docs_of = getattr(backend, "docs_mentioning", None) or _docs_mentioning(backend)
        self.catalog = MeetingCatalog.from_summary(summary, docs_of)
        self.timeline = Timeline.from_summary(
            summary, aliases={k: rep for rep, kinds in self.catalog.series.items() for k in kinds},
            canonical=self.catalog.canonical)
        self.publishers = PublisherNames(summary.publishers)
        self._undated: list[DocMeta] | None = None

    @property
    def embedder(self) -> Embedder:
        return self._embedder_factory()

    def ask(self, question: str, k: int, settings: SearchSettings, *, explain: bool = False,
            where: Filter | None = None, as_of: dt.date | None = None) -> Answer:
        where = self._meeting_forms(where)
        meetings, reading = self._meetings(question, as_of)
        if reading is not None and not reading.keys:
            return Answer(question, [], reading.notice, ())
        notices = [reading.notice] if reading is not None else []
        if meetings.unknown:
            notices.append(unknown_notice(meetings.unknown, self.catalog))
        if meetings.unknown and not meetings.named:
            return Answer(question, [], " ".join(notices), meetings.unknown)
        if where is not None and where.dated:
            notices.extend(self._undated_notice(where))
        notice = " ".join(notices) or None
        if meetings.named:
            where = Filter(meetings=frozenset(meetings.aliases or meetings.named)) & where
        query = self.embedder.encode_query(question)
        q_tokens = question_tokens(question)
        q_tokens += [t for t in meetings.tokens if t not in q_tokens]  # every form of a named meeting
        c = candidates.gather(self.backend, q_tokens, query, where, settings)
        if not len(c):
            return Answer(question, [], notice or "No passage matches the question.", meetings.named)
        best = signals.best_sentence(c)
        boosted = self._boosted(c, meetings)
        prior, hinted = self._hints(question, c, settings, as_of)

        def fuse(best_sentence: np.ndarray) -> np.ndarray:
            return fusion.fuse(c, best_sentence, boosted, settings, prior)

        cosine = best
        idf = self.backend.idf(q_tokens)
        fused = fuse(best)
        if settings.sentence_lexical_weight and settings.sentence_weight:
            best, fused = signals.rescore(c, idf, best, fused, fuse, settings)
        if self.reranker is not None:
            fused = self._rerank(question, c, fused)
        preferred = cutoff.preferred_meeting(c, fused, meetings)
        fused, demoted = cutoff.prefer_meeting(c, fused, preferred, meetings, settings)
        relevance = cutoff.relevance(c, cosine)

        def coverage(i: int) -> float:
            return cutoff.term_coverage(c, i, q_tokens, idf, len(self.backend))

        chosen, cut_notice = cutoff.cut(selection.select(c, fused, k, self.backend, settings), relevance, demoted,
                                        coverage, settings)
        if not chosen:
            said = " ".join(n for n in (notice, cut_notice) if n)
            return Answer(question, [], said or "No passage matches the question.", meetings.named)
        passages = []
        for item in chosen:
            i = item.index
            absent = len(self.backend) + 1
            info = {"dense_rank": _rank(c.dense_rank[i], absent), "lexical_rank": _rank(c.lexical_rank[i], absent),
                    "dense": float(c.dense[i]), "bm25": float(c.lexical[i]), "best_sentence": float(best[i]),
                    "sentence_cosine": float(cosine[i]), "relevance": float(relevance[i]),
                    "term_coverage": round(coverage(i), 3),
                    "fused": float(fused[i]), "demoted": bool(demoted[i]),
                    "meeting": _meeting_decision(meetings, bool(boosted[i]), preferred, bool(demoted[i]))} \
                if explain else {}
            if explain and hinted[i]:
                info["preferred"] = hinted[i]
            passages.append(self._passage(c, i, item, info))
        return Answer(question, passages, notice, meetings.named or meetings.implied)

    def _meetings(self, question: str, as_of: dt.date | None) -> tuple[QuestionMeetings, Reading | None]:
        """The meetings a question is about; a time reference ("the latest AMMTC") read against
        the corpus's timeline replaces the meetings it names only as anchors."""
        reading = self.timeline.read(question, as_of=as_of)
        if reading is None:
            return analyse(question, self.catalog), None
        covered = self.catalog.docs_mentioning
        named = tuple(key for key in reading.keys if key in covered)
        unknown = tuple(key for key in reading.keys if key not in covered)
        aliases = tuple(a for key in named for a in self.catalog.alias_keys(key))
        return QuestionMeetings(named, unknown, (), reading.notice, aliases), reading

    def _meeting_forms(self, where: Filter | None) -> Filter | None:
        """A meeting filter's values read as questions are ("asean summit 45", "the 12th zmm") and
        widened to every form the articles store ("ZMM 12", "Zorblan Ministers Meeting 12"); a value
        that names no one meeting is kept as written."""
        if where is None or where.meetings is None:
            return where
        forms: set[str] = set()
        for value in where.meetings:
            found = meetings_in_question(value, known=self.catalog.acronyms, kinds=self.catalog.kinds)
            if len(found) == 1:
                forms.update(self.catalog.alias_keys(found[0]))
            forms.add(value)
        return replace(where, meetings=frozenset(forms))

    def _undated_notice(self, where: Filter) -> list[str]:
        """How many articles a date filter left out only because they have no date."""
        undated = replace(where, since=None, until=None)
        if hasattr(self.backend, "count_undated"):  # the store's date column, not every article
            count = int(self.backend.count_undated(undated))
        else:
            if self._undated is None:
                self._undated = [m for m in self.backend.doc_meta() if m.date is None]
            count = sum(undated.matches(m) for m in self._undated)
        if not count:
            return []
        return [f"The date filter left out {count} article{'s' * (count != 1)} without a date."]

    def _hints(self, question: str, c: candidates.Candidates, s: SearchSettings,
               as_of: dt.date | None) -> tuple[np.ndarray, list[str]]:
        """Boosts for the articles of a publisher, and of a period, the question names."""
        prior = np.zeros(len(c))
        why: list[list[str]] = [[] for _ in range(len(c))]
        publishers = self.publishers(question)
        period = period_in(question, today=as_of or dt.date.today())
        if not publishers and period is None:  # nothing to boost: no article need be read
            return prior, ["" for _ in range(len(c))]
        for i, r in enumerate(c.records):
            doc = c.documents[r.doc_id]
            if publishers and doc.publisher in publishers:
                prior[i] += s.publisher_boost
                why[i].append(f"publisher {doc.publisher}")
            if period is not None and period.holds(doc.date):
                prior[i] += s.date_boost
                why[i].append(f"dated in {period.text}")
        return prior, [", ".join(w) for w in why]

    def _boosted(self, c: candidates.Candidates, meetings: QuestionMeetings) -> np.ndarray:
        if not meetings.implied:
            return np.zeros(len(c), dtype=bool)
        docs = set().union(*(self.catalog.docs_mentioning.get(k, frozenset()) for k in meetings.implied))
        return np.array([r.doc_id in docs for r in c.records], dtype=bool)

    def _rerank(self, question: str, c: candidates.Candidates, fused: np.ndarray) -> np.ndarray:
        if hasattr(self.reranker, "rerank"):  # the sentence-level reranker (ranking.rerank)
            def sentences(i: int) -> tuple[list[str], np.ndarray]:
                text = c.document(i).text
                return [text[a:b] for a, b in c.records[i].sentences], signals.sentence_scores(c, i)

            return self.reranker.rerank(question, fused, sentences)
        texts = [c.text(i) for i in range(len(c))]  # a CrossEncoder folder: whole passages
        scores = np.asarray(self.reranker.predict([(question, t) for t in texts]), dtype=np.float32)
        return fused + 1.0 / (1.0 + np.exp(-scores))

    def _passage(self, c: candidates.Candidates, i: int, item: selection.Chosen,
                 info: dict[str, object]) -> Passage:
        r = c.records[i]
        doc = c.documents[r.doc_id]
        sims = signals.sentence_scores(c, i)
        highlights: tuple[tuple[int, int], ...] = ()
        if len(sims):
            keep = sims >= max(float(sims.max()) - 0.05, 0.25)
            highlights = tuple(r.sentences[j] for j in np.flatnonzero(keep))
            if info:  # a headline sentence (scored -1, never evidence) shows as None
                info["highlight_scores"] = [None if x == -1.0 else round(float(x), 3) for x in sims]
        return Passage(text=doc.text[r.start:r.end], score=item.score, doc_id=doc.doc_id, start=r.start, end=r.end,
                       title=doc.title, publisher=doc.publisher, date=doc.date, url=doc.url,
                       meeting=doc.meetings.main, highlights=highlights, also_reported_by=tuple(item.also),
                       explanation=info)


def _docs_mentioning(backend: Backend) -> Callable[[Sequence[str]], frozenset[str]]:
    """Ids of the articles mentioning any of some stored meeting keys, from every article's
    metadata (a backend without a ``docs_mentioning`` lookup)."""
    def docs_of(keys: Sequence[str]) -> frozenset[str]:
        wanted = set(keys)
        return frozenset(m.doc_id for m in backend.doc_meta() if wanted.intersection(m.meetings))

    return docs_of


def _rank(rank: int, not_ranked: int) -> int | None:
    """1-based rank for an explanation, None when the list did not hold the passage."""
    return None if rank >= not_ranked else int(rank) + 1


def _meeting_decision(meetings: QuestionMeetings, boosted: bool, evidence: str | None, demoted: bool) -> str:
    if meetings.named:
        return f"restricted to articles mentioning {'/'.join(meetings.named)}"
    if meetings.implied:
        return (f"{'boosted' if boosted else 'not boosted'}{'; demoted in the cut-off' if demoted else ''} "
                f"({meetings.reason}: {'/'.join(meetings.implied)})")
    if evidence and demoted:
        return f"no meeting in question; demoted (best evidence is about {evidence})"
    return "no meeting in question"
