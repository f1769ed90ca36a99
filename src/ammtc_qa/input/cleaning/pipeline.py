"""``clean``: the order in which the rules run, and the mapping of removals back to raw spans.

The order matters (line rules, then the positional checks of datelines and bylines, menus
before the title is chosen, teaser cards and link lists before duplicates before Title-Case
lines), so it is written out once, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from .audit import CleanedText, Removal
from .datelines import _is_dateline
from .furniture import _simple_kind
from .normalise import _normalise
from .passes import (
    _confine_datelines_and_bylines,
    _mark_duplicates,
    _mark_link_lists,
    _mark_menus,
    _mark_navigation,
    _mark_site_notices,
    _mark_teaser_blocks,
    _mark_title_case_lines,
)
from .shapes import _looks_like_headline
from .units import _first_kept, _link_hard_wraps, _paragraphs, _split_units


def clean(raw: str, *, markdown: bool = False, running: Sequence[tuple[int, int]] = ()) -> CleanedText:
    """Remove page furniture from one scraped article; see the module docstring for why.

    ``markdown=True`` (for ``.md`` sources) drops the ``#`` marks of headings and rule lines.
    ``running``: raw spans of lines already known to be furniture from outside this text (a PDF's
    running headers and footers, ``pages.running_lines``), removed as ``running_header``. One
    that reads as a dateline still gives the date (``CleanedText.datelines``).
    """
    norm, starts, ends = _normalise(raw)
    with_blanks, markers = _split_units(norm, markdown)
    units = [u for u in with_blanks if u is not None]
    if running:
        for u in units:
            if any(s <= starts[u.start] and ends[u.end - 1] <= e for s, e in running):
                u.kind = "running_header"
    # Blank lines carry no meaning for the rules: scrapers put them everywhere or nowhere.
    # Single line breaks inside a sentence do: they are hard wraps, linked here and joined below.
    _link_hard_wraps(norm, units)

    _mark_navigation(units)
    for u in units:
        if u.kind is None:
            u.kind = _simple_kind(u.text, u.n_words)
    _confine_datelines_and_bylines(units)
    _mark_site_notices(units)
    _mark_menus(units)

    title_idx = _first_kept(units)
    if title_idx is not None and not units[title_idx].headline:
        title_idx = None
    _mark_teaser_blocks(units, title_idx)
    _mark_link_lists(units, title_idx)
    _mark_duplicates(units, title_idx)
    _mark_title_case_lines(units, title_idx)

    paragraphs = [units[run[0]].text if len(run) == 1 else " ".join(units[i].text for i in run)
                  for run in _paragraphs(units)]
    title = None
    if paragraphs and title_idx is not None and _first_kept(units) == title_idx:
        title = paragraphs[0] if _looks_like_headline(paragraphs[0]) else None

    removed_units = sorted([u for u in units if u.kind is not None] + markers, key=attrgetter("start"))
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
        datelines=tuple(u.text for u in units
                        if u.kind == "dateline" or (u.kind == "running_header" and _is_dateline(u.text))),
        removed=tuple(removals),
    )
