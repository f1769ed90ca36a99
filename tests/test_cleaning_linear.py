"""The linear-time rewrites of cleaning give exactly the verdicts of the pairwise definitions.

Duplicate paragraphs were found by comparing each paragraph with every earlier one, which was
quadratic in the number of lines (a 16,000-line menu took 52 s). The reference below is that
pairwise definition (with the number and length conditions of the current rule); random pages
built from furniture-shaped and body-shaped lines must clean to the same text, title, datelines
and removals with the indexed duplicate check. (The Title-Case pass is now one pass over runs
of lines, linear by construction. Speed itself is measured in benchmarks/cleaning_scaling.py.)
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ammtc_qa.input import cleaning
from ammtc_qa.input.cleaning import _DUP_MIN_WORDS, _DUP_SIMILARITY, _SeenParagraphs, clean, pipeline
from ammtc_qa.input.cleaning.duplicates import _numbers


def _is_duplicate_reference(key: tuple[str, ...], seen: list[tuple[str, ...]]) -> bool:
    if not key:
        return False
    for other in seen:
        if key == other:
            return True
        if len(key) >= _DUP_MIN_WORDS and len(other) >= _DUP_MIN_WORDS and _numbers(key) == _numbers(other):
            a, b = set(key), set(other)
            if len(a & b) / len(a | b) >= _DUP_SIMILARITY:
                return True
    return False


def _mark_duplicates_reference(units: list, title_idx: int | None = None) -> None:  # noqa: ANN001
    seen: list[tuple[str, ...]] = []
    runs = cleaning._paragraphs(units)
    keys = [tuple(w for i in run for w in cleaning._dup_key(units[i].text)) for run in runs]
    title_key = next((key for run, key in zip(runs, keys, strict=True) if title_idx in run), None)
    for run, key in zip(runs, keys, strict=True):
        if (len(key) >= _DUP_MIN_WORDS or key == title_key) and _is_duplicate_reference(key, seen):
            for i in run:
                units[i].kind = "duplicate"
        elif key:
            seen.append(key)


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
    base = tuple(f"w{chr(97 + i)}" for i in range(10))
    near = (*base[:9], "other")  # 9 shared of 11: 0.82, not a duplicate
    same_set = tuple(reversed(base))  # Jaccard 1.0, different order
    seen = _SeenParagraphs([base, near, same_set])
    seen.add(base)
    assert not seen.is_duplicate(near)
    assert seen.is_duplicate(same_set)
    assert seen.is_duplicate(base)
    longer = (*base, "xa")  # 10 of 11 shared: 0.909
    assert seen.is_duplicate(longer)
    # The same at the threshold, but a number differs: two facts, not one copy.
    seen.add((*base, "2023"))
    assert not seen.is_duplicate((*base, "2024"))
    assert seen.is_duplicate((*base, "2023", "xa"))


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
