"""No padding: an answer holds only the passages that answer, and prefers the evidence's meeting.

Selection always has k passages to show, however weak; a user reads the fifth passage of
"Who won the 2022 World Cup?" as the corpus's opinion. The cut-off decides, after selection,
which of them are worth showing:

* **Relevance** of a candidate is the larger of its passage cosine and its best sentence's
  cosine to the question (the raw cosines, before the lexical rescoring). Cosines of one
  sentence-embedding model are on the same scale in every corpus, which fused scores are not
  (BM25 is normalised by the best candidate, boosts are added): so the thresholds calibrated on
  one corpus carry over to another. A question of another domain reaches ~0.1-0.2 on the
  shipped corpus; a real answer 0.5-0.8.
* **Floor** (``SearchSettings.min_relevance``): when even the most relevant candidate is below
  it, and no chosen passage holds ``min_term_coverage`` of the question's idf-weighted terms,
  nothing in the corpus answers; the answer is empty with a notice. The term test is there for
  keyword queries ("drug seizures": cosine 0.27 on the shipped corpus, both terms in the passage);
  a term the corpus never uses weighs as much as the question's known terms on average, so an
  off-topic question is not rescued by one common word it shares.
* **Relative drop** (``SearchSettings.relative_cutoff``): a passage is kept only while its
  relevance is at least the top relevance minus this margin, so the tail that only shares the
  topic is not shown. The best passage is always kept when the floor passes.

Meeting preference (``SearchSettings.evidence_meeting_boost``): a question that names or
implies no meeting, but whose best candidate comes from an article about one meeting, most
likely asks about that meeting; the passages of articles about *other* meetings are demoted
by the boost (on the convex scale; scaled like the implied-meeting boost for RRF). Articles
about no meeting are left alone, so a general-news corpus is unaffected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..settings import SearchSettings
from ..text.lexical import tokenize
from .candidates import Candidates
from .questions import QuestionMeetings
from .selection import Chosen


def relevance(c: Candidates, sentence_cosine: np.ndarray) -> np.ndarray:
    """Per candidate: max(passage cosine, best-sentence cosine)."""
    return np.maximum(c.dense, sentence_cosine).astype(np.float32)


def term_coverage(c: Candidates, i: int, q_tokens: Sequence[str], idf: dict[str, float], n_passages: int) -> float:
    """Share of the question's idf mass whose terms occur in candidate ``i``. A term the corpus
    never uses counts at the mean idf of the question's known terms (at the idf of a term in no
    passage when none is known): a question about tungsten is not covered by a passage that only
    shares its word "point"."""
    known = [idf[t] for t in set(q_tokens) if t in idf]
    unseen = sum(known) / len(known) if known else float(np.log(1.0 + (n_passages + 0.5) / 0.5))
    weights = {t: idf.get(t, unseen) for t in set(q_tokens)}
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    present = set(tokenize(c.text(i)))
    return sum(w for t, w in weights.items() if t in present) / total


def cut(chosen: list[Chosen], rel: np.ndarray, demoted: np.ndarray, coverage: Callable[[int], float],
        s: SearchSettings) -> tuple[list[Chosen], str | None]:
    """The selected passages worth showing, and a notice when none is. A passage from an article
    about another meeting than the preferred one (``demoted``) has ``evidence_meeting_boost`` taken
    off its relevance. Below the floor, the question still counts as related when a chosen passage
    holds ``min_term_coverage`` of its terms (short keyword queries have low cosines)."""
    if not chosen:
        return chosen, None
    rel = rel - s.evidence_meeting_boost * demoted
    top = max(float(rel[item.index]) for item in chosen)
    if s.min_relevance is not None and top < s.min_relevance:
        best = max((coverage(item.index) for item in chosen), default=0.0) if s.min_term_coverage is not None else 0.0
        if s.min_term_coverage is None or best < s.min_term_coverage:
            return [], (f"Nothing in the corpus is relevant to the question: the closest passage has relevance "
                        f"{top:.2f} (below min_relevance {s.min_relevance:.2f}) and holds {best:.0%} of its terms.")
    if s.relative_cutoff is None:
        return chosen, None
    floor = top - s.relative_cutoff
    return [item for j, item in enumerate(chosen) if j == 0 or float(rel[item.index]) >= floor], None


def preferred_meeting(c: Candidates, fused: np.ndarray, meetings: QuestionMeetings) -> str | None:
    """The meeting the answer should come from when the question does not name one: the one it
    implies (by a place or year), else the main meeting of the best candidate's article."""
    if meetings.named or not len(c):
        return None
    if meetings.implied:
        return meetings.implied[0] if len(meetings.implied) == 1 else None
    return c.document(int(np.argmax(fused))).meetings.main


def prefer_meeting(c: Candidates, fused: np.ndarray, meeting: str | None, meetings: QuestionMeetings,
                   s: SearchSettings) -> tuple[np.ndarray, np.ndarray]:
    """``fused`` with candidates from articles about another meeting than ``meeting`` demoted, and
    which candidates those are. An implied meeting is already boosted in fusion, so only the
    best evidence's meeting changes the ranking here; both count in the cut-off (``cut``)."""
    if meeting is None or not s.evidence_meeting_boost:
        return fused, np.zeros(len(c), dtype=bool)
    other = np.array([(m := c.document(i).meetings.main) is not None and m != meeting for i in range(len(c))],
                     dtype=bool)
    if meetings.implied:
        return fused, other
    step = s.evidence_meeting_boost * (4 / (s.rrf_k + 1) if s.fusion == "rrf" else 1.0)
    return np.asarray(fused - step * other, dtype=np.float32), other
