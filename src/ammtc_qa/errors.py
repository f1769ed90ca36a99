"""Exceptions and warnings the library raises on purpose.

Each says what went wrong *and* where (file, line, field), so a user can fix it without
reading our code.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike


class AmmtcQaError(Exception):
    """Base class for every error raised on purpose by ammtc_qa."""


class InvalidInputError(AmmtcQaError, ValueError):
    """A value given to the library is wrong: an empty question, a ``k`` below 1, a bad setting
    value, a malformed line of a question file, a file that is not part of the corpus."""


class InvalidTypeError(AmmtcQaError, TypeError):
    """A value of the wrong type (a question that is not a string, a ``k`` that is not an
    integer) or an argument name that does not exist (a misspelt setting)."""


class UnknownDocumentError(AmmtcQaError, KeyError):
    """No indexed article has the doc id asked for."""

    def __str__(self) -> str:  # KeyError's own str() wraps the message in quotes
        return str(self.args[0]) if self.args else ""


class MissingFileError(AmmtcQaError, FileNotFoundError):
    """A file the user named (an article to add, a question file, a BEIR file) does not exist."""


class CorpusError(AmmtcQaError, ValueError):
    """A corpus file or the metadata file cannot be used (raised under ``strict=True``)."""


class IndexUnavailableError(AmmtcQaError):
    """An index folder is missing or stale and cannot be (re)built where it was asked for."""


class ReadOnlyIndexError(IndexUnavailableError):
    """The index was opened without its corpus folder (``load(backend=..., backend_options=...)``
    with no ``corpus_dir``: serve-only): it answers, but adding, updating, removing or
    refreshing needs the corpus folder it was built from."""


class IndexCorruptError(IndexUnavailableError):
    """An index file does not match the checksum recorded in its manifest (truncated, bit-flipped,
    or replaced by something else, e.g. a pickle)."""


class IndexFormatError(IndexCorruptError):
    """An index written in another on-disk format (by another ammtc-qa version): not damaged, but
    not readable as it is. ``load(rebuild="auto")`` rebuilds it, reusing the vectors it holds."""


class FilterError(InvalidInputError):
    """A filter names an unknown field or holds a value of the wrong kind (a bad date...)."""


class SettingsError(InvalidInputError):
    """A setting is of the wrong type or out of its range (a misspelt name is an ``InvalidTypeError``)."""


class ModelNotAvailableError(AmmtcQaError, RuntimeError):
    """The embedding model is not installed locally (the library never downloads)."""


class ModelIntegrityError(AmmtcQaError, RuntimeError):
    """Model weights do not match the checksum they are pinned to."""


class StorageError(AmmtcQaError, OSError):
    """Writing failed because of the environment, not the data: the disk is full, permission is
    denied, the medium is read-only. The message names the path and what to do; what was on disk
    before the failed write is kept."""


class WriterBusyError(AmmtcQaError, TimeoutError):
    """Another process (or thread) kept changing the same corpus folder or index for longer than
    the wait allowed; nothing was changed by this call."""


class CorpusWarning(UserWarning):
    """A corpus file was skipped (empty, binary, not UTF-8, outside the folder...)."""


class StaleIndexWarning(UserWarning):
    """The index could not be brought up to date; the last good version is being served."""


class TruncationWarning(UserWarning):
    """Text had to be shortened to fit the model window (questions only; chunks never are)."""



_ENVIRONMENT_ERRORS = {
    errno.ENOSPC: "the disk is full: free some space and try again",
    errno.EDQUOT: "the disk quota is exceeded: free some space and try again",
    errno.EACCES: "permission denied: make it writable by this user, or use another folder",
    errno.EPERM: "operation not permitted: make it writable by this user, or use another folder",
    errno.EROFS: "the file system is read-only: use a folder on writable storage",
}


@contextmanager
def storage_errors(path: str | PathLike[str], doing: str) -> Iterator[None]:
    """Turn a full disk, a permission refusal or read-only media while ``doing`` something with
    ``path`` into a ``StorageError`` saying so and what to do; other ``OSError``s pass unchanged."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, AmmtcQaError) or exc.errno not in _ENVIRONMENT_ERRORS:
            raise
        raise StorageError(exc.errno, f"cannot {doing} ({path}): {_ENVIRONMENT_ERRORS[exc.errno]}; "
                                      "what was on disk before is kept") from exc
