"""The Qdrant backend (``pip install "ammtc-qa[qdrant]"``): see ``store`` for what lives where."""

from __future__ import annotations

from .engine import QdrantUnavailableError
from .store import QdrantBackend, QdrantStore

__all__ = ["QdrantStore", "QdrantBackend", "QdrantUnavailableError"]
