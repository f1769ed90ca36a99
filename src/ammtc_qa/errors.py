"""Exceptions and warnings the library raises on purpose.

Each says what went wrong *and* where (file, line, field), so a user can fix it without
reading our code.
"""

from __future__ import annotations


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


class IndexCorruptError(IndexUnavailableError):
    """An index file does not match the checksum recorded in its manifest (truncated, bit-flipped,
    or replaced by something else, e.g. a pickle)."""


class ModelNotAvailableError(AmmtcQaError, RuntimeError):
    """The embedding model is not installed locally (the library never downloads)."""


class ModelIntegrityError(AmmtcQaError, RuntimeError):
    """Model weights do not match the checksum they are pinned to."""


class CorpusWarning(UserWarning):
    """A corpus file was skipped (empty, binary, not UTF-8, outside the folder...)."""


class TruncationWarning(UserWarning):
    """Text had to be shortened to fit the model window (questions only; chunks never are)."""

