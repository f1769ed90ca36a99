"""Duplicate-paragraph detection: the comparison key of a paragraph and the index of seen keys.

Pages repeat their headline and reuse the lead as a photo caption; a later copy of a kept
paragraph is furniture.  The index makes the check linear in the page size (a page of
50,000 menu lines must not be compared pair by pair).

Articles repeat themselves too, and that is content: the same company heading in two
sections of a roundup, a live blog's update that differs from the last one only in its
figures. So a copy counts only when it is sentence-length (``_DUP_MIN_WORDS``) or a copy of
the title, and a near copy (Jaccard >= ``_DUP_SIMILARITY`` on word sets) only when it has
exactly the same numbers: "rose 120 points to 36,245" and "rose 310 points to 36,435" are two
facts, not one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict

# Photo credits inside a paragraph, ignored only when comparing paragraphs for duplication.
_PHOTO_CREDIT_INLINE = re.compile(
    r"\(\s*(?:photo|photos|image|ảnh|source)\s*:[^)]{0,80}\)|(?:[-–—|]\s*)?(?:h[iì]nh\s+[aả]nh|ảnh)\s*\d{1,3}\.?$",
    re.IGNORECASE,
)

_PHOTO_CREDIT_HINT = re.compile("nh", re.IGNORECASE)

_DUP_MIN_WORDS = 6
"""A repeated paragraph shorter than this (a heading, a name) is kept unless it copies the title."""
_DUP_SIMILARITY = 0.9
"""Word-set Jaccard similarity at which a paragraph with the same numbers is a near copy."""


def _numbers(key: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens of a key that hold a digit, sorted: near copies must agree on all of them."""
    return tuple(sorted(t for t in key if any(c.isdigit() for c in t)))


class _SeparatorsToSpace(dict[int, int]):
    """``str.translate`` table: punctuation, symbols and separators become a space. Filled one
    code point at a time on first sight, so translating runs at C speed after the first article."""

    def __missing__(self, code: int) -> int:
        value = 32 if unicodedata.category(chr(code))[0] in "PSZ" else code
        self[code] = value
        return value


_SEPARATORS_TO_SPACE = _SeparatorsToSpace()
_ASCII_SEPARATORS_TO_SPACE = bytes(_SEPARATORS_TO_SPACE[code] for code in range(128)) + bytes(range(128, 256))
"""The same table for ``bytes.translate``, over ASCII: an ASCII line is keyed at C speed."""


def _dup_key(text: str) -> tuple[str, ...]:
    """Casefolded word tokens with punctuation and photo credits dropped, for duplicate checks."""
    if "(" in text or _PHOTO_CREDIT_HINT.search(text):  # every credit has "(" or "nh"
        text = _PHOTO_CREDIT_INLINE.sub(" ", text)
    if text.isascii():  # casefold is lower, NFC changes nothing, and the table fits in bytes
        return tuple(text.lower().encode("ascii").translate(_ASCII_SEPARATORS_TO_SPACE).decode("ascii").split())
    folded = unicodedata.normalize("NFC", text.casefold())
    return tuple(folded.translate(_SEPARATORS_TO_SPACE).split())


class _Ranks(dict[str, int]):
    """Token -> its place in one fixed order; a token not seen before goes last, and stays there."""

    def __missing__(self, token: str) -> int:
        rank = self[token] = len(self)
        return rank


class _SeenParagraphs:
    """Duplicate-check keys of the paragraphs kept so far, indexed so that a check costs about
    the size of its own key, not the number of paragraphs seen (a page of 50,000 menu lines
    would otherwise be compared pair by pair).

    A key is a duplicate when it equals a seen key, or when both have at least ``_DUP_MIN_WORDS``
    words, the same numbers (``_numbers``) and token sets of Jaccard similarity >= ``_DUP_SIMILARITY``.
    (Which copies count at all is ``passes._mark_duplicates``' call.) Near matches are
    found by prefix filtering: with tokens in one fixed order (rarest in the article first),
    two sets that similar always share a token among the first
    ``len - ceil(_DUP_SIMILARITY * len) + 1`` of each, so only seen sets indexed under one of the
    key's prefix tokens are compared, with the exact Jaccard test.
    """

    def __init__(self, keys: list[tuple[str, ...]]) -> None:
        # Rare tokens first: prefixes then share few paragraphs, so few candidates are compared.
        # Any one order keeps the check exact; only keys long enough for a near copy are ever
        # prefix-indexed, so only theirs are counted (a page of short lines sorts no tokens).
        frequency = Counter(t for key in keys if len(key) >= _DUP_MIN_WORDS for t in set(key))
        self._rank = _Ranks((t, r) for r, t in enumerate(sorted(frequency, key=lambda t: (frequency[t], t))))
        self._exact: set[tuple[str, ...]] = set()
        self._sets: list[frozenset[str]] = []
        self._numbers: list[tuple[str, ...]] = []
        self._by_token: dict[str, list[int]] = defaultdict(list)
        self._last: tuple[frozenset[str], list[str]] | None = None  # the prefix is_duplicate computed

    def _prefix(self, tokens: frozenset[str]) -> list[str]:
        if self._last is not None and self._last[0] == tokens:
            return self._last[1]
        ordered = sorted(tokens, key=self._rank.__getitem__)
        # ceil, made safe against the float product landing just above an integer
        prefix = ordered[: len(ordered) - math.ceil(_DUP_SIMILARITY * len(ordered) - 1e-9) + 1]
        self._last = (tokens, prefix)
        return prefix

    def is_duplicate(self, key: tuple[str, ...]) -> bool:
        if not key:
            return False
        if key in self._exact:
            return True
        if len(key) < _DUP_MIN_WORDS:
            return False
        key_set = frozenset(key)
        numbers = _numbers(key)
        checked: set[int] = set()
        for token in self._prefix(key_set):
            for index in self._by_token.get(token, ()):
                if index in checked:
                    continue
                checked.add(index)
                other_set = self._sets[index]
                if self._numbers[index] != numbers:
                    continue
                # Jaccard >= t implies min(|A|, |B|) >= t * max(|A|, |B|): skip the set maths otherwise.
                if min(len(key_set), len(other_set)) < _DUP_SIMILARITY * max(len(key_set), len(other_set)):
                    continue
                if len(key_set & other_set) / len(key_set | other_set) >= _DUP_SIMILARITY:
                    return True
        return False

    def add(self, key: tuple[str, ...]) -> None:
        self._exact.add(key)
        if len(key) < _DUP_MIN_WORDS:
            return
        key_set = frozenset(key)
        self._sets.append(key_set)
        self._numbers.append(_numbers(key))
        for token in self._prefix(key_set):
            self._by_token[token].append(len(self._sets) - 1)
