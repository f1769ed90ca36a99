"""Per-line furniture rules: what a line is, judged from the line alone.

Buttons, share bars, photo credits and file names, mobile/desktop links, breadcrumbs,
banners, bylines and datelines are recognisable without looking at their neighbours;
``_simple_kind`` names the kind of such a line.  The patterns are built from the word
lists in ``vocabulary.json``; only their structure (separators, anchors) lives here.
Site notices, menu lines, tag lines and link-list headers are matched here too, but are acted
on only by position (see ``passes``); datelines and bylines found here are kept or dropped by
position there as well.
"""

from __future__ import annotations

import re
import string

from .datelines import _dateline_class
from .shapes import _bare_token, _last_char, _looks_like_headline, _words
from .vocabulary import VOCABULARY, alternation, trie_alternation

# A line that is only a photo credit / photo label: "(Photo: VNA)", "Ảnh: TTXVN", "File photo".
# Word lists inside patterns that are pinned to the line (or its start) and only tested for a match
# are prefix tries (``trie_alternation``): the same lines match, and most lines fail at once.
_PHOTO_CREDIT_LINE = re.compile(
    rf"^[(\[]?\s*{trie_alternation(VOCABULARY['photo_labels'])}"
    r"\s*(?:(?:[:\-–—]|by|courtesy of)\s*[^.!?]{0,60})?[)\]]?\.?$",
    re.IGNORECASE,
)

_IMAGE_FILE = re.compile(
    rf"^[^\n]{{0,80}}\.{alternation(VOCABULARY['image_extensions'])}$",
    re.IGNORECASE,
)

_UI_WORDS = list(VOCABULARY["ui_words"])
_UI_WORD = alternation(sorted(_UI_WORDS, key=len, reverse=True))
_UI_SEP = r"[\s|/·•,:\-–—]*"
# Lines made only of UI words, possibly glued together by the scraper ("ShareFacebook"). The words
# as a prefix trie: the same lines match, but a line fails at its first letters, not after 103 tries.
_BUTTON_LINE = re.compile(
    rf"^{trie_alternation(_UI_WORDS)}(?:{_UI_SEP}{trie_alternation(_UI_WORDS)})*{_UI_SEP}$", re.IGNORECASE
)

_MOBILE_LINK = re.compile(
    rf"^(?:{trie_alternation(VOCABULARY['mobile_link_phrases'])}|"
    r"(?:switch to|view|go to) (?:the )?(?:mobile|desktop|full) (?:version|site))$",
    re.IGNORECASE,
)

# "This portal is under construction": a notice about the site itself. The same words are news in
# an article ("its new e-visa portal is under construction"), so these fire only where page
# furniture lives (see passes._mark_site_notices), never on a line that reports what someone said.
_SITE_NOTICE_PATTERNS = [
    re.compile(
        rf"\b{trie_alternation(VOCABULARY['site_nouns_en'])}\b.{{0,60}}?\b{trie_alternation(VOCABULARY['site_states_en'])}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b{alternation(VOCABULARY['site_nouns_vi'])}\b.{{0,80}}?"
        rf"(?:đang (?:được )?{alternation(VOCABULARY['site_states_vi'])}|"
        rf"{alternation(VOCABULARY['site_states_vi_bare'])})",
        re.IGNORECASE,
    ),
]
_SITE_NOTICE = re.compile("|".join(f"(?:{p.pattern})" for p in _SITE_NOTICE_PATTERNS), re.IGNORECASE)
"""Any of ``_SITE_NOTICE_PATTERNS``, in one search."""
_REPORTED_SPEECH = re.compile(rf"\b{trie_alternation(VOCABULARY['reported_speech'])}\b", re.IGNORECASE)
# Each banner pattern with the words one of which every match holds: on an ASCII line, a pattern
# is searched only when one of its words (``_ascii_fold``-ed) is in the lower-cased line, which
# spares nearly every line all the searches. A pattern changed here must keep its words in step.
_ADVERTISEMENT_LABELS = VOCABULARY["advertisement_labels"]
_BANNER_RULES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"\bcookies?\b.{0,120}\b(?:use|uses|accept|consent|policy|settings)\b", re.IGNORECASE), ("cookie",)),
    (re.compile(r"\b(?:use|uses)\b.{0,40}\bcookies?\b", re.IGNORECASE), ("cookie",)),
    (re.compile(r"\benable javascript\b|\byour browser (?:is|does)\b", re.IGNORECASE),
     ("enable javascript", "your browser ")),
    (re.compile(rf"^{alternation(_ADVERTISEMENT_LABELS)}$", re.IGNORECASE), _ADVERTISEMENT_LABELS),
    (re.compile(r"\b(?:subscribe|sign up) (?:to|for) (?:our|the)\b.{0,30}\bnewsletter\b", re.IGNORECASE),
     ("newsletter",)),
    (re.compile(r"\b(?:in|to) your inbox\b", re.IGNORECASE), ("your inbox",)),
    # A site's footer: "© 2023 Example Media Ltd. All rights reserved.", "Copyright 2023 ..."
    (re.compile(r"^(?:©|\(c\)\s*\d{4}|copyright\b\s*(?:©|\d{4}))|\ball rights reserved\b", re.IGNORECASE),
     ("©", "(c)", "copyright", "all rights reserved")),
]


def _ascii_fold(word: str) -> str:
    """``word`` as it shows in a lower-cased ASCII line that an IGNORECASE pattern holding it
    matches: a character IGNORECASE matches to an ASCII letter (the Kelvin sign, a dotless i, a
    long s) becomes that letter; one that matches no ASCII character stays, so that the word is
    never found in an ASCII line, where the pattern cannot match it either."""
    out = []
    for ch in word:
        twin = ch.lower() if ch.isascii() else next(
            (c for c in string.ascii_lowercase if re.fullmatch(re.escape(ch), c, re.IGNORECASE)), ch)
        out.append(twin)
    return "".join(out)


_BANNER_RULES = [(pattern, tuple(_ascii_fold(w) for w in words)) for pattern, words in _BANNER_RULES]
_BANNER_PATTERNS = [pattern for pattern, _ in _BANNER_RULES]
_BANNER_WORDS = re.compile("|".join(re.escape(w) for _, words in _BANNER_RULES for w in words))
"""Any banner pattern's words, searched in the lower-cased line (no IGNORECASE)."""
_BANNER_MAX_WORDS = 40

_BREADCRUMB = re.compile(rf"^{alternation(VOCABULARY['breadcrumb_roots'])}\s*[>»›/|]", re.IGNORECASE)

_BYLINE_PREFIX = re.compile(
    rf"^{alternation(VOCABULARY['byline_prefixes'])}\s*(?:[:\-–—]\s*|\s)(?P<rest>\S.*)$",
    re.IGNORECASE,
)
# Whether _BYLINE_PREFIX matches (a unit has no line break for ".*$" to stop at), decided fast;
# the pattern itself, whose "rest" depends on the order of the prefixes, runs only then.
_BYLINE_PREFIX_HINT = re.compile(
    rf"^{trie_alternation(VOCABULARY['byline_prefixes'])}\s*(?:[:\-–—]\s*|\s)\S", re.IGNORECASE
)
_BYLINE_JOINERS = set(VOCABULARY["byline_joiners"])
_BYLINE_BAD_END = frozenset(".!?…;:")


def _is_byline(text: str) -> bool:
    """An explicit byline: "By Jane Smith", "Author: Nguyen Van A", "Bài và ảnh: ..."."""
    m = _BYLINE_PREFIX.match(text) if _BYLINE_PREFIX_HINT.match(text) else None
    if not m:
        return False
    rest = m.group("rest").strip()
    words = rest.replace(",", " , ").split()
    if not words or len(words) > 8 or _last_char(rest) in _BYLINE_BAD_END:
        return False
    names = [w for w in words if w.lower() not in _BYLINE_JOINERS]
    return bool(names) and all(_bare_token(w)[:1].isupper() for w in names if _bare_token(w))


# Line shapes of menus, judged from the line alone but acted on only in the page's margins
# (passes._mark_menus): a trail "Culture > Books > Interviews", a one-line menu
# "Home | NFL | NBA | MLB", a tag line "Topics: AI, Regulation".
_TRAIL_SEP = re.compile(r"\s+[>»›]\s+")
_MENU_SEP = re.compile(r"\s+[|·•]\s+")
_MENU_SEP_CHARS = re.compile(r"[>»›|·•]")
_MENU_ITEM_MAX_WORDS = 3
_MENU_ITEM_BAD_END = frozenset(".!?…;:,")
_MENU_MIN_ITEMS = 3
_TAG_LINE = re.compile(rf"^{trie_alternation(VOCABULARY['tag_labels'])}\s*:\s*\S", re.IGNORECASE)
_LINK_HEADERS = sorted(VOCABULARY["link_list_headers"], key=len, reverse=True)
_LINK_HEADER_LINE = re.compile(rf"^{trie_alternation(_LINK_HEADERS)}\s*:?$", re.IGNORECASE)
# "Read more: How the new rules affect chatbots", "RELATED - Ten things to know": a link on one line.
_LINK_PREFIX = re.compile(rf"^{alternation(_LINK_HEADERS)}\s*[:\-–—|»›]\s*(?P<rest>\S.*)$", re.IGNORECASE)
_LINK_PREFIX_HINT = re.compile(rf"^{trie_alternation(_LINK_HEADERS)}\s*[:\-–—|»›]\s*\S", re.IGNORECASE)
"""Whether _LINK_PREFIX matches, decided fast (as _BYLINE_PREFIX_HINT)."""


def _is_menu_item(text: str) -> bool:
    """A menu entry: 1-3 words, starting with a capital, no digits, not ending like a sentence."""
    return (
        1 <= len(text.split()) <= _MENU_ITEM_MAX_WORDS
        and text[:1].isupper()
        and not any(c.isdigit() for c in text)
        and _last_char(text) not in _MENU_ITEM_BAD_END
    )


def _is_menu_line(text: str) -> bool:
    """A one-line menu or a trail of sections: at least three menu items between separators."""
    if not _MENU_SEP_CHARS.search(text):  # no separator, no items to split
        return False
    for sep in (_MENU_SEP, _TRAIL_SEP):
        items = sep.split(text)
        if len(items) >= _MENU_MIN_ITEMS and all(_is_menu_item(item.strip()) for item in items):
            return True
    return False


def _is_tag_line(text: str) -> bool:
    return bool(_TAG_LINE.match(text)) and len(_words(text)) <= _BANNER_MAX_WORDS


def _is_link_header(text: str) -> bool:
    """A header of a list of links to other stories: "Related", "Read more", "Most viewed"."""
    return bool(_LINK_HEADER_LINE.match(text))


def _is_inline_link(text: str) -> bool:
    """A link to another story on one line: "Read more: <headline>", headline-shaped after the header."""
    m = _LINK_PREFIX.match(text) if _LINK_PREFIX_HINT.match(text) else None
    return bool(m) and _looks_like_headline(m.group("rest"))


def _is_banner(text: str, n_words: int | None = None) -> bool:
    if (len(_words(text)) if n_words is None else n_words) > _BANNER_MAX_WORDS:
        return False
    if text.isascii():
        low = text.lower()
        if not _BANNER_WORDS.search(low):
            return False
        return any(any(w in low for w in words) and p.search(text) for p, words in _BANNER_RULES)
    return any(p.search(text) for p in _BANNER_PATTERNS)


def _simple_kind(text: str, n_words: int | None = None) -> str | None:
    """Kinds decided by the line alone, without looking at its neighbours (``n_words``: the
    line's word count, when the caller has it)."""
    if _MOBILE_LINK.match(text):
        return "mobile_link"
    if _BUTTON_LINE.match(text):
        return "button"
    if _BREADCRUMB.match(text) and len(_words(text)) <= 15:
        return "navigation"
    if "." in text and _IMAGE_FILE.match(text) and len(_words(text)) <= 4:
        return "photo_file"
    if _PHOTO_CREDIT_LINE.match(text):
        return "photo_marker"
    if _dateline_class(text) is not None:
        return "dateline"
    if _is_banner(text, n_words):
        return "banner"
    if _is_byline(text):
        return "byline"
    return None
