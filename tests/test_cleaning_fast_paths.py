"""The fast paths of the cleaning rules decide exactly what the plain definitions decide.

Cleaning a 50,000-line page in under 2 s took cheap necessary conditions before the costly
tests (a dateline needs a digit, a banner pattern needs one of its words, an inline photo
marker needs "nh"), word lists as prefix tries, features cached per unit and paragraph runs as
ranges. Each is checked here against the definition it replaced, written out as it was, on
generated lines that mix the rules' own vocabulary, case variants (including the characters
that IGNORECASE folds onto ASCII letters: dotless i, long s, Kelvin sign, dotted capital I),
digits, punctuation and non-ASCII text. (Whole pages are compared with the pre-change output
when the rules change: see benchmarks/RESULTS.md, "Cleaning against page size".)
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ammtc_qa.input.cleaning import datelines, duplicates, furniture, passes, shapes, units
from ammtc_qa.input.cleaning.vocabulary import VOCABULARY, alternation, trie_alternation

# Characters IGNORECASE matches to an ASCII letter although ``str.lower`` does not map them to it.
FOLDS = ["ı", "İ", "ſ", "\u212a", "K", "k", "S", "s", "I", "i"]
FILLER = [" ", "  ", "\t", ",", ".", ":", "-", "–", "|", "/", "·", "(", ")", "...", "…", "'", "\"", "’", "x", "é", "ả",
          "nh", "ảnh 2", "Hình ảnh 1", "7", "2031", "12", "Ab", "the", "of"]


def _fragments(*lists: str) -> st.SearchStrategy[str]:
    words = [w for name in lists for w in VOCABULARY[name]]
    variants = words + [w.upper() for w in words] + [w.title() for w in words] + [w[:-1] for w in words]
    return st.sampled_from(variants + FILLER + FOLDS)


def _lines(*lists: str, max_size: int = 8) -> st.SearchStrategy[str]:
    return st.lists(_fragments(*lists), max_size=max_size).map("".join)


# --- prefix tries -----------------------------------------------------------------------------

TRIE_ALPHABET = ["a", "b", "ab", "i", "ı", "İ", "s", "ſ", "k", "\u212a", " ", "-", ".", "ả", "(", "*"]


@given(st.lists(st.lists(st.sampled_from(TRIE_ALPHABET), min_size=1, max_size=4).map("".join), min_size=1, max_size=8),
       st.lists(st.lists(st.sampled_from(TRIE_ALPHABET), max_size=6).map("".join), max_size=20))
@settings(max_examples=200, deadline=None)
def test_a_trie_matches_exactly_the_strings_its_alternation_matches(words: list[str], candidates: list[str]) -> None:
    plain = re.compile(rf"(?:{alternation(words)})+", re.IGNORECASE)
    trie = re.compile(rf"(?:{trie_alternation(words)})+", re.IGNORECASE)
    for text in [*candidates, *words, *(w.upper() for w in words), "".join(words)]:
        assert bool(plain.fullmatch(text)) == bool(trie.fullmatch(text)), (words, text)


def test_every_shipped_list_as_a_trie_matches_what_its_alternation_matches() -> None:
    for name, words in VOCABULARY.items():
        plain = re.compile(rf"^{alternation(sorted(words, key=len, reverse=True))}$", re.IGNORECASE)
        trie = re.compile(rf"^{trie_alternation(words)}$", re.IGNORECASE)
        candidates = {*words, *(w.upper() for w in words), *(w[:-1] for w in words), *(w + "s" for w in words),
                      *(a + b for a in words[:25] for b in words[:25])}
        for text in candidates:
            assert bool(plain.match(text)) == bool(trie.match(text)), (name, text)


_UI_WORD, _UI_SEP = furniture._UI_WORD, furniture._UI_SEP
_BUTTON_LINE_PLAIN = re.compile(rf"^{_UI_WORD}(?:{_UI_SEP}{_UI_WORD})*{_UI_SEP}$", re.IGNORECASE)


@given(_lines("ui_words"))
@settings(max_examples=500, deadline=None)
def test_button_lines_are_the_lines_of_the_plain_pattern(text: str) -> None:
    assert bool(furniture._BUTTON_LINE.match(text)) == bool(_BUTTON_LINE_PLAIN.match(text)), text


def test_button_lines_are_still_recognised() -> None:
    for text in ["Print", "ShareFacebook", "Share | Tweet | Email", "Chia sẻ", "Back to top", "Read more"]:
        assert furniture._simple_kind(text) == "button", text
    assert furniture._simple_kind("Printer ink prices rise") is None


@given(_lines("link_list_headers", max_size=6), _lines("byline_prefixes", max_size=6))
@settings(max_examples=500, deadline=None)
def test_prefix_hints_say_exactly_when_their_patterns_match(link: str, byline: str) -> None:
    for text in (link, byline, link.strip(), byline.strip()):
        assert bool(furniture._LINK_PREFIX_HINT.match(text)) == bool(furniture._LINK_PREFIX.match(text)), text
        assert bool(furniture._BYLINE_PREFIX_HINT.match(text)) == bool(furniture._BYLINE_PREFIX.match(text)), text


# --- cheap necessary conditions ---------------------------------------------------------------


def _is_banner_plain(text: str) -> bool:
    return len(text.split()) <= furniture._BANNER_MAX_WORDS and any(p.search(text) for p in furniture._BANNER_PATTERNS)


BANNER_BITS = ["cookie", "Cookies", "COOKİE", "cookıe", "we use", "uses", "accept", "policy", "©", "(c) 2023",
               "(C)2023", "Copyright 2021", "copyright ©", "All rights reserved", "Advertisement", "ADVERTISING",
               "sponsored", "Sponsored content", "subscribe to our", "sign up for the", "newsletter", "in your inbox",
               "to your inbox", "enable JavaScript", "your browser is", "your browser does", "ſponsored", "\u212aookie"]


@given(st.lists(st.sampled_from(BANNER_BITS + FILLER + FOLDS), max_size=8).map("".join))
@settings(max_examples=600, deadline=None)
def test_banner_fast_path_equals_searching_every_pattern(text: str) -> None:
    assert furniture._is_banner(text) == _is_banner_plain(text), text
    assert furniture._is_banner(text, len(text.split())) == _is_banner_plain(text), text


def _is_dateline_plain(text: str) -> bool:
    if len(text) > datelines._DATELINE_MAX_CHARS or not datelines._DATE_SHAPE.search(text):
        return False
    for token in datelines._DATE_TOKEN.findall(text):
        low = token.lower()
        if low.isdigit() or low in datelines._DATE_FILLER or low in datelines._DATE_WORDS \
                or low.rstrip(".") in datelines._DATE_WORDS:
            continue
        return False
    return True


def _place_rest_plain(text: str) -> str | None:
    if len(text) > datelines._PLACE_DATELINE_MAX_CHARS or "," not in text:
        return None
    parts = text.split(",")
    for k in range(1, min(datelines._PLACE_MAX_PARTS, len(parts) - 1) + 1):
        rest = ",".join(parts[k:]).strip()
        if all(datelines._is_place(p) for p in parts[:k]) and rest and _is_dateline_plain(rest):
            return rest
    return None


def _dateline_class_plain(text: str) -> str | None:
    rest = _place_rest_plain(text)
    if rest is None:
        if not _is_dateline_plain(text):
            return None
        rest = text
    if any(t.lower().rstrip(".") in datelines._DATELINE_LABELS for t in datelines._DATE_TOKEN.findall(rest)):
        return "stamp"
    if datelines._NUMERIC_DATE.search(rest) or datelines._DAY_MONTH.search(rest):
        return "date"
    if datelines._TIME.search(rest):
        return "time"
    return None


DATE_BITS = ["12/03/2031", "2031-03-12", "10:30", "a.m.", "p.m.", "27", "November", "Nov.", "Sept.", "2023", "1st",
             "Updated:", "Published", "Monday", "GMT", "Hanoi, ", "KUALA LUMPUR, ", "Malaysia, ", "(VNA)", "Line",
             "tháng", "ngày", "3", "|", "—", "+07"]


@given(st.lists(st.sampled_from(DATE_BITS + FILLER), max_size=8).map("".join))
@settings(max_examples=600, deadline=None)
def test_dateline_fast_path_equals_the_plain_definition(text: str) -> None:
    for line in (text, text.strip()):
        assert datelines._is_dateline(line) == _is_dateline_plain(line), line
        assert datelines._dateline_class(line) == _dateline_class_plain(line), line


def _dup_key_plain(text: str) -> tuple[str, ...]:
    text = duplicates._PHOTO_CREDIT_INLINE.sub(" ", text)
    folded = unicodedata.normalize("NFC", text.casefold())
    return tuple(folded.translate(duplicates._SEPARATORS_TO_SPACE).split())


@given(st.lists(st.sampled_from([*FILLER, *FOLDS, "(Photo: VNA)", "(ảnh: TTXVN)", "(Source: x)", "ảnh 1.", "e\u0301",
                                 "ĐANG", "Ǆ", "ß", "ﬁ", "Police", "SAID"]), max_size=10).map("".join))
@settings(max_examples=500, deadline=None)
def test_duplicate_key_fast_path_equals_the_plain_definition(text: str) -> None:
    assert duplicates._dup_key(text) == _dup_key_plain(text), text


def _is_menu_line_plain(text: str) -> bool:
    for sep in (furniture._MENU_SEP, furniture._TRAIL_SEP):
        items = sep.split(text)
        if len(items) >= furniture._MENU_MIN_ITEMS and all(furniture._is_menu_item(i.strip()) for i in items):
            return True
    return False


@given(st.lists(st.sampled_from(["Home", "NFL", "News", " | ", " > ", " » ", " · ", " • ", "|", ">", "Culture", "Books",
                                 "2", "x.", " "]), max_size=9).map("".join))
@settings(max_examples=300, deadline=None)
def test_menu_line_and_key_value_fast_paths_equal_the_plain_definitions(text: str) -> None:
    assert furniture._is_menu_line(text) == _is_menu_line_plain(text), text
    m = passes._KEY_VALUE.match(text)
    plain = bool(m) and len(text[: text.index(":")].split()) <= passes._KEY_VALUE_MAX_LABEL_WORDS
    assert passes._is_key_value(text) == plain, text
    text_kv = text + ": value"
    m = passes._KEY_VALUE.match(text_kv)
    plain = bool(m) and len(text_kv[: text_kv.index(":")].split()) <= passes._KEY_VALUE_MAX_LABEL_WORDS
    assert passes._is_key_value(text_kv) == plain, text_kv


# --- shapes and cached unit features -----------------------------------------------------------


def _is_title_case_plain(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= shapes._TITLE_CASE_MAX_WORDS or shapes._last_char(text) in shapes._SENTENCE_END_SET:
        return False
    content = []
    for w in words:
        bare = shapes._bare_token(w)
        if not bare or not any(map(str.isalpha, bare)) or bare[0].isdigit():
            continue
        if bare.lower() in shapes._SMALL_WORDS:
            continue
        content.append(bare)
    if len(content) < 2:
        return False
    first = shapes._bare_token(words[0])
    if first and first[0].isalpha() and not first[0].isupper():
        return False
    return sum(1 for w in content if w[0].isupper()) >= 0.8 * len(content)


def _looks_like_headline_plain(text: str) -> bool:
    n = len(text.split())
    return 2 <= n <= shapes._TITLE_MAX_WORDS and shapes._last_char(text) not in set(".…;:,–—-") \
        and any(c.isalpha() for c in text)


SHAPE_WORDS = ["Police", "Seize", "Drugs", "the", "of", "and", "At", "'Quote'", "(Paren)", "“Big”", "12", "3rd", "x2",
               "İstanbul", "ıdea", "ÉCOLE", "élan", "-", "—", "…", ",", ".", "!", "?", "A", "a", "²", "Ⅻ", "\"", "()"]


@given(st.lists(st.sampled_from(SHAPE_WORDS), max_size=14).map(" ".join), st.sampled_from(["", ".", ",", "…", "”"]))
@settings(max_examples=600, deadline=None)
def test_title_case_and_headline_shapes_equal_the_plain_definitions(text: str, end: str) -> None:
    line = text + end
    assert shapes._is_title_case(line) == _is_title_case_plain(line), line
    assert shapes._looks_like_headline(line) == _looks_like_headline_plain(line), line


@given(st.lists(st.sampled_from([*SHAPE_WORDS, "Share", "ảnh 1", "Hình ảnh 2", "...", "(Photo: VNA)", "\n", "\n\n",
                                 "  ", "\t"]), max_size=40).map(" ".join), st.booleans())
@settings(max_examples=200, deadline=None)
def test_unit_features_and_the_split_fast_path_equal_the_functions(text: str, markdown: bool) -> None:
    split, markers = units._split_units(text, markdown)
    with pytest.MonkeyPatch.context() as mp:  # every line through the general path (marker search)
        mp.setattr(units, "_INLINE_MARKER_HINT", re.compile(""))
        assert units._split_units(text, markdown) == (split, markers)
    for u in split:
        if u is None:
            continue
        assert u.text == text[u.start:u.end] == text[u.start:u.end].strip()
        assert u.n_words == len(u.text.split())
        assert u.headline == _looks_like_headline_plain(u.text)
        assert u.title_case == _is_title_case_plain(u.text)
        assert u.ellipsis == bool(shapes._ELLIPSIS_END.search(u.text))
        assert u.dup_key == _dup_key_plain(u.text)


def _strip_span_plain(norm: str, start: int, end: int) -> tuple[int, int]:
    while start < end and norm[start].isspace():
        start += 1
    while end > start and norm[end - 1].isspace():
        end -= 1
    return start, end


@given(st.text(alphabet=" \t\u3000\u00a0ab.", max_size=12), st.integers(0, 12), st.integers(0, 12))
@settings(max_examples=300, deadline=None)
def test_strip_span_equals_the_character_loop(norm: str, a: int, b: int) -> None:
    start, end = min(a, b, len(norm)), min(max(a, b), len(norm))
    assert units._strip_span(norm, start, end) == _strip_span_plain(norm, start, end)


def _paragraphs_plain(us: list[units._Unit]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i, u in enumerate(us):
        if u.kind is not None:
            continue
        if runs and runs[-1][-1] == i - 1 and us[i - 1].wrap_next:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


UNIT_TEXTS = ["short line", "a cut-off snippet...", " ".join(["word"] * 12), " ".join(["word"] * 25) + " …", "Print"]


@given(st.lists(st.tuples(st.sampled_from(UNIT_TEXTS), st.sampled_from([None, None, "teaser", "button"]),
                          st.booleans()), max_size=30))
@settings(max_examples=300, deadline=None)
def test_paragraph_runs_and_body_runs_equal_the_plain_definitions(spec: list[tuple[str, str | None, bool]]) -> None:
    us = [units._Unit(i, i + 1, text, kind) for i, (text, kind, _) in enumerate(spec)]
    for i, (_, _, wrap) in enumerate(spec[:-1]):
        us[i].wrap_next = us[i + 1].wrap_prev = wrap
    plain = _paragraphs_plain(us)
    assert [list(run) for run in units._paragraphs(us)] == plain
    body = [run for run in plain if sum(len(us[i].text.split()) for i in run) >= units._BODY_MIN_WORDS
            and not shapes._ELLIPSIS_END.search(us[run[-1]].text)]
    assert [list(run) for run in units._body_runs(us)] == body


@given(st.lists(st.sampled_from([*FOLDS, "a", "o", "c", "K", "ả", "©", " "]), min_size=1, max_size=4).map("".join),
       st.text(alphabet="aAcCkKiIsSoO ", max_size=12))
@settings(max_examples=600, deadline=None)
def test_a_folded_hint_word_is_in_every_ascii_line_its_pattern_matches(word: str, line: str) -> None:
    if re.search(re.escape(word), line, re.IGNORECASE):
        assert furniture._ascii_fold(word) in line.lower(), (word, line)


@given(_lines("site_nouns_en", "site_states_en", "site_nouns_vi", "site_states_vi", "site_states_vi_bare"))
@settings(max_examples=600, deadline=None)
def test_one_site_notice_search_finds_what_any_of_the_patterns_finds(text: str) -> None:
    for line in (text, "đang " + text, text + " đang được bảo trì"):
        plain = any(p.search(line) for p in furniture._SITE_NOTICE_PATTERNS)
        assert bool(furniture._SITE_NOTICE.search(line)) == plain, line
