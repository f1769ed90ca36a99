"""The local store: immutable segments in the index folder (see ``backend``)."""

from .backend import LocalBackend

__all__ = ["LocalBackend"]
