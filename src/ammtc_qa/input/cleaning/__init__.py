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
than keeping a stray "Print" button. Article content has furniture's shapes too (a cast
list is a run of Title-Case lines, standings a numbered list, a timeline has month
headings, a live blog repeats a paragraph with new figures), so the shape of one line
never removes it: each removal needs evidence of page furniture on top (its own UI words,
a place in the page's margins, a menu or link-list context, repetition within the page);
see ``passes``. Precision and recall are measured on labelled pages by
``benchmarks/cleaning_precision.py``.

Kept text is never rewritten: the evaluation and the citations match exact phrases of
the source, so a kept paragraph is the (normalised) raw line stripped of surrounding
whitespace, nothing more.  Two exceptions keep the words intact: consecutive kept lines
that are one hard-wrapped sentence ("... that was" / "hard-wrapped by ...") are joined
with a single space, and in Markdown sources the ``#`` marks of a heading are dropped.
Every removal is recorded with its span in the *raw* input so that the cleaning can be
audited (``removal_report``).

The package is split by concept: ``normalise`` (Unicode and line-break normalisation with
an offset map), ``units`` (lines and hard wraps), ``shapes`` (headline / Title-Case / name
shapes), ``furniture`` (rules judged from one line), ``datelines``, ``duplicates``
(repeated paragraphs), ``passes`` (rules judged in context), ``pipeline`` (``clean``) and
``audit`` (the result and its report).  The word lists live in ``vocabulary.json``.
"""

from __future__ import annotations

# Names tests and the rest of the library import from ``ammtc_qa.input.cleaning``.
from .audit import KINDS as KINDS
from .audit import CleanedText, Removal, removal_report
from .duplicates import _DUP_MIN_WORDS as _DUP_MIN_WORDS
from .duplicates import _DUP_SIMILARITY as _DUP_SIMILARITY
from .duplicates import _dup_key as _dup_key
from .duplicates import _SeenParagraphs as _SeenParagraphs
from .normalise import _normalise as _normalise
from .normalise import _normalise_cluster as _normalise_cluster
from .passes import _CONTEXT_KINDS as _CONTEXT_KINDS
from .passes import _TEASER_SNIPPET_MAX_WORDS as _TEASER_SNIPPET_MAX_WORDS
from .pipeline import clean
from .shapes import _ELLIPSIS_END as _ELLIPSIS_END
from .shapes import _is_name as _is_name
from .shapes import _is_title_case as _is_title_case
from .units import _body_bounds as _body_bounds
from .units import _paragraphs as _paragraphs

__all__ = ["CleanedText", "Removal", "clean", "removal_report"]
