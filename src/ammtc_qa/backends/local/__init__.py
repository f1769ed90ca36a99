"""The local store: immutable segments in the index folder (see ``backend``)."""

from .backend import LocalBackend, LocalOptions, LocalStore

__all__ = ["LocalBackend", "LocalOptions", "LocalStore"]
