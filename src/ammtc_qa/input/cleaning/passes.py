"""Context-dependent passes: furniture recognised by where a line sits, not by the line alone.

Menus, teaser cards of other stories, Title-Case headlines and names, site notices, datelines,
bylines and repeated paragraphs look like article text in isolation, and article text looks
like them: a cast list is a run of short Title-Case lines, standings are a numbered list, a
timeline has month headings, a product list has name headings. So the shape of one line
never removes it; each pass asks for page-furniture evidence on top of the shape:

- position in the page's margins (``units._Zones``): before the article body, in the
  "standfirst" between the lead and the second paragraph (where many sites print the date,
  byline and links), or after the body ends. A line in the middle of the body, between
  paragraphs of prose, is content unless its own words say otherwise (a share button, a
  "Read more: ..." link, an "Updated:" stamp);
- link-like or menu-like context: a run of menu entries at the very top of the page, a
  one-line menu, a header such as "Related" or "Most viewed" before a list of headlines, an
  adjacent line that is furniture by its own words;
- repetition within the page: a headline repeated above a snippet cut off with "...", a
  sentence-length paragraph (or the title) repeated verbatim.
"""

from __future__ import annotations

import re

from .datelines import _dateline_class
from .duplicates import _DUP_MIN_WORDS, _SeenParagraphs
from .furniture import (
    _BANNER_MAX_WORDS,
    _MENU_MIN_ITEMS,
    _REPORTED_SPEECH,
    _SITE_NOTICE,
    _is_inline_link,
    _is_link_header,
    _is_menu_item,
    _is_menu_line,
    _is_tag_line,
)
from .shapes import _ELLIPSIS_END, _is_name, _last_char, _looks_like_headline, _words
from .units import _BULLET, _body_bounds, _next_kept, _paragraphs, _Unit, _zones

_NAV_MIN_ITEMS = 5
_NAV_MAX_WORDS = 5
_NAV_BAD_END = frozenset(".!?…;:")
_TEASER_SNIPPET_MAX_WORDS = 80

# Removed kinds that mark a neighbourhood as furniture for the context-dependent rules.
# Photo files and markers are excluded on purpose: they sit next to real captions.
_CONTEXT_KINDS = {"banner", "navigation", "button", "teaser", "mobile_link", "byline", "dateline"}
# Furniture that sits in a page's header, next to the links some sites print under the lead.
# Not banners: an "Advertisement" slot can sit anywhere, next to anything.
_HEADER_KINDS = {"navigation", "button", "mobile_link", "byline", "dateline"}
# Kinds a list of links may hold between its headlines (share buttons, other link headers).
_LINK_LIST_KINDS = {"button", "teaser"}
# "Director: Christopher Nolan", "Price: $999", "Best Actor - Drama: Cillian Murphy": a label and
# its value, the shape of list and table content, never of another story's headline.
_KEY_VALUE = re.compile(r"^[^:]{1,40}:\s+\S")
_KEY_VALUE_MAX_LABEL_WORDS = 4
# "More NFL", "More Curry Recipes": a header of links, but only after the body ends.
_MORE_HEADER = re.compile(r"^More(?:\s+\S+){1,3}$")


def _is_key_value(text: str) -> bool:
    m = _KEY_VALUE.match(text) if ":" in text else None
    return bool(m) and len(text[: text.index(":")].split()) <= _KEY_VALUE_MAX_LABEL_WORDS


def _confine_datelines_and_bylines(units: list[_Unit]) -> None:
    """Keep the datelines and bylines found line by line only where a page prints them.

    A labelled stamp ("Updated: Dec. 4, 2023") is one anywhere. A date is one in the head, the
    standfirst or the tail, unless dates structure the article (two or more date lines after the
    lead, a chronology's headings: then the standfirst's date is one of them). A bare time
    ("10:30 a.m.", a live blog's update) is one only in the head or next to a dateline
    ("11/09/2025" / "00:00"). An explicit byline ("By Jane Smith") is one in the head, standfirst
    or tail, not between paragraphs of the body.
    """
    zones = _zones(units)
    classes = {i: _dateline_class(u.text) for i, u in enumerate(units) if u.kind == "dateline"}
    body_dates = sum(1 for i, c in classes.items() if c == "date" and zones.first_body < i < zones.last_body) >= 2
    allowed: set[int] = set()
    for i, c in classes.items():
        if c == "stamp" or (
            c == "date" and (zones.margin(i) or (zones.standfirst(i) and not body_dates))
        ):
            allowed.add(i)
    for i, c in classes.items():
        if c == "time" and (zones.head(i) or any(n in allowed for n in (i - 1, i + 1))):
            allowed.add(i)
    for i, u in enumerate(units):
        misplaced_byline = u.kind == "byline" and not (zones.margin(i) or zones.standfirst(i))
        if (u.kind == "dateline" and i not in allowed) or misplaced_byline:
            u.kind = None


def _mark_site_notices(units: list[_Unit]) -> None:
    """Notices about the site ("Portal is under construction") in the page's margins (before or
    after the article body) or next to other furniture; the same words inside the article, or in
    a line that reports speech, are the article's own news and stay."""
    first_body, last_body = _body_bounds(units)
    for i, u in enumerate(units):
        if (u.kind is not None or u.n_words > _BANNER_MAX_WORDS
                or not _SITE_NOTICE.search(u.text) or _REPORTED_SPEECH.search(u.text)):
            continue
        in_margin = i < first_body or i > last_body
        if in_margin or any(0 <= n < len(units) and units[n].kind in _CONTEXT_KINDS for n in (i - 1, i + 1)):
            u.kind = "banner"


def _mark_navigation(units: list[_Unit]) -> None:
    """Runs of short bullet lines that read as menu entries (provinces, sections), in the margins.

    A numbered list ("8. Houston Texans (7-5)"), a list of lower-case or figure-led entries
    ("• 800g chicken") or any list between paragraphs of the body is the article's own list.
    """
    first_body, last_body = _body_bounds(units)
    i, group = 0, 0
    while i < len(units):
        j = i
        while j < len(units) and units[j].kind is None and _is_nav_item(units[j].text):
            j += 1
        in_margin = j <= first_body or i > last_body
        if j - i >= _NAV_MIN_ITEMS and in_margin:
            group += 1
            for u in units[i:j]:
                u.kind, u.group = "navigation", group
        i = max(j, i + 1)


def _is_nav_item(text: str) -> bool:
    m = _BULLET.match(text)
    if not m or text[:1].isdigit():
        return False
    item = m.group(1)
    return (
        len(_words(item)) <= _NAV_MAX_WORDS
        and _last_char(item) not in _NAV_BAD_END
        and item[:1].isupper()
    )


def _mark_menus(units: list[_Unit]) -> None:
    """Menus without bullets: where a scraper flattened a site's navigation.

    - at the very top of the page (nothing but furniture before), a run of at least three
      menu entries ("Markets", "Companies", "Opinion"), or single-word section labels right
      before the headline ("Live", "Analysis");
    - in the margins, a one-line menu or trail ("Home | NFL | NBA", "Culture > Books") and a tag
      line ("Topics: AI, Regulation");
    - after the body, a run of at least three menu entries with furniture on both sides.
    """
    zones = _zones(units)
    group = -1  # negative groups: never shared with _mark_navigation's
    for i, u in enumerate(units):
        if u.kind is None and zones.margin(i) and (_is_menu_line(u.text) or _is_tag_line(u.text)):
            u.kind = "navigation"

    def take(run: list[int]) -> None:
        nonlocal group
        for k, idx in enumerate(run):
            if k == 0 or run[k - 1] != idx - 1:
                group -= 1
            units[idx].kind, units[idx].group = "navigation", group

    top: list[int] = []
    i = 0
    while i < len(units) and (units[i].kind is not None or _is_menu_item(units[i].text)) and zones.head(i):
        if units[i].kind is None and not units[i].wrapped:
            top.append(i)
        i += 1
    # The run must leave a headline after it: otherwise its last entry is the page's short title.
    before_title = i < len(units) and zones.head(i) and units[i].headline
    if top and not before_title:
        before_title = units[top.pop()].headline
    if len(top) >= _MENU_MIN_ITEMS or (top and before_title and all(units[k].n_words == 1 for k in top)):
        take(top)

    i = zones.last_body + 1
    while i < len(units):
        j = i
        while j < len(units) and units[j].kind is None and not units[j].wrapped and _is_menu_item(units[j].text):
            j += 1
        if j - i >= _MENU_MIN_ITEMS and _furniture_or_edge(units, i - 1) and _furniture_or_edge(units, j):
            take(list(range(i, j)))
        i = max(j, i + 1)


def _furniture_or_edge(units: list[_Unit], n: int) -> bool:
    return not 0 <= n < len(units) or units[n].kind in _CONTEXT_KINDS


def _mark_teaser_blocks(units: list[_Unit], title_idx: int | None) -> None:
    """Cards of other stories: a headline, often repeated, then a snippet cut off with "...".

    The repeated headline is within-page repetition, evidence anywhere on the page; a single
    Title-Case headline above a cut-off snippet counts only in the margins (a section heading
    above a quotation that trails off is the article's).
    """
    zones = _zones(units)
    for i, u in enumerate(units):
        if u.kind is not None or i == title_idx or u.wrapped or not u.headline:
            continue
        j = _next_kept(units, i)
        if j is None:
            continue
        # The snippet is the next kept unit, or the one after it when the next repeats the
        # headline: with no ellipsis in either, there is no card (and no need to compare keys).
        if not units[j].ellipsis:
            after = _next_kept(units, j)
            if after is None or not units[after].ellipsis:
                continue
        block = [i]
        if units[j].dup_key == u.dup_key:
            block.append(j)
            k = _next_kept(units, j)
        else:
            if not u.title_case or not zones.margin(i):
                continue
            k = j
        if k is None:
            continue
        if units[k].ellipsis and units[k].n_words <= _TEASER_SNIPPET_MAX_WORDS:
            for idx in [*block, k]:
                units[idx].kind = "teaser"


def _mark_link_lists(units: list[_Unit], title_idx: int | None) -> None:
    """Lists of links to other stories: a header ("Related", "Read more", "Most viewed"; "More
    <section>" after the body) and the headlines, snippets and short entries right after it, up
    to the first line that is none of those. "Read more: <headline>" on one line is a link too.
    """
    zones = _zones(units)
    i = 0
    while i < len(units):
        u = units[i]
        header = u.kind in (None, "button") and (
            _is_link_header(u.text) or (zones.tail(i) and u.kind is None and bool(_MORE_HEADER.match(u.text)))
        )
        if not header:
            if u.kind is None and i != title_idx and _is_inline_link(u.text):
                u.kind = "teaser"
            i += 1
            continue
        if u.kind is None:
            u.kind = "teaser"
        j = i + 1
        while j < len(units):
            v = units[j]
            if v.kind is not None:
                if v.kind not in _LINK_LIST_KINDS:
                    break
            elif j != title_idx and not v.wrapped and _is_link_entry(v.text):
                v.kind = "teaser"
            else:
                break
            j += 1
        i = j


def _is_link_entry(text: str) -> bool:
    snippet = _ELLIPSIS_END.search(text) and len(_words(text)) <= _TEASER_SNIPPET_MAX_WORDS
    return bool(snippet) or _looks_like_headline(text) or _is_menu_item(text) or _is_inline_link(text)


def _mark_duplicates(units: list[_Unit], title_idx: int | None = None) -> None:
    """Later copies of a kept paragraph (repeated headline, lead re-used as a photo caption).

    Only sentence-length copies and copies of the title count: a heading repeated in two
    sections ("Microsoft" under "Results" and under "What analysts say") is the article's.
    """
    runs = _paragraphs(units)
    keys = [units[run[0]].dup_key if len(run) == 1 else tuple(w for i in run for w in units[i].dup_key)
            for run in runs]
    title_key = next((key for run, key in zip(runs, keys, strict=True) if title_idx in run), None)
    seen = _SeenParagraphs(keys)
    for run, key in zip(runs, keys, strict=True):
        if (len(key) >= _DUP_MIN_WORDS or key == title_key) and seen.is_duplicate(key):
            for i in run:
                units[i].kind = "duplicate"
        elif key:
            seen.add(key)


def _mark_title_case_lines(units: list[_Unit], title_idx: int | None) -> None:
    """Runs of Title-Case short lines (headlines of other stories, names) held by furniture.

    A run of consecutive Title-Case lines is removed, as "teaser" (or "byline" if name-shaped):

    - in the head (before the body), when a line next to the run is furniture;
    - in the standfirst, when a line next to it is header furniture (a dateline, byline,
      share bar: the links some sites print under the lead);
    - in the tail (after the body), when the lines on both sides are furniture or the page's end.

    In the body, a run of Title-Case lines is a list, a table or a heading, and stays; so do
    "Label: value" lines anywhere. An ellipsis snippet right after a removed headline is the
    rest of that teaser card. One pass over the runs: linear in the page.
    """
    zones = _zones(units)
    n = len(units)

    def candidate(i: int) -> bool:
        u = units[i]
        return u.kind is None and i != title_idx and not u.wrapped and u.title_case and not _is_key_value(u.text)

    def kind_at(k: int) -> str | None:
        return units[k].kind if 0 <= k < n else None

    i = 0
    while i < n:
        if not candidate(i):
            i += 1
            continue
        j = i
        while j + 1 < n and candidate(j + 1):
            j += 1
        before, after = kind_at(i - 1), kind_at(j + 1)
        if zones.head(j):
            remove = before in _CONTEXT_KINDS or after in _CONTEXT_KINDS
        elif zones.standfirst(i) and zones.standfirst(j):
            remove = before in _HEADER_KINDS or after in _HEADER_KINDS
        elif zones.tail(i):
            remove = _furniture_or_edge(units, i - 1) and _furniture_or_edge(units, j + 1)
        else:
            remove = False
        if remove:
            for k in range(i, j + 1):
                units[k].kind = "byline" if _is_name(units[k].text) else "teaser"
        i = j + 1

    for i in range(1, n):
        u = units[i]
        if (
            u.kind is None
            and i != title_idx
            and units[i - 1].kind == "teaser"
            and u.ellipsis
            and u.n_words <= _TEASER_SNIPPET_MAX_WORDS
        ):
            u.kind = "teaser"
