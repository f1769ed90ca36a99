"""Units: the stripped pieces of lines the rules judge, with their spans in the normalised text.

A unit is a line (or the part of a line between inline photo markers), a Markdown heading
without its ``#`` marks, and knows whether it continues a hard-wrapped sentence.  The
helpers here walk units (paragraphs, the article body's bounds, the next kept unit) for the
context-dependent passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .duplicates import _dup_key
from .shapes import _CLOSERS, _ELLIPSIS_END, _headline_shape, _last_char, _title_case_shape
from .vocabulary import VOCABULARY

# Inline photo markers as CMSs of Vietnamese sites render them ("... officer hinh anh 1Lt. Gen.",
# "... prevention- ảnh 1.").  Only the position check in _find_inline_markers makes them safe.
_INLINE_MARKER = re.compile(
    r"(?:[-–—|]\s*)?(?<!\w)(?:h[iì]nh\s+[aả]nh|ảnh)\s*\d{1,3}(?:\.(?=\s*$))?",
    re.IGNORECASE,
)

# Every marker holds "nh" ("ảnh", "hình ảnh"): lines without it, nearly all, skip the marker search.
_INLINE_MARKER_HINT = re.compile("nh", re.IGNORECASE)

_BULLET = re.compile(r"^(?:[•·*\-–—▪►◦‣○●■□→]|\d{1,2}[.)])\s*(\S.*)$")
_BODY_MIN_WORDS = 20  # a paragraph this long is article body, not furniture
_STANDFIRST_MAX_UNITS = 5  # header furniture under the lead sits right under it

# Hard wraps: a line that does not end a sentence, followed on the very next line by one that
# starts in lower case / with a digit, or after a comma or a word no sentence ends with.
_WRAP_END_CHARS = ".!?…:;"
_WRAP_END_CLOSERS = "\"”)]»"
_WRAP_CONNECTORS = set(VOCABULARY["wrap_connectors"])

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})(?=\s|$)[ \t]*")
_MD_HEADING_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_MD_RULE = re.compile(r"^ {0,3}(?:(?:=[ \t]*){3,}|(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")


@dataclass(slots=True)
class _Unit:
    start: int  # span in the normalised text
    end: int
    text: str
    kind: str | None = None
    group: int | None = None  # units with the same group are reported as one removal
    heading: bool = False  # a Markdown heading: never part of a hard-wrapped paragraph
    wrap_next: bool = False  # the next unit is the rest of this one's hard-wrapped paragraph
    wrap_prev: bool = False
    # Features of the text, computed on first use and kept: several rules ask, and a page can have
    # 50,000 units (``text`` never changes after the split). Slots, not a ``__dict__`` per unit and
    # no list of words kept: every object that lives through the passes is one more for each of
    # the garbage collector's full scans, which the passes' allocations set off as the page grows.
    _n_words: int | None = field(default=None, init=False, repr=False, compare=False)
    _last_char: str | None = field(default=None, init=False, repr=False, compare=False)
    _headline: bool | None = field(default=None, init=False, repr=False, compare=False)
    _title_case: bool | None = field(default=None, init=False, repr=False, compare=False)
    _ellipsis: bool | None = field(default=None, init=False, repr=False, compare=False)
    _dup_key: tuple[str, ...] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def wrapped(self) -> bool:
        return self.wrap_next or self.wrap_prev

    @property
    def n_words(self) -> int:
        if self._n_words is None:
            self._n_words = len(self.text.split())
        return self._n_words

    @property
    def last_char(self) -> str:
        """``shapes._last_char`` of the text."""
        if self._last_char is None:
            self._last_char = _last_char(self.text)
        return self._last_char

    @property
    def headline(self) -> bool:
        """``shapes._looks_like_headline`` of the text."""
        if self._headline is None:
            self._headline = _headline_shape(self.text, self.n_words, self.last_char)
        return self._headline

    @property
    def title_case(self) -> bool:
        """``shapes._is_title_case`` of the text."""
        if self._title_case is None:
            self._title_case = _title_case_shape(self.text.split(), self.last_char)
        return self._title_case

    @property
    def ellipsis(self) -> bool:
        """The text ends with an ellipsis (``shapes._ELLIPSIS_END``): a snippet cut off."""
        if self._ellipsis is None:
            self._ellipsis = _ELLIPSIS_END.search(self.text) is not None
        return self._ellipsis

    @property
    def dup_key(self) -> tuple[str, ...]:
        if self._dup_key is None:
            self._dup_key = _dup_key(self.text)
        return self._dup_key


def _strip_span(norm: str, start: int, end: int) -> tuple[int, int]:
    """``norm[start:end]`` without the white space around it, as a span (empty at ``end`` if blank)."""
    piece = norm[start:end]
    kept = piece.lstrip()
    if not kept:
        return end, end
    return end - len(kept), start + len(kept.rstrip()) + len(piece) - len(kept)


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
        if not _INLINE_MARKER_HINT.search(line):  # most lines: one unit, the stripped line
            if piece_start == 0 and line_end == len(line):
                text = line.strip()
                s = line_start + len(line) - len(line.lstrip())
                units.append(_Unit(s, s + len(text), text, heading=heading))
                continue
            cuts = []
        else:
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


def _paragraphs(units: list[_Unit]) -> list[range]:
    """Indices of kept units, grouped into paragraphs: runs of kept hard-wrapped lines.

    A run is consecutive units, so it is a ``range`` (which the garbage collector need not scan).
    """
    runs: list[range] = []
    start = -1  # first unit of the open run, -1 if none is open
    for i, u in enumerate(units):
        if u.kind is not None:
            if start >= 0:
                runs.append(range(start, i))
                start = -1
            continue
        if start < 0:
            start = i
        if not u.wrap_next:
            runs.append(range(start, i + 1))
            start = -1
    if start >= 0:
        runs.append(range(start, len(units)))
    return runs


def _body_runs(units: list[_Unit]) -> list[range]:
    """Kept paragraphs that are clearly article body: long, and not a teaser snippet cut off with "...".

    ``_paragraphs`` filtered, in one walk: the passes ask for it again after each of them.
    """
    runs: list[range] = []
    start, words = -1, 0  # the open paragraph and its word count so far
    for i, u in enumerate(units):
        if u.kind is not None:
            if start >= 0:  # the open paragraph ended with the unit before
                if words >= _BODY_MIN_WORDS and not units[i - 1].ellipsis:
                    runs.append(range(start, i))
                start = -1
            continue
        if start < 0:
            start, words = i, 0
        words += u.n_words
        if not u.wrap_next:
            if words >= _BODY_MIN_WORDS and not u.ellipsis:
                runs.append(range(start, i + 1))
            start = -1
    if start >= 0 and words >= _BODY_MIN_WORDS and not units[-1].ellipsis:
        runs.append(range(start, len(units)))
    return runs


def _body_bounds(units: list[_Unit]) -> tuple[int, int]:
    """Indices of the first and last kept unit that is clearly article body (long paragraph)."""
    runs = _body_runs(units)
    if not runs:
        return len(units), -1
    return runs[0][0], runs[-1][-1]


@dataclass(frozen=True)
class _Zones:
    """Where a unit sits relative to the article body, the evidence most rules need.

    ``head`` is everything before the first long paragraph; ``standfirst`` the few units
    (``_STANDFIRST_MAX_UNITS``) right after the first long paragraph (often the lead, which many
    sites print above the date and byline) and before the second; ``tail`` everything after the
    last long paragraph. A page without a long paragraph is all margin.
    """

    first_body: int
    lead_end: int  # last unit of the first long paragraph
    second_body: int  # first unit of the second long paragraph (len(units) if none)
    last_body: int

    def head(self, i: int) -> bool:
        return i < self.first_body

    def standfirst(self, i: int) -> bool:
        near_lead = self.lead_end < i <= self.lead_end + _STANDFIRST_MAX_UNITS
        return near_lead and i < self.second_body and i < self.last_body

    def tail(self, i: int) -> bool:
        return i > self.last_body

    def margin(self, i: int) -> bool:
        return self.head(i) or self.tail(i)


def _zones(units: list[_Unit]) -> _Zones:
    runs = _body_runs(units)
    if not runs:
        return _Zones(len(units), len(units), len(units), -1)
    second = runs[1][0] if len(runs) > 1 else len(units)
    return _Zones(runs[0][0], runs[0][-1], second, runs[-1][-1])


def _next_kept(units: list[_Unit], i: int) -> int | None:
    for j in range(i + 1, len(units)):
        if units[j].kind is None:
            return j
    return None



def _first_kept(units: list[_Unit]) -> int | None:
    return next((i for i, u in enumerate(units) if u.kind is None), None)
