"""Exceptions and warnings the library raises on purpose.

Each says what went wrong *and* where (file, line, field), so a user can fix it without
reading our code.
"""

from __future__ import annotations


class AmmtcQaError(Exception):
    """Base class for every error raised on purpose by ammtc_qa."""


class CorpusError(AmmtcQaError, ValueError):
    """A corpus file or the metadata file cannot be used (raised under ``strict=True``)."""


class IndexUnavailableError(AmmtcQaError):
    """An index folder is missing or stale and cannot be (re)built where it was asked for."""


class IndexCorruptError(IndexUnavailableError):
    """An index file does not match the checksum recorded in its manifest (truncated, bit-flipped,
    or replaced by something else, e.g. a pickle)."""


class FilterError(AmmtcQaError, ValueError):
    """A filter names an unknown field or holds a value of the wrong kind (a bad date...)."""


class SettingsError(AmmtcQaError, ValueError):
    """A setting is unknown, of the wrong type, or out of its range."""


class IndexLockedError(AmmtcQaError):
    """Another writer holds the index (or corpus) lock for longer than the wait allowed."""


class ModelNotAvailableError(AmmtcQaError, RuntimeError):
    """The embedding model is not installed locally (the library never downloads)."""


class ModelIntegrityError(AmmtcQaError, RuntimeError):
    """Model weights do not match the checksum they are pinned to."""


class CorpusWarning(UserWarning):
    """A corpus file was skipped (empty, binary, not UTF-8, outside the folder...)."""


class StaleIndexWarning(UserWarning):
    """The index could not be brought up to date; the last good version is being served."""


class TruncationWarning(UserWarning):
    """Text had to be shortened to fit the model window (questions only; chunks never are)."""

