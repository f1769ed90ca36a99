"""Which language a text is in: enough to tell a reader that the model will read it poorly.

The embedding model (all-MiniLM-L6-v2) and the BM25 stemmer are English. An article in
Vietnamese or Malay is still indexed (names, numbers and meeting keys match lexically), but
its passages rank on little more than those; a question in another language fares the same.
So the language is detected and reported (``Document.language``, ``info()``, a notice on the
question), never used to drop anything.

py3langid (a maintained fork of langid.py: 97 languages, a model of a few MB inside the
package, no download, about 0.1 ms for a paragraph) does the detection. Short texts are hard
for any detector ("Luong Tam Quang" reads as Tagalog), so a result is taken only above a
confidence, and a question is never called non-English while English function words make up a
fair share of it (``SearchSettings.question_language_*``).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

ENGLISH = "en"
SAMPLE_CHARS = 4000
"""Detection reads the start of an article: enough for a confident answer, bounded in time."""
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ENGLISH_FUNCTION_WORDS = frozenset({
    "the", "a", "an", "of", "to", "in", "on", "at", "for", "from", "by", "with", "and", "or", "is", "are", "was",
    "were", "be", "been", "has", "have", "had", "do", "does", "did", "what", "which", "who", "whom", "whose", "when",
    "where", "why", "how", "this", "that", "these", "those", "it", "its", "not"})

_lock = threading.Lock()

NAMES = {"vi": "Vietnamese", "ms": "Malay", "id": "Indonesian", "th": "Thai", "tl": "Tagalog", "km": "Khmer",
         "lo": "Lao", "my": "Burmese", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "fr": "French",
         "de": "German", "es": "Spanish", "pt": "Portuguese", "it": "Italian", "nl": "Dutch", "ru": "Russian",
         "ar": "Arabic", "hi": "Hindi", "en": "English"}
"""Names for messages; other codes are shown as the ISO 639-1 code."""


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str | None, float]:
    """``(ISO 639-1 code, probability)`` of ``text``'s language; ``(None, 0.0)`` when the detector
    is not installed or the text has no letters."""
    sample = text[:SAMPLE_CHARS]
    if not _WORD.search(sample):
        return None, 0.0
    try:
        identifier = _identifier()
    except ImportError:  # pragma: no cover - a dependency of the package
        return None, 0.0
    with _lock:  # the identifier keeps no state per call, but is not documented as thread-safe
        code, prob = identifier.classify(sample)
    return str(code), float(prob)


def english_share(text: str) -> float:
    words = [w.lower() for w in _WORD.findall(text)]
    return sum(w in _ENGLISH_FUNCTION_WORDS for w in words) / len(words) if words else 0.0


def language_of(text: str, min_confidence: float) -> str | None:
    """The language of an article when the detector is at least ``min_confidence`` sure, else None."""
    code, prob = detect(text)
    return code if code is not None and prob >= min_confidence else None


def question_language(question: str, min_confidence: float, english_words: float) -> str | None:
    """The language of a question: English when English function words make up at least
    ``english_words`` of its words (questions are short, and the names in them pull the detector
    elsewhere), else what the detector says when it is at least ``min_confidence`` sure."""
    if english_share(question) >= english_words:
        return ENGLISH
    return language_of(question, min_confidence)


def name(code: str) -> str:
    return NAMES.get(code, code)
