"""A sentence-level cross-encoder that rereads the best candidates with the question.

Why: the embedding model reads question and passage apart, so a passage that restates the
question ranks as high as the one that answers it. A cross-encoder reads both together. None
can be installed from a package here, so one is trained from the MiniLM we already ship
(``training/train_reranker.py``; its card is ``training/MODEL_CARD.md``) and shipped inside the
package as fp16 safetensors, pinned by sha256 and checked before loading exactly like the
embedding model (``ammtc_qa.indexing.embedding.verify_weights``).

Why sentences: a sentence with the question is ~50 word pieces against ~250 for a passage,
and only the sentences of the few best fused candidates are read (at most
``RerankSettings.sentences``, those closest to the question first), in one batch, with the
linear layers quantised to int8 when loaded. That keeps ``ask`` within a few times the cost of
the question's embedding (``benchmarks/rerank.py`` measures it).

The weights load lazily, on the first question, once per process.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelNotAvailableError
from ..indexing.embedding import _no_loading_bars, verify_weights

DEFAULT_RERANKER = "default"
"""``load(reranker=DEFAULT_RERANKER)`` selects the reranker shipped in the package."""

SHIPPED_FOLDER = Path(__file__).resolve().parents[1] / "models" / "reranker"
SHIPPED_SHA256 = "940152067b2c8ef349c6c3158b09314fdb9c33aace473a83729eaa2d638990e7"
"""sha256 of the shipped ``model.safetensors`` (also in training/MODEL_CARD.md)."""

_MODELS: dict[tuple[str, bool], tuple[Any, Any]] = {}
_MODELS_LOCK = threading.Lock()


@dataclass(frozen=True)
class RerankSettings:
    """How the reranker reads the candidates of one question."""

    passages: int = 3
    """Fused candidates (best first) whose sentences are read; the rest keep their order below them."""
    sentences: int = 8
    """At most this many sentences are scored per question: those of the ``passages`` candidates
    with the highest cosine to the question. One batch; this bounds the added latency."""
    weight: float = 0.3
    """Weight of the best sentence's probability (sigmoid of its logit) added to a candidate's
    fused score. Chosen on the validation articles of squad-dev, never on the AMMTC questions."""
    max_length: int = 96
    """Word pieces of question + sentence, as in training; a longer sentence is cut."""
    int8: bool = True
    """Quantise the linear layers to int8 when loading (about 2x faster on CPU)."""


def mix(fused: np.ndarray, candidate: np.ndarray, logits: np.ndarray, weight: float,
        top: np.ndarray) -> np.ndarray:
    """Fused scores after reranking: a pure function of arrays.

    ``top`` are the candidate indices that were read, ``candidate[j]`` is the candidate the
    scored sentence ``j`` belongs to and ``logits[j]`` its score. A read candidate gains
    ``weight`` times the sigmoid of its best sentence's logit; candidates that were not read
    stay below every read one, in their previous order (so the reranker reorders the top, it
    never lifts an unread passage over a read one or the reverse).
    """
    out = np.asarray(fused, dtype=np.float32).copy()
    if not len(top):
        return out
    best = np.full(len(out), -np.inf, dtype=np.float32)
    np.maximum.at(best, np.asarray(candidate, dtype=np.int64), np.asarray(logits, dtype=np.float32))
    gain = np.where(np.isfinite(best), 1.0 / (1.0 + np.exp(-np.clip(best, -30, 30))), 0.0)
    out[top] = out[top] + weight * gain[top]
    rest = np.ones(len(out), dtype=bool)
    rest[top] = False
    if rest.any():
        shift = float(out[rest].max() - out[top].min()) + 1e-6
        if shift > 0:
            out[rest] -= shift
    return out


def select_sentences(top: np.ndarray, similarities: Sequence[np.ndarray], limit: int) -> list[tuple[int, int]]:
    """``[(candidate, sentence)]`` to read: the ``limit`` sentences closest to the question among
    the candidates ``top``, where ``similarities[i]`` are candidate ``top[i]``'s sentence cosines.
    A cosine of -1 marks a headline (already in every passage's header): never read."""
    pool = [(float(sim), int(c), j) for c, sims in zip(np.asarray(top).tolist(), similarities, strict=True)
            for j, sim in enumerate(np.asarray(sims).tolist()) if sim > -1.0]
    pool.sort(key=lambda x: -x[0])
    return [(c, j) for _, c, j in pool[:limit]]


@dataclass
class Reranker:
    """The cross-encoder in ``folder``; ``sha256`` pins its weights (None: a folder of your own).

    Constructing one is cheap: the weights are verified and loaded on the first ``score``.
    """

    folder: Path = SHIPPED_FOLDER
    sha256: str | None = SHIPPED_SHA256
    settings: RerankSettings = field(default_factory=RerankSettings)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self._lock = threading.Lock()

    def _model(self) -> tuple[Any, Any]:
        key = (str(self.folder), self.settings.int8)
        with _MODELS_LOCK:
            if key not in _MODELS:
                _MODELS[key] = _load(self.folder, self.sha256, self.settings.int8)
            return _MODELS[key]

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One logit per text (higher: the text answers the question), in one batch."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        import torch

        tokenizer, model = self._model()
        enc = tokenizer([question] * len(texts), list(texts), padding=True, truncation="only_second",
                        max_length=self.settings.max_length, return_tensors="pt")
        with self._lock, torch.inference_mode():
            logits = model(**enc).logits
        return logits.reshape(-1).float().numpy()

    def rerank(self, question: str, fused: np.ndarray,
               sentences: Callable[[int], tuple[list[str], np.ndarray]]) -> np.ndarray:
        """Fused scores after reading the best candidates' sentences.

        ``sentences(i)`` gives candidate ``i``'s sentence texts and their cosines to the question.
        """
        top = np.argsort(-np.asarray(fused), kind="stable")[: self.settings.passages]
        texts_of = {int(i): sentences(int(i)) for i in top}
        picked = select_sentences(top, [texts_of[int(i)][1] for i in top], self.settings.sentences)
        if not picked:
            return np.asarray(fused, dtype=np.float32)
        logits = self.score(question, [texts_of[c][0][j] for c, j in picked])
        return mix(fused, np.array([c for c, _ in picked]), logits, self.settings.weight, top)


def _load(folder: Path, sha256: str | None, int8: bool) -> tuple[Any, Any]:
    """Verify (when pinned), then load tokenizer and model from local files only."""
    if sha256 is not None:
        verify_weights(folder, sha256, what="the reranker shipped with ammtc-qa",
                       fix="reinstall ammtc-qa, or pass reranker=None")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        with _no_loading_bars():
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(str(folder), local_files_only=True,
                                                                       dtype=torch.float32)
    except Exception as exc:  # transformers raises OSError, ValueError, HF errors...
        raise ModelNotAvailableError(f"reranker in {folder} could not be loaded from local files "
                                     f"({type(exc).__name__}: {exc})") from exc
    model.eval()
    if int8:
        with warnings.catch_warnings():  # torch deprecates eager quantisation in favour of torchao
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return tokenizer, model


__all__ = ["DEFAULT_RERANKER", "RerankSettings", "Reranker", "mix", "select_sentences"]
