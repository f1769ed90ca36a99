"""Storage backends behind one seam (``base.Backend``), chosen by name.

``open_backend(name, ...)`` returns a ``WritableBackend``; ``register(name, factory)`` adds one.
The local backend is built in; others register themselves when their extra is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import (
    Backend,
    ChangeSet,
    Hits,
    IndexedDocument,
    IndexedPassage,
    PassageRecord,
    SentenceBlock,
    Store,
    WritableBackend,
)
from .filters import DocMeta, Filter

_FACTORIES: dict[str, Callable[..., Any]] = {}


def register(name: str, factory: Callable[..., Store]) -> None:
    """Make ``backend=name`` open stores through ``factory(index_dir, *, verify, vector_kind,
    merge_factor, min_merge, **backend_options) -> Store``. ``index_dir`` is None when the user
    gave none (the store picks its own work folder); ``load()`` without a corpus folder calls
    ``factory(index_dir, verify=..., read_only=True, **backend_options)`` (serve-only)."""
    _FACTORIES[name] = factory


def available() -> list[str]:
    from importlib.util import find_spec

    return sorted({"local", *_FACTORIES} | ({"qdrant"} if find_spec("qdrant_client") else set()))


def factory(name: str) -> Callable[..., Store]:
    if name == "local":
        from .local.backend import LocalStore

        return LocalStore
    if name == "qdrant" and name not in _FACTORIES:
        try:
            from .qdrant import QdrantStore
        except ImportError as exc:
            raise ValueError(f"backend 'qdrant' needs its extra: pip install \"ammtc-qa[qdrant]\" ({exc})") from None
        register("qdrant", QdrantStore)
    try:
        return _FACTORIES[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; available: {', '.join(available())}") from None


__all__ = ["Backend", "WritableBackend", "Store", "ChangeSet", "Hits", "IndexedDocument", "IndexedPassage",
           "PassageRecord", "SentenceBlock",
           "DocMeta", "Filter", "register", "available", "factory"]
