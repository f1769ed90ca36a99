"""ammtc-qa: answers to questions about news articles, as cited passages.

    import ammtc_qa
    qa = ammtc_qa.load()                       # shipped corpus and index; no network
    answer = qa.ask("What did Vietnam propose at AMMTC 19?", k=5)
    print(answer)

Heavy dependencies (torch, sentence-transformers, faiss) are imported only when needed.
"""

from ._version import __version__
from .answer import Answer, Passage
from .backends.filters import Filter
from .errors import (
    AmmtcQaError,
    CorpusError,
    CorpusWarning,
    FilterError,
    IndexCorruptError,
    IndexUnavailableError,
    InvalidInputError,
    InvalidTypeError,
    MissingFileError,
    ModelIntegrityError,
    ModelNotAvailableError,
    ReadOnlyIndexError,
    SettingsError,
    StaleIndexWarning,
    StorageError,
    TruncationWarning,
    UnknownDocumentError,
    WriterBusyError,
)
from .evaluation.beir import evaluate_beir, load_beir
from .evaluation.questions import EvalReport, evaluate, load_questions
from .input.document import Document
from .qa import QA, load
from .settings import DEFAULT_MODEL, IndexSettings, SearchSettings
from .text.meetings import MeetingProfile, canonical_meeting, find_meetings

__all__ = [
    "QA", "Answer", "Passage", "Document", "MeetingProfile", "IndexSettings", "SearchSettings", "DEFAULT_MODEL",
    "load", "evaluate", "load_questions", "EvalReport", "evaluate_beir", "load_beir", "canonical_meeting",
    "find_meetings", "AmmtcQaError", "CorpusError", "CorpusWarning", "IndexCorruptError", "IndexUnavailableError",
    "ReadOnlyIndexError",
    "ModelIntegrityError", "ModelNotAvailableError", "StorageError", "TruncationWarning", "WriterBusyError",
    "InvalidInputError", "InvalidTypeError", "MissingFileError", "UnknownDocumentError", "__version__", "Filter",
    "FilterError", "SettingsError", "StaleIndexWarning",
]
