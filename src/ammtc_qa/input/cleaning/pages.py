"""Running headers and footers of paginated documents (PDFs): lines repeated at the page margins.

A PDF's text layer gives every page's furniture with its text: the issuer ("Ministry of Public
Security — Press release"), the page number ("Page 3 of 7"), a date or a reference line. Each
page looks like a short article with one odd line on top, so the per-page rules cannot tell;
the evidence is repetition *across pages at the same margin*. A line is a running line when
the same text (whitespace collapsed, case folded, and in a line with few numbers the digits
masked, so that "Page 3 of 7" and "Page 4 of 7" are one line) sits among the first or last
``margin_lines`` non-blank lines (top or bottom: text extraction does not always keep a footer
last) of at least ``max(2, min_share x pages)`` pages. Only those margin occurrences are
removed: the same words in the body of a page, or a line found once, are content.

A running line with no letters (a bare "3" or "- 3 -") is taken only when it is short
(``_MAX_BARE_CHARS``), and a line with many numbers must repeat digit for digit: a row of figures
at the top of several pages of a table ("Totals: 1 234 ...") is content.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from .normalise import _normalise

_DIGITS = re.compile(r"\d+")
_MAX_BARE_CHARS = 12
"""A running line without letters longer than this is not a page number but content (figures)."""
_MAX_MASKED_NUMBERS = 3
"""Lines with at most this many numbers are compared with their digits masked ("Page 3 of 7",
"Report 2024, page 3"); a line with more is a row of figures, compared as it is."""


def _key(line: str) -> str | None:
    """The text a line is compared by across pages; None for a line that cannot be furniture."""
    text = " ".join(line.split()).casefold()
    if not text:
        return None
    if not any(c.isalpha() for c in text) and len(text) > _MAX_BARE_CHARS:
        return None
    if len(_DIGITS.findall(text)) > _MAX_MASKED_NUMBERS:
        return text
    return _DIGITS.sub("#", text)


def _margin_lines(page: str, margin_lines: int) -> list[tuple[str, int, int]]:
    """``(key, raw start, raw end)`` of the first and last ``margin_lines`` non-blank lines of a
    page (a line of a page that short counts once)."""
    norm, starts, ends = _normalise(page)
    lines: list[tuple[int, int, str]] = []  # span in norm, stripped text
    pos = 0
    for line in norm.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            lines.append((pos + lead, pos + lead + len(stripped), stripped))
        pos += len(line) + 1
    chosen = lines[:margin_lines] + lines[max(margin_lines, len(lines) - margin_lines):]
    out = []
    for s, e, text in chosen:
        key = _key(text)
        if key is not None:
            out.append((key, starts[s], ends[e - 1]))
    return out


def running_lines(pages: Sequence[str], margin_lines: int, min_share: float) -> list[list[tuple[int, int]]]:
    """For each page, the raw spans (offsets into that page) of its running header/footer lines."""
    if len(pages) < 2 or margin_lines <= 0:
        return [[] for _ in pages]
    margins = [_margin_lines(page, margin_lines) for page in pages]
    counts: Counter[str] = Counter()
    for found in margins:
        counts.update({key for key, _, _ in found})  # pages, not occurrences
    needed = max(2, math.ceil(min_share * len(pages)))
    running = {key for key, n in counts.items() if n >= needed}
    return [[(s, e) for key, s, e in found if key in running] for found in margins]
