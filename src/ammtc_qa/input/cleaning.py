"""Strip page furniture from scraped news articles before they reach the search index.

Scraped pages carry banners, menus, share bars, photo file names, teasers of other
stories, bylines and timestamps.  If they are indexed, they become "passages" that
match questions by accident (a related-story headline about ASEAN matches every ASEAN
question) and they dilute the real text.  This module removes them with *generic*
rules: users add articles from many other sites, so no rule may know anything about
the shipped corpus (no names of people, meetings or headlines).  Every rule looks only
at the shape of a line, generic UI vocabulary (English and Vietnamese), photo-marker
words, file extensions, repetition and position relative to the article body.

The rules are deliberately conservative: losing a sentence of the article is worse
than keeping a stray "Print" button, so the riskier rules (Title-Case lines, short
bullet lists) only fire where furniture lives: next to other furniture, or before /
after the body of the article.

Kept text is never rewritten: the evaluation and the citations match exact phrases of
the source, so a kept paragraph is the (normalised) raw line stripped of surrounding
whitespace, nothing more.  Two exceptions keep the words intact: consecutive kept lines
that are one hard-wrapped sentence ("... that was" / "hard-wrapped by ...") are joined
with a single space, and in Markdown sources the ``#`` marks of a heading are dropped.
Every removal is recorded with its span in the *raw* input so that the cleaning can be
audited (``removal_report``).
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property

__all__ = ["CleanedText", "Removal", "clean", "removal_report"]

KINDS = (
    "banner",
    "navigation",
    "photo_file",
    "photo_marker",
    "button",
    "teaser",
    "mobile_link",
    "byline",
    "dateline",
    "duplicate",
)
"""Every value ``Removal.kind`` can take."""


@dataclass(frozen=True)
class Removal:
    """One piece of furniture that was cut out; ``raw[start:end] == text``."""

    start: int
    end: int
    kind: str
    text: str


@dataclass(frozen=True)
class CleanedText:
    """The result of ``clean``: the article text plus what was taken out of it and why."""

    text: str
    title: str | None
    datelines: tuple[str, ...]
    removed: tuple[Removal, ...]


# --------------------------------------------------------------------------------------
# Normalisation with an offset map back into the raw text
# --------------------------------------------------------------------------------------

# Non-breaking spaces are typographic, not semantic: phrase matching must not depend on them.
_SPACE_LIKE = {"\u00a0": " ", "\u202f": " ", "\u2007": " "}
_LINE_BREAKS = {"\u2028", "\u2029", "\x85", "\x0b", "\x0c"}


_PLAIN_RUN = re.compile(r"[\x00-\x0a\x0e-\x7f]+")
"""ASCII other than CR, VT and FF: characters that normalisation leaves as they are."""


def _is_continuation(ch: str) -> bool:
    """True for characters NFC may fold into the preceding one (combining marks, Hangul V/T jamo)."""
    return unicodedata.combining(ch) != 0 or "\u1160" <= ch <= "\u11ff"


def _normalise_cluster(raw: str, i: int) -> tuple[str, int]:
    """``(normalised text, end)`` of the cluster starting at ``raw[i]``: a line break (CRLF as one),
    or a character with the combining marks that follow it, NFC-composed and NBSP-folded."""
    ch = raw[i]
    if ch == "\r" or ch in _LINE_BREAKS:
        return "\n", i + 2 if ch == "\r" and raw[i + 1 : i + 2] == "\n" else i + 1
    j = i + 1
    while j < len(raw) and _is_continuation(raw[j]):
        j += 1
    chunk = raw[i:j]
    if j - i > 1 or not ch.isascii():
        chunk = unicodedata.normalize("NFC", "".join(_SPACE_LIKE.get(c, c) for c in chunk))
    return chunk, j


def _normalise(raw: str) -> tuple[str, list[int], list[int]]:
    """Normalise line endings, NBSP and Unicode form, remembering where each char came from.

    Returns the normalised text and, for each of its characters, the raw span
    ``[starts[i], ends[i])`` it was produced from.  NFC is applied per grapheme-ish
    cluster (a base character plus its combining marks) so that the map stays exact even
    when composition changes the length; CRLF collapses to one ``\\n``.
    """
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(raw)
    while i < n:
        plain = _PLAIN_RUN.match(raw, i)
        if plain:  # ASCII that maps to itself, one char each: copied in bulk (most of any text)
            j = plain.end()
            if j < n and _is_continuation(raw[j]):
                j -= 1  # the run's last char starts a cluster with what follows
            if j > i:
                out.append(raw[i:j])
                starts.extend(range(i, j))
                ends.extend(range(i + 1, j + 1))
                i = j
                continue
        chunk, j = _normalise_cluster(raw, i)
        out.append(chunk)
        starts.extend([i] * len(chunk))
        ends.extend([j] * len(chunk))
        i = j
    return "".join(out), starts, ends


# --------------------------------------------------------------------------------------
# Line-shape vocabulary
# --------------------------------------------------------------------------------------

_SENTENCE_END = ".!?…;:,–—-"
_SENTENCE_END_SET = frozenset(_SENTENCE_END)
_CLOSERS = "\"'”’)]»"
_ELLIPSIS_END = re.compile(r"(?:\.\.\.|…)\s*[\"'”’)\]]*$")

# Inline photo markers as CMSs of Vietnamese sites render them ("... officer hinh anh 1Lt. Gen.",
# "... prevention- ảnh 1.").  Only the position check in _find_inline_markers makes them safe.
_INLINE_MARKER = re.compile(
    r"(?:[-–—|]\s*)?(?<!\w)(?:h[iì]nh\s+[aả]nh|ảnh)\s*\d{1,3}(?:\.(?=\s*$))?",
    re.IGNORECASE,
)

# A line that is only a photo credit / photo label: "(Photo: VNA)", "Ảnh: TTXVN", "File photo".
_PHOTO_CREDIT_LINE = re.compile(
    r"^[(\[]?\s*(?:photos?|images?|pictures?|ảnh|hình ảnh|nguồn ảnh|file photo|illustrative photo|"
    r"illustration photo|ảnh minh họa|ảnh minh hoạ)"
    r"\s*(?:(?:[:\-–—]|by|courtesy of)\s*[^.!?]{0,60})?[)\]]?\.?$",
    re.IGNORECASE,
)
# Photo credits inside a paragraph, ignored only when comparing paragraphs for duplication.
_PHOTO_CREDIT_INLINE = re.compile(
    r"\(\s*(?:photo|photos|image|ảnh|source)\s*:[^)]{0,80}\)|(?:[-–—|]\s*)?(?:h[iì]nh\s+[aả]nh|ảnh)\s*\d{1,3}\.?$",
    re.IGNORECASE,
)

_IMAGE_FILE = re.compile(
    r"^[^\n]{0,80}\.(?:jpe?g|png|gif|webp|bmp|tiff?|heic|avif|svg)$",
    re.IGNORECASE,
)

_UI_WORDS = [
    # English share bars, tool bars and section furniture
    "print", "share", "shares", "tweet", "email", "e-mail", "mail", "facebook", "twitter", "linkedin",
    "whatsapp", "telegram", "zalo", "pinterest", "reddit", "messenger", "copy link", "copy", "link",
    "save", "bookmark", "comment", "comments", "like", "send", "home", "back to top", "top", "read more",
    "read next", "more", "see also", "see more", "related news", "related articles", "related stories",
    "related", "more news", "next", "previous", "prev", "menu", "search", "subscribe", "log in", "login",
    "sign in", "skip to content", "skip to main content", "listen", "x",
    # Vietnamese
    "in bài", "in", "chia sẻ", "bình luận", "lưu", "gửi", "gửi bài", "về đầu trang", "lên đầu trang",
    "xem thêm", "đọc thêm", "tin liên quan", "bài liên quan", "tin khác", "trang chủ", "tìm kiếm",
    "đăng nhập", "đăng ký", "nghe",
]  # fmt: skip
_UI_WORD = "(?:" + "|".join(re.escape(w) for w in sorted(_UI_WORDS, key=len, reverse=True)) + ")"
_UI_SEP = r"[\s|/·•,:\-–—]*"
# Lines made only of UI words, possibly glued together by the scraper ("ShareFacebook").
_BUTTON_LINE = re.compile(rf"^{_UI_WORD}(?:{_UI_SEP}{_UI_WORD})*{_UI_SEP}$", re.IGNORECASE)

_MOBILE_LINK = re.compile(
    r"^(?:phiên bản di động|bản di động|phiên bản máy tính|mobile version|mobile site|"
    r"(?:switch to|view|go to) (?:the )?(?:mobile|desktop|full) (?:version|site)|desktop version|"
    r"full site|view full site)$",
    re.IGNORECASE,
)

# "This portal is under construction": a notice about the site itself. The same words are news in
# an article ("its new e-visa portal is under construction"), so these fire only where page
# furniture lives (see _mark_site_notices), never on a line that reports what someone said.
_SITE_NOTICE_PATTERNS = [
    re.compile(
        r"\b(?:portal|website|web site|site|page|homepage)\b.{0,60}?\b(?:under construction|"
        r"under maintenance|being (?:updated|upgraded)|in beta|in trial operation)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:cổng|trang|website)\b.{0,80}?"
        r"(?:đang (?:được )?(?:xây dựng|chạy thử|thử nghiệm|nâng cấp|bảo trì)|chạy thử nghiệm)",
        re.IGNORECASE,
    ),
]
_REPORTED_SPEECH = re.compile(
    r"\b(?:said|says|told|tells|announced|announces|added|noted|stated|according to|cho biết|cho hay|"
    r"thông báo)\b",
    re.IGNORECASE,
)
_BANNER_PATTERNS = [
    re.compile(r"\bcookies?\b.{0,120}\b(?:use|uses|accept|consent|policy|settings)\b", re.IGNORECASE),
    re.compile(r"\b(?:use|uses)\b.{0,40}\bcookies?\b", re.IGNORECASE),
    re.compile(r"\benable javascript\b|\byour browser (?:is|does)\b", re.IGNORECASE),
    re.compile(r"^(?:advertisement|advertising|quảng cáo|sponsored(?: content)?)$", re.IGNORECASE),
    re.compile(r"\b(?:subscribe|sign up) (?:to|for) (?:our|the) newsletter\b", re.IGNORECASE),
]
_BANNER_MAX_WORDS = 40

_BREADCRUMB = re.compile(r"^(?:home|trang chủ)\s*[>»›/|]", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[•·*\-–—▪►◦‣○●■□→]|\d{1,2}[.)])\s*(\S.*)$")
_NAV_MIN_ITEMS = 5
_NAV_MAX_WORDS = 5
_NAV_ALWAYS_ITEMS = 10  # a run this long is a menu even in the middle of the page

# fmt: off
_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
]
_DATE_WORDS = set(_MONTHS) | {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
    "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "am", "pm", "a.m.", "p.m.", "gmt",
    "utc", "ict", "est", "edt", "pst", "cet", "bst", "updated", "update", "published", "posted",
    "last", "modified", "on", "at",
    # Vietnamese: weekday names (thứ hai .. chủ nhật), ngày/tháng/năm, lúc (at), cập nhật (updated), SA/CH
    "ngày", "tháng", "năm", "thứ", "hai", "ba", "tư", "sáu", "bảy", "chủ", "nhật", "lúc", "cập",
    "đăng", "sa", "ch",
}
# fmt: on
_DATE_SHAPE = re.compile(
    r"\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}:\d{2}\b|"
    rf"\b(?:{'|'.join(_MONTHS)})\b\W*\d|\d\W*\b(?:{'|'.join(_MONTHS)})\b",
    re.IGNORECASE,
)
_DATE_TOKEN = re.compile(r"[^\W\d_]+\.?(?:[^\W\d_]\.)*|\d+|\S", re.UNICODE)
_DATE_FILLER = set(",./:|-–—()+[]")
_DATELINE_MAX_CHARS = 64
# "Sylvania, 5 August 2030", "KUALA LUMPUR, Malaysia, Sept. 24, 2029": a place, then only a date.
_PLACE_DATELINE_MAX_CHARS = 80
_PLACE_MAX_WORDS = 4
_PLACE_MAX_PARTS = 2  # "City, Country"
_PLACE_CONNECTORS = {"of", "de", "da", "del", "la", "le", "upon", "on", "am", "an", "der"}

_BYLINE_PREFIX = re.compile(
    r"^(?:by|written by|reported by|story by|words by|author|authors|reporter|tác giả|phóng viên|"
    r"bài và ảnh|bài, ảnh|bài)\s*(?:[:\-–—]\s*|\s)(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_BYLINE_JOINERS = {"and", "&", "và", "with", "/", ",", "-", "–"}

# Words that stay lower-case in English Title Case (AP / Chicago style).
# fmt: off
_SMALL_WORDS = {
    "a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "with", "by",
    "from", "as", "via", "vs", "vs.", "into", "onto", "over", "per", "than", "up", "off", "out",
    "upon", "about", "after", "before", "under",
}
# fmt: on
_TITLE_CASE_MAX_WORDS = 12
_TITLE_MAX_WORDS = 25
_BODY_MIN_WORDS = 20  # a paragraph this long is article body, not furniture
_TEASER_SNIPPET_MAX_WORDS = 80
_DUP_MIN_WORDS = 4
_DUP_SIMILARITY = 0.9

# Hard wraps: a line that does not end a sentence, followed on the very next line by one that
# starts in lower case / with a digit, or after a comma or a word no sentence ends with.
_WRAP_END_CHARS = ".!?…:;"
_WRAP_END_CLOSERS = "\"”)]»"
_WRAP_CONNECTORS = {
    "a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "with", "by",
    "from", "as", "via", "into", "onto", "than", "that", "which", "who", "whose", "whom", "its",
    "their", "his", "her", "our", "is", "are", "was", "were", "has", "have", "had", "be", "been",
    "will", "would", "said", "this", "these", "those", "between", "among", "against", "where",
    "when", "while", "whether", "because", "although", "including", "such",
}  # fmt: skip

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})(?=\s|$)[ \t]*")
_MD_HEADING_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_MD_RULE = re.compile(r"^ {0,3}(?:(?:=[ \t]*){3,}|(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")

# Removed kinds that mark a neighbourhood as furniture for the context-dependent rules.
# Photo files and markers are excluded on purpose: they sit next to real captions.
_CONTEXT_KINDS = {"banner", "navigation", "button", "teaser", "mobile_link", "byline", "dateline"}


# --------------------------------------------------------------------------------------
# Line predicates
# --------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


def _last_char(text: str) -> str:
    stripped = text.rstrip().rstrip(_CLOSERS)
    return stripped[-1:] if stripped else ""


def _looks_like_headline(text: str) -> bool:
    """A headline: a short line that does not end like a sentence or a lead-in."""
    n = len(_words(text))
    return (
        2 <= n <= _TITLE_MAX_WORDS
        and _last_char(text) not in set(".…;:,–—-")
        and any(c.isalpha() for c in text)
    )


def _bare_token(token: str) -> str:
    return token.strip("\"'“”‘’()[]{}«»,;:!?.")


def _is_title_case(text: str) -> bool:
    """Short Title-Case line without sentence punctuation: the shape of a headline or a name.

    Headlines of *other* stories (related-news cards) and author names have this shape;
    article sentences almost never do, because most of their content words are lower-case.
    """
    words = _words(text)
    if not 2 <= len(words) <= _TITLE_CASE_MAX_WORDS or _last_char(text) in _SENTENCE_END_SET:
        return False
    content = []
    for w in words:
        bare = _bare_token(w)
        if not bare or not any(map(str.isalpha, bare)) or bare[0].isdigit():
            continue
        if bare.lower() in _SMALL_WORDS:
            continue
        content.append(bare)
    if len(content) < 2:
        return False
    first = _bare_token(words[0])
    if first and first[0].isalpha() and not first[0].isupper():
        return False
    capitalised = sum(1 for w in content if w[0].isupper())
    return capitalised >= 0.8 * len(content)


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


def _is_byline(text: str) -> bool:
    """An explicit byline: "By Jane Smith", "Author: Nguyen Van A", "Bài và ảnh: ..."."""
    m = _BYLINE_PREFIX.match(text)
    if not m:
        return False
    rest = m.group("rest").strip()
    words = rest.replace(",", " , ").split()
    if not words or len(words) > 8 or _last_char(rest) in set(".!?…;:"):
        return False
    names = [w for w in words if w.lower() not in _BYLINE_JOINERS]
    return bool(names) and all(_bare_token(w)[:1].isupper() for w in names if _bare_token(w))


def _is_dateline(text: str) -> bool:
    """A line that is only a date and/or time, with optional weekday, "Updated:", time zone."""
    if len(text) > _DATELINE_MAX_CHARS or not _DATE_SHAPE.search(text):
        return False
    for token in _DATE_TOKEN.findall(text):
        low = token.lower()
        if low.isdigit() or low in _DATE_FILLER or low in _DATE_WORDS or low.rstrip(".") in _DATE_WORDS:
            continue
        return False
    return True


def _is_place(part: str) -> bool:
    words = part.split()
    if not 1 <= len(words) <= _PLACE_MAX_WORDS:
        return False
    for k, w in enumerate(words):
        if k and w in _PLACE_CONNECTORS:
            continue
        if not w[0].isupper() or not all(c.isalpha() or c in "-'’." for c in w):
            return False
    return True


def _is_place_dateline(text: str) -> bool:
    """A dateline led by a place: "Sylvania, 5 August 2030", "HANOI, Sept. 24, 2029".

    The line must be nothing but the place and a date (``_is_dateline`` on the rest): a line
    that goes on with an agency tag or the first sentence ("HANOI, Sept. 24 (VNA) - The ...")
    is article text and stays.
    """
    if len(text) > _PLACE_DATELINE_MAX_CHARS or "," not in text:
        return False
    parts = text.split(",")
    for k in range(1, min(_PLACE_MAX_PARTS, len(parts) - 1) + 1):
        rest = ",".join(parts[k:]).strip()
        if all(_is_place(p) for p in parts[:k]) and rest and _is_dateline(rest):
            return True
    return False


def _is_banner(text: str) -> bool:
    if len(_words(text)) > _BANNER_MAX_WORDS:
        return False
    return any(p.search(text) for p in _BANNER_PATTERNS)


def _mark_site_notices(units: list[_Unit]) -> None:
    """Notices about the site ("Portal is under construction") in the page's margins (before or
    after the article body) or next to other furniture; the same words inside the article, or in
    a line that reports speech, are the article's own news and stay."""
    first_body, last_body = _body_bounds(units)
    for i, u in enumerate(units):
        if (u.kind is not None or not any(p.search(u.text) for p in _SITE_NOTICE_PATTERNS)
                or len(_words(u.text)) > _BANNER_MAX_WORDS or _REPORTED_SPEECH.search(u.text)):
            continue
        in_margin = i < first_body or i > last_body
        if in_margin or any(0 <= n < len(units) and units[n].kind in _CONTEXT_KINDS for n in (i - 1, i + 1)):
            u.kind = "banner"


def _simple_kind(text: str) -> str | None:
    """Kinds decided by the line alone, without looking at its neighbours."""
    if _MOBILE_LINK.match(text):
        return "mobile_link"
    if _BUTTON_LINE.match(text):
        return "button"
    if _BREADCRUMB.match(text) and len(_words(text)) <= 15:
        return "navigation"
    if _IMAGE_FILE.match(text) and len(_words(text)) <= 4:
        return "photo_file"
    if _PHOTO_CREDIT_LINE.match(text):
        return "photo_marker"
    if _is_dateline(text) or _is_place_dateline(text):
        return "dateline"
    if _is_banner(text):
        return "banner"
    if _is_byline(text):
        return "byline"
    return None


class _SeparatorsToSpace(dict[int, int]):
    """``str.translate`` table: punctuation, symbols and separators become a space. Filled one
    code point at a time on first sight, so translating runs at C speed after the first article."""

    def __missing__(self, code: int) -> int:
        value = 32 if unicodedata.category(chr(code))[0] in "PSZ" else code
        self[code] = value
        return value


_SEPARATORS_TO_SPACE = _SeparatorsToSpace()


def _dup_key(text: str) -> tuple[str, ...]:
    """Casefolded word tokens with punctuation and photo credits dropped, for duplicate checks."""
    text = _PHOTO_CREDIT_INLINE.sub(" ", text)
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
    words and their token sets have Jaccard similarity >= ``_DUP_SIMILARITY``. Near matches are
    found by prefix filtering: with tokens in one fixed order (rarest in the article first),
    two sets that similar always share a token among the first
    ``len - ceil(_DUP_SIMILARITY * len) + 1`` of each, so only seen sets indexed under one of the
    key's prefix tokens are compared, with the exact Jaccard test.
    """

    def __init__(self, keys: list[tuple[str, ...]]) -> None:
        # Rare tokens first: prefixes then share few paragraphs, so few candidates are compared.
        frequency = Counter(t for key in keys for t in set(key))
        self._rank = _Ranks((t, r) for r, t in enumerate(sorted(frequency, key=lambda t: (frequency[t], t))))
        self._exact: set[tuple[str, ...]] = set()
        self._sets: list[frozenset[str]] = []
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
        checked: set[int] = set()
        for token in self._prefix(key_set):
            for index in self._by_token.get(token, ()):
                if index in checked:
                    continue
                checked.add(index)
                other_set = self._sets[index]
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
        for token in self._prefix(key_set):
            self._by_token[token].append(len(self._sets) - 1)


# --------------------------------------------------------------------------------------
# Units: stripped pieces of lines with their spans in the normalised text
# --------------------------------------------------------------------------------------


@dataclass
class _Unit:
    start: int  # span in the normalised text
    end: int
    text: str
    kind: str | None = None
    group: int | None = None  # units with the same group are reported as one removal
    heading: bool = False  # a Markdown heading: never part of a hard-wrapped paragraph
    wrap_next: bool = False  # the next unit is the rest of this one's hard-wrapped paragraph
    wrap_prev: bool = False

    @property
    def wrapped(self) -> bool:
        return self.wrap_next or self.wrap_prev

    # Computed once per unit: several passes ask, and a page can have 50,000 units.
    @cached_property
    def title_case(self) -> bool:
        return _is_title_case(self.text)

    @cached_property
    def dup_key(self) -> tuple[str, ...]:
        return _dup_key(self.text)


def _strip_span(norm: str, start: int, end: int) -> tuple[int, int]:
    while start < end and norm[start].isspace():
        start += 1
    while end > start and norm[end - 1].isspace():
        end -= 1
    return start, end


def _find_inline_markers(line: str) -> list[tuple[int, int]]:
    """Photo markers inside a line, as (start, end) offsets within the line.

    "ảnh 2" is ordinary Vietnamese ("photo 2"), so a match only counts where a CMS would
    have put a marker: after a dash, glued to the next sentence's capital letter
    ("hinh anh 1Lt. Gen."), or at the very end of the line.
    """
    found = []
    for m in _INLINE_MARKER.finditer(line):
        after = line[m.end() : m.end() + 1]
        dashed = m.group(0)[:1] in "-–—|"
        glued_capital = after.isalpha() and after.isupper()
        at_end = not line[m.end() :].strip()
        if dashed or glued_capital or at_end:
            found.append((m.start(), m.end()))
    return found


def _split_units(norm: str, markdown: bool = False) -> tuple[list[_Unit | None], list[_Unit]]:
    """Split the text into units (``None`` stands for a blank line) and inline photo markers.

    With ``markdown``, the ``#`` marks of ATX headings are left out of the unit (its span
    starts after them) and rule / Setext underline lines count as blank lines.
    """
    units: list[_Unit | None] = []
    markers: list[_Unit] = []
    pos = 0
    for line in norm.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip() or (markdown and _MD_RULE.match(line)):
            units.append(None)
            continue
        piece_start, line_end, heading = 0, len(line), False
        if markdown and (h := _MD_HEADING.match(line)):
            piece_start, heading = h.end(), True
            close = _MD_HEADING_CLOSE.search(line, piece_start)
            if close:
                line_end = close.start()
            if not line[piece_start:line_end].strip(" \t#"):  # "#", "# #": an empty heading
                units.append(None)
                continue
        cuts = [c for c in _find_inline_markers(line[:line_end]) if c[0] >= piece_start]
        bounds = []
        for m_start, m_end in cuts:
            bounds.append((piece_start, m_start))
            ms, me = _strip_span(norm, line_start + m_start, line_start + m_end)
            markers.append(_Unit(ms, me, norm[ms:me], "photo_marker"))
            piece_start = m_end
        bounds.append((piece_start, line_end))
        for b_start, b_end in bounds:
            s, e = _strip_span(norm, line_start + b_start, line_start + b_end)
            if s < e:
                units.append(_Unit(s, e, norm[s:e], heading=heading))
    return units, markers


def _is_hard_wrap(norm: str, a: _Unit, b: _Unit, *, first: bool) -> bool:
    """True when ``b`` is the next line of the sentence ``a`` was cut in (a scraper's hard wrap).

    Only lines separated by exactly one line break qualify; ``a`` must not end a sentence or
    heading, and ``b`` must start in lower case or with a digit, or follow a comma or a word no
    sentence ends with ("the", "of", "and").  A digit after the first line of the page is not
    enough: that line is usually the headline, and "10 arrested ..." a new paragraph.
    """
    gap = norm[a.end : b.start]
    if gap.count("\n") != 1 or gap.strip() or a.heading or b.heading or _BULLET.match(b.text):
        return False
    if a.text[-1] in _WRAP_END_CLOSERS or a.text.rstrip(_CLOSERS)[-1:] in _WRAP_END_CHARS:
        return False
    start = b.text[0]
    last_word = a.text.split()[-1]
    if start.islower() or a.text.endswith(",") or last_word in _WRAP_CONNECTORS:
        return True
    return start.isdigit() and not first and not a.title_case


def _link_hard_wraps(norm: str, units: list[_Unit]) -> None:
    for i in range(len(units) - 1):
        if _is_hard_wrap(norm, units[i], units[i + 1], first=i == 0):
            units[i].wrap_next = units[i + 1].wrap_prev = True


def _paragraphs(units: list[_Unit]) -> list[list[int]]:
    """Indices of kept units, grouped into paragraphs: runs of kept hard-wrapped lines."""
    runs: list[list[int]] = []
    for i, u in enumerate(units):
        if u.kind is not None:
            continue
        if runs and runs[-1][-1] == i - 1 and units[i - 1].wrap_next:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


# --------------------------------------------------------------------------------------
# Passes
# --------------------------------------------------------------------------------------


def _body_bounds(units: list[_Unit]) -> tuple[int, int]:
    """Indices of the first and last kept unit that is clearly article body (long paragraph)."""
    body = [
        i
        for run in _paragraphs(units)
        if sum(len(_words(units[i].text)) for i in run) >= _BODY_MIN_WORDS
        for i in run
    ]
    if not body:
        return len(units), -1
    return body[0], body[-1]


def _mark_navigation(units: list[_Unit]) -> None:
    """Runs of short bullet lines: menus (provinces, sections).  Short runs only at head/tail."""
    first_body, last_body = _body_bounds(units)
    i, group = 0, 0
    while i < len(units):
        j = i
        while j < len(units) and units[j].kind is None and _is_nav_item(units[j].text):
            j += 1
        count = j - i
        in_margin = j <= first_body or i > last_body
        if count >= _NAV_MIN_ITEMS and (count >= _NAV_ALWAYS_ITEMS or in_margin):
            group += 1
            for u in units[i:j]:
                u.kind, u.group = "navigation", group
        i = max(j, i + 1)


def _is_nav_item(text: str) -> bool:
    m = _BULLET.match(text)
    if not m:
        return False
    item = m.group(1)
    return len(_words(item)) <= _NAV_MAX_WORDS and _last_char(item) not in set(".!?…;")


def _next_kept(units: list[_Unit], i: int) -> int | None:
    for j in range(i + 1, len(units)):
        if units[j].kind is None:
            return j
    return None


def _mark_teaser_blocks(units: list[_Unit], title_idx: int | None) -> None:
    """Cards of other stories: a headline, often repeated, then a snippet cut off with "...".

    The snippet ending in an ellipsis is what makes this safe: a real paragraph that is
    preceded by a headline-shaped line and trails off mid-sentence is vanishingly rare.
    """
    for i, u in enumerate(units):
        if u.kind is not None or i == title_idx or u.wrapped or not _looks_like_headline(u.text):
            continue
        j = _next_kept(units, i)
        if j is None:
            continue
        block = [i]
        if units[j].dup_key == u.dup_key:
            block.append(j)
            k = _next_kept(units, j)
        else:
            if not u.title_case:
                continue
            k = j
        if k is None:
            continue
        snippet = units[k].text
        if _ELLIPSIS_END.search(snippet) and len(_words(snippet)) <= _TEASER_SNIPPET_MAX_WORDS:
            for idx in [*block, k]:
                units[idx].kind = "teaser"


def _mark_duplicates(units: list[_Unit]) -> None:
    """Later copies of a kept paragraph (repeated headline, lead re-used as a photo caption)."""
    runs = _paragraphs(units)
    keys = [tuple(w for i in run for w in units[i].dup_key) for run in runs]
    seen = _SeenParagraphs(keys)
    for run, key in zip(runs, keys, strict=True):
        if seen.is_duplicate(key):
            for i in run:
                units[i].kind = "duplicate"
        elif key:
            seen.add(key)


def _mark_title_case_lines(units: list[_Unit], title_idx: int | None) -> None:
    """Title-Case short lines in furniture context become "teaser" (or "byline" if name-shaped).

    A Title-Case line in the middle of the body may be a section heading, so it is only
    removed when it sits before/after the body or next to other furniture; the pass is
    repeated so that a run of related-story headlines falls as a whole.  An ellipsis
    snippet right after a removed headline is the rest of that teaser card.
    """
    first_body, last_body = _body_bounds(units)

    def mark(i: int) -> bool:
        """Look at unit ``i`` in the current state; True when it was removed."""
        u = units[i]
        if u.kind is not None or i == title_idx or u.wrapped:
            return False
        if (
            i > 0
            and units[i - 1].kind == "teaser"
            and _ELLIPSIS_END.search(u.text)
            and len(_words(u.text)) <= _TEASER_SNIPPET_MAX_WORDS
        ):
            u.kind = "teaser"
            return True
        if not u.title_case:
            return False
        in_margin = i < first_body or i > last_body
        near_furniture = any(
            0 <= n < len(units)
            and (
                units[n].kind in _CONTEXT_KINDS
                or (units[n].kind is None and n != title_idx and not units[n].wrapped and units[n].title_case)
            )
            for n in (i - 1, i + 1)
        )
        if in_margin or near_furniture:
            u.kind = "byline" if _is_name(u.text) else "teaser"
            return True
        return False

    # Passes in page order until nothing changes. A unit's verdict depends only on itself and its
    # two neighbours, so a pass looks again only at the units next to one that changed since they
    # were last looked at: the same verdicts as full passes, in linear time.
    pending = list(range(len(units)))
    while pending:
        heapq.heapify(pending)
        next_pass: set[int] = set()
        last = -1
        while pending:
            i = heapq.heappop(pending)
            if i == last:
                continue
            last = i
            if mark(i):
                if i + 1 < len(units):
                    heapq.heappush(pending, i + 1)
                if i > 0:
                    next_pass.add(i - 1)
        pending = list(next_pass)


def _first_kept(units: list[_Unit]) -> int | None:
    return next((i for i, u in enumerate(units) if u.kind is None), None)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def clean(raw: str, *, markdown: bool = False) -> CleanedText:
    """Remove page furniture from one scraped article; see the module docstring for why.

    ``markdown=True`` (for ``.md`` sources) drops the ``#`` marks of headings and rule lines.
    """
    norm, starts, ends = _normalise(raw)
    with_blanks, markers = _split_units(norm, markdown)
    units = [u for u in with_blanks if u is not None]
    # Blank lines carry no meaning for the rules: scrapers put them everywhere or nowhere.
    # Single line breaks inside a sentence do: they are hard wraps, linked here and joined below.
    _link_hard_wraps(norm, units)

    _mark_navigation(units)
    for u in units:
        if u.kind is None:
            u.kind = _simple_kind(u.text)
    _mark_site_notices(units)

    title_idx = _first_kept(units)
    if title_idx is not None and not _looks_like_headline(units[title_idx].text):
        title_idx = None
    _mark_teaser_blocks(units, title_idx)
    _mark_duplicates(units)
    _mark_title_case_lines(units, title_idx)

    paragraphs = [" ".join(units[i].text for i in run) for run in _paragraphs(units)]
    title = None
    if paragraphs and title_idx is not None and _first_kept(units) == title_idx:
        title = paragraphs[0] if _looks_like_headline(paragraphs[0]) else None

    removed_units = sorted([u for u in units if u.kind is not None] + markers, key=lambda u: u.start)
    spans: list[tuple[int, int, str]] = []  # (start, end, kind) in the raw text; a group is one span
    group_open: dict[int, int] = {}
    for u in removed_units:
        if u.group is not None and u.group in group_open:
            idx = group_open[u.group]
            spans[idx] = (spans[idx][0], ends[u.end - 1], spans[idx][2])  # the group grows to its last unit
            continue
        spans.append((starts[u.start], ends[u.end - 1], u.kind or ""))
        if u.group is not None:
            group_open[u.group] = len(spans) - 1
    removals = [Removal(start, end, kind, raw[start:end]) for start, end, kind in spans]

    return CleanedText(
        text="\n\n".join(paragraphs),
        title=title,
        datelines=tuple(u.text for u in units if u.kind == "dateline"),
        removed=tuple(removals),
    )


def removal_report(cleaned: CleanedText, width: int = 80) -> str:
    """One line per removal, "kind  text", so a human can audit what the rules threw away."""
    lines = []
    for r in cleaned.removed:
        text = " ⏎ ".join(part.strip() for part in r.text.splitlines() if part.strip())
        text = " ".join(text.split())
        if len(text) > width:
            text = text[: width - 1] + "…"
        lines.append(f"{r.kind:<12} {text}")
    return "\n".join(lines)
