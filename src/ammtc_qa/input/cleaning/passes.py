"""Context-dependent passes: furniture recognised by where a line sits, not by the line alone.

Menus, teaser cards of other stories, Title-Case headlines and names, site notices and
repeated paragraphs look like article text in isolation; these passes remove them only in
the page's margins (before / after the body) or next to other furniture, which is what keeps
the risky rules from cutting sentences of the article.
"""

from __future__ import annotations

import heapq

from .duplicates import _SeenParagraphs
from .furniture import _BANNER_MAX_WORDS, _REPORTED_SPEECH, _SITE_NOTICE_PATTERNS
from .shapes import _ELLIPSIS_END, _is_name, _last_char, _looks_like_headline, _words
from .units import _BULLET, _body_bounds, _next_kept, _paragraphs, _Unit

_NAV_MIN_ITEMS = 5
_NAV_MAX_WORDS = 5
_NAV_ALWAYS_ITEMS = 10  # a run this long is a menu even in the middle of the page
_TEASER_SNIPPET_MAX_WORDS = 80

# Removed kinds that mark a neighbourhood as furniture for the context-dependent rules.
# Photo files and markers are excluded on purpose: they sit next to real captions.
_CONTEXT_KINDS = {"banner", "navigation", "button", "teaser", "mobile_link", "byline", "dateline"}


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
