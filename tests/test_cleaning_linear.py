"""The linear-time rewrites of cleaning give exactly the verdicts of the pairwise definitions.

Duplicate paragraphs were found by comparing each paragraph with every earlier one, and
Title-Case furniture by repeating full passes until nothing changed; both were quadratic in
the number of lines (a 16,000-line menu took 52 s). The references below are those original
definitions; random pages built from furniture-shaped and body-shaped lines must clean to
the same text, title, datelines and removals with the indexed duplicate check and the
neighbour worklist. (Speed itself is measured in benchmarks/cleaning_scaling.py.)
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ammtc_qa.input import cleaning
from ammtc_qa.input.cleaning import _DUP_MIN_WORDS, _DUP_SIMILARITY, _SeenParagraphs, clean, pipeline


def _is_duplicate_reference(key: tuple[str, ...], seen: list[tuple[str, ...]]) -> bool:
    if not key:
        return False
    for other in seen:
        if key == other:
            return True
        if len(key) >= _DUP_MIN_WORDS and len(other) >= _DUP_MIN_WORDS:
            a, b = set(key), set(other)
            if len(a & b) / len(a | b) >= _DUP_SIMILARITY:
                return True
    return False


def _mark_duplicates_reference(units: list) -> None:  # noqa: ANN001
    seen: list[tuple[str, ...]] = []
    for run in cleaning._paragraphs(units):
        key = tuple(w for i in run for w in cleaning._dup_key(units[i].text))
        if _is_duplicate_reference(key, seen):
            for i in run:
                units[i].kind = "duplicate"
        elif key:
            seen.append(key)


def _mark_title_case_lines_reference(units: list, title_idx: int | None) -> None:  # noqa: ANN001
    """Full passes over every unit until one changes nothing (the original definition)."""
    first_body, last_body = cleaning._body_bounds(units)
    changed = True
    while changed:
        changed = False
        for i, u in enumerate(units):
            if u.kind is not None or i == title_idx or u.wrapped:
                continue
            prev_u = units[i - 1] if i > 0 else None
            if (prev_u is not None and prev_u.kind == "teaser" and cleaning._ELLIPSIS_END.search(u.text)
                    and len(u.text.split()) <= cleaning._TEASER_SNIPPET_MAX_WORDS):
                u.kind, changed = "teaser", True
                continue
            if not cleaning._is_title_case(u.text):
                continue
            in_margin = i < first_body or i > last_body
            near = any(0 <= n < len(units) and (units[n].kind in cleaning._CONTEXT_KINDS or (
                units[n].kind is None and n != title_idx and not units[n].wrapped
                and cleaning._is_title_case(units[n].text))) for n in (i - 1, i + 1))
            if in_margin or near:
                u.kind = "byline" if cleaning._is_name(u.text) else "teaser"
                changed = True


WORDS = ["police", "seized", "drugs", "border", "officials", "said", "the", "ministers", "agreed"]
KEYS = st.lists(st.lists(st.sampled_from(WORDS), max_size=12).map(tuple), max_size=40)


@given(KEYS)
@settings(max_examples=300, deadline=None)
def test_indexed_duplicate_check_equals_pairwise_comparison(keys: list[tuple[str, ...]]) -> None:
    seen_reference: list[tuple[str, ...]] = []
    seen = _SeenParagraphs(keys)
    for key in keys:
        expected = _is_duplicate_reference(key, seen_reference)
        assert seen.is_duplicate(key) == expected, (key, seen_reference)
        if not expected and key:
            seen_reference.append(key)
            seen.add(key)


def test_near_duplicate_at_the_similarity_threshold_is_found() -> None:
    base = tuple(f"w{i}" for i in range(10))
    near = (*base[:9], "other")  # 9 shared of 11: 0.82, not a duplicate
    same_set = tuple(reversed(base))  # Jaccard 1.0, different order
    seen = _SeenParagraphs([base, near, same_set])
    seen.add(base)
    assert not seen.is_duplicate(near)
    assert seen.is_duplicate(same_set)
    assert seen.is_duplicate(base)
    longer = (*base, *(f"x{i}" for i in range(1)))  # 10 of 11 shared: 0.909
    assert seen.is_duplicate(longer)


LINES = [
    "Ministers Agree On New Border Plan",  # Title-Case headline shape
    "Police Seize Drugs At The Port",
    "Jane Smith",  # name shape
    "The snippet of another story goes on and then stops...",
    "Print", "Share on Facebook", "Read more",  # buttons
    "- Hanoi", "- Da Nang", "- Hue",  # menu items
    "12/03/2031",  # dateline
    "Police in the port city seized 120 kg of drugs hidden in a fishing boat on Tuesday, officials said, "
    "after a joint operation with customs officers from three countries in the region.",
    "Officials said the networks increasingly use falsified documents and the case was transferred to police "
    "investigators on Wednesday for further questioning of the suspects.",
    "the rest of a hard-wrapped sentence",
    "",
]


@given(st.lists(st.sampled_from(LINES), max_size=60), st.booleans())
@settings(max_examples=300, deadline=None)
def test_clean_equals_the_pairwise_and_full_pass_definitions(lines: list[str], markdown: bool) -> None:
    raw = "\n".join(lines)
    fast = clean(raw, markdown=markdown)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "_mark_duplicates", _mark_duplicates_reference)
        mp.setattr(pipeline, "_mark_title_case_lines", _mark_title_case_lines_reference)
        reference = clean(raw, markdown=markdown)
    assert fast == reference


def test_a_long_menu_is_one_navigation_removal_spanning_it() -> None:
    items = [f"- Section {i}" for i in range(3000)]
    body = ("Police in the port city seized 120 kg of drugs hidden in a fishing boat on Tuesday, officials said, "
            "after a joint operation with customs officers.")
    raw = "\n".join(["Drugs seized at the port", body, *items])
    cleaned = clean(raw)
    nav = [r for r in cleaned.removed if r.kind == "navigation"]
    assert len(nav) == 1
    assert nav[0].text == raw[nav[0].start:nav[0].end] == "\n".join(items)
    assert cleaned.text == "\n\n".join(["Drugs seized at the port", body])
