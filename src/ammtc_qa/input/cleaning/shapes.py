"""Line shapes shared by the rules: headline-shaped, Title-Case, name-shaped, sentence ends.

Several rules (teasers, bylines, the title, hard wraps) ask the same questions about the
shape of a line; answering them in one place keeps the rules consistent with each other.
"""

from __future__ import annotations

import re

from .vocabulary import VOCABULARY

_SENTENCE_END = ".!?…;:,–—-"
_SENTENCE_END_SET = frozenset(_SENTENCE_END)
_CLOSERS = "\"'”’)]»"
_ELLIPSIS_END = re.compile(r"(?:\.\.\.|…)\s*[\"'”’)\]]*$")

# Words that stay lower-case in English Title Case (AP / Chicago style).
_SMALL_WORDS = set(VOCABULARY["title_case_small_words"])
_TITLE_CASE_MAX_WORDS = 12
_TITLE_MAX_WORDS = 25


def _words(text: str) -> list[str]:
    return text.split()


def _last_char(text: str) -> str:
    stripped = text.rstrip().rstrip(_CLOSERS)
    return stripped[-1:] if stripped else ""


_HEADLINE_BAD_END = frozenset(".…;:,–—-")


def _looks_like_headline(text: str) -> bool:
    """A headline: a short line that does not end like a sentence or a lead-in."""
    return _headline_shape(text, len(text.split()), _last_char(text))


def _headline_shape(text: str, n_words: int, last_char: str) -> bool:
    """``_looks_like_headline`` from the line's word count and ``_last_char``, when a unit has them."""
    return (
        2 <= n_words <= _TITLE_MAX_WORDS
        and last_char not in _HEADLINE_BAD_END
        and (text[:1].isalpha() or any(c.isalpha() for c in text))
    )


_BARE_STRIP = "\"'“”‘’()[]{}«»,;:!?."


def _bare_token(token: str) -> str:
    return token.strip(_BARE_STRIP)


def _is_title_case(text: str) -> bool:
    """Short Title-Case line without sentence punctuation: the shape of a headline or a name.

    Headlines of *other* stories (related-news cards) and author names have this shape;
    article sentences almost never do, because most of their content words are lower-case.
    """
    return _title_case_shape(text.split(), _last_char(text))


def _title_case_shape(words: list[str], last_char: str) -> bool:
    """``_is_title_case`` from the line's words and ``_last_char``, when a unit has them."""
    if not 2 <= len(words) <= _TITLE_CASE_MAX_WORDS or last_char in _SENTENCE_END_SET:
        return False
    first = words[0].strip(_BARE_STRIP)
    if first and first[0].isalpha() and not first[0].isupper():
        return False
    content = capitalised = 0
    for w in words:
        bare = w.strip(_BARE_STRIP)
        if not bare:
            continue
        head = bare[0]
        if head.isdigit() or not (head.isalpha() or any(map(str.isalpha, bare))):
            continue
        if bare.lower() in _SMALL_WORDS:
            continue
        content += 1
        if head.isupper():
            capitalised += 1
    if content < 2:
        return False
    return capitalised >= 0.8 * content


def _is_name(text: str) -> bool:
    """2-4 capitalised alphabetic words, no small words: the shape of a person's name."""
    words = _words(text)
    if not 2 <= len(words) <= 4:
        return False
    for w in words:
        if w.lower() in _SMALL_WORDS or not w[0].isupper():
            return False
        if not all(c.isalpha() or c in "-'’." for c in w):
            return False
    return True
