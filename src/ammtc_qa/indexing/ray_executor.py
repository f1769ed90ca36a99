"""Builds on Ray Data: the embedding of a build run by an actor pool, same batches, same vectors.

Embedding is nearly all of a build's time, and the only part worth spreading over machines:
reading, cleaning, chunking and the write into the backend stay in the driver (the process
that runs ``ammtc-qa index --ray``). ``RayEmbedder`` wraps the driver's ``Embedder`` and
replaces one method, ``encode_batches``, the executor seam of ``embedding_cache``: the batches
the in-process build would encode become the rows of a ``ray.data`` dataset (one row per
batch), ``map_batches`` sends each to an actor of a fixed pool (``ActorPoolStrategy(size=n)``)
that loaded the model once, and each row comes back as the batch's number and its vectors.

Why a row per batch, not a row per text: a batch is padded to its longest text, and the same
text padded differently can differ in the last bits of float32. Encoding exactly the batches
of the in-process build keeps the vectors identical (then rounded to float16 like any other).
Why the number: Ray does not keep order; the number says which rows of the build the vectors
belong to. The driver journals each batch as it arrives (``embedding_cache.Journal``), so a
build whose actor or driver dies resumes without embedding those again; an actor that dies
(killed, out of memory) is restarted by Ray and its batch retried within the same run.

Workers need the library and the model installed (the default model's package, or the same
local folder on every node); the model is checked against its sha256 on each actor as in a
local build.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import AmmtcQaError
from .embedding import Embedder, load_embedder

log = logging.getLogger("ammtc_qa")

INSTALL_HINT = 'pip install "ammtc-qa[ray]"'


class RayBuildError(AmmtcQaError, RuntimeError):
    """Ray could not be reached or a Ray build failed; what was embedded is kept for the next run."""


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide the actor pool is (from ``IndexSettings``: ``ray_address``, ``ray_workers``)."""

    address: str | None = None
    """``ray.init(address=...)``: ``None`` starts a local Ray (or joins the one this process already
    started), ``"auto"`` joins the cluster of this machine (``ray start --head``), ``"ray://host:10001"``
    a remote cluster through Ray Client."""
    workers: int = 2
    """Actors in the pool: each loads the model once and takes one CPU."""
    cpus_per_worker: float = 1.0
    """CPUs each actor reserves (and torch threads it uses, rounded down, at least one)."""


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


class EmbedActor:
    """One actor of the pool: the model is loaded once, in ``__init__``; each call encodes rows
    that are whole batches, each as one model call."""

    def __init__(self, model: str, threads: int = 1) -> None:
        import torch

        torch.set_num_threads(max(1, threads))
        self.embedder = load_embedder(model)

    def __call__(self, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        numbers, vectors = [], []
        for number, texts in zip(rows["batch"].tolist(), rows["texts"], strict=True):
            batch = [str(t) for t in texts]
            vectors.append(self.embedder.encode(batch, batch_size=max(len(batch), 1)).tobytes())
            numbers.append(number)
        return {"batch": np.asarray(numbers, dtype=np.int64), "vectors": np.asarray(vectors, dtype=object)}


class RayEmbedder:
    """An ``Embedder`` whose ``encode_batches`` runs on a Ray actor pool; everything else (token
    counting for chunking, questions) is the local embedder's."""

    actor_class: type = EmbedActor
    """The callable class ``map_batches`` runs (a subclass can inject faults in tests)."""

    def __init__(self, embedder: Embedder, options: RayOptions | None = None, *, progress: bool = False) -> None:
        self.local = embedder
        self.options = options or RayOptions()
        self.progress = progress

    def __getattr__(self, name: str) -> Any:  # name, dim, max_tokens, count_tokens, encode, ...
        return getattr(self.local, name)

    def encode_batches(self, batches: Sequence[Sequence[str]]) -> Iterator[tuple[int, np.ndarray]]:
        if not batches:
            return
        data = connect(self.options).data
        context = data.DataContext.get_current()
        context.enable_progress_bars = self.progress
        # one block per batch: a block is what comes back at once, so what a dying build has journaled
        ds = data.from_items([{"batch": i, "texts": list(b)} for i, b in enumerate(batches)],
                                 override_num_blocks=len(batches))
        threads = max(1, int(self.options.cpus_per_worker))
        out = ds.map_batches(self.actor_class, batch_size=1, batch_format="numpy",
                             compute=data.ActorPoolStrategy(size=self.options.workers),
                             fn_constructor_kwargs={"model": self.local.name, "threads": threads},
                             num_cpus=self.options.cpus_per_worker)
        dim = self.local.dim
        done = 0
        try:
            for rows in out.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
                for number, data in zip(rows["batch"].tolist(), rows["vectors"], strict=True):
                    vectors = np.frombuffer(data, dtype=np.float32).reshape(-1, dim)
                    done += 1
                    yield int(number), vectors
        except (AmmtcQaError, KeyboardInterrupt, GeneratorExit):
            raise
        except Exception as exc:  # RayTaskError, ActorDiedError, ObjectLostError...
            raise RayBuildError(
                f"the Ray build ({_where(self.options)}) failed after {done} of {len(batches)} batches: "
                f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else ''}. "
                "The batches that finished are kept in the build journal: run the same build again to "
                "resume without embedding them.") from exc


def connect(options: RayOptions) -> Any:
    """``ray``, initialised at ``options.address`` (a local Ray with ``workers`` CPUs when None)."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise RayBuildError(f"builds on Ray need the ray extra: {INSTALL_HINT} ({exc})") from None
    if ray.is_initialized():
        return ray
    kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING,
                              "log_to_driver": False}
    if options.address is None:
        kwargs["num_cpus"] = max(1, int(np.ceil(options.workers * options.cpus_per_worker)))
    else:
        kwargs["address"] = options.address
    # the actors must import the same library: keep the driver's import path (an editable install,
    # PYTHONPATH) for a local Ray; a cluster's nodes have the library installed
    try:
        ray.init(**kwargs)
    except Exception as exc:  # ConnectionError, TimeoutError, RuntimeError...
        raise RayBuildError(f"cannot reach Ray at {_where(options)}: {type(exc).__name__}: {exc}. Start a cluster "
                            "with `ray start --head` (then --ray-address auto) or pass --ray-address "
                            "ray://HOST:10001") from exc
    log.info("Ray %s: %s", ray.__version__, _where(options))
    return ray


def _where(options: RayOptions) -> str:
    return f"address {options.address}" if options.address else f"a local Ray with {options.workers} workers"
