"""Tests for ammtc_qa.text.meetings: meeting references, question parsing and article profiles."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from ammtc_qa.text.meetings import (
    MEETING_KINDS,
    MeetingMention,
    MeetingProfile,
    canonical_meeting,
    find_meetings,
    meeting_token,
    meetings_in_question,
    profile_article,
)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
D = datetime.date


def _seed(prefix: str) -> str:
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def test_kinds() -> None:
    assert MEETING_KINDS == ("AMMTC", "SOMTC")


@pytest.mark.parametrize(
    ("surface", "key"),
    [
        ("AMMTC 19", "AMMTC 19"),
        ("AMMTC-19", "AMMTC 19"),
        ("AMMTC19", "AMMTC 19"),
        ("AMMTC–19", "AMMTC 19"),
        ("AMMTC — 19", "AMMTC 19"),
        ("AMMTC 19th", "AMMTC 19"),
        ("ammtc 19", "AMMTC 19"),
        ("Ammtc-19", "AMMTC 19"),
        ("ammtc_19", "AMMTC 19"),
        ("19th AMMTC", "AMMTC 19"),
        ("19th ASEAN AMMTC", "AMMTC 19"),
        ("1st AMMTC", "AMMTC 1"),
        ("22nd SOMTC", "SOMTC 22"),
        ("19th ASEAN Ministerial Meeting on Transnational Crime", "AMMTC 19"),
        ("19th ASEAN Ministerial Meeting on Transnational Crime and Related Meetings", "AMMTC 19"),
        ("13th ASEAN Ministers’ Meeting on Transnational Crimes", "AMMTC 13"),
        ("13th ASEAN Ministers' Meeting on Transnational Crimes", "AMMTC 13"),
        ("13th ASEAN Ministers Meeting on Transnational Crime", "AMMTC 13"),
        ("18th ASEAN Ministerial Conference on Transnational Crime", "AMMTC 18"),
        ("18th asean ministerial meeting on transnational crime", "AMMTC 18"),
        ("SOMTC-20", "SOMTC 20"),
        ("20th ASEAN Senior Officials Meeting on Transnational Crime", "SOMTC 20"),
        ("20th ASEAN Senior Officials' Meeting on Transnational Crime", "SOMTC 20"),
        ("20th ASEAN Senior Officials’ Meeting on Transnational Crime", "SOMTC 20"),
        ("Nineteenth ASEAN Ministerial Meeting on Transnational Crime", "AMMTC 19"),
        ("twenty-first AMMTC", "AMMTC 21"),
        ("Twenty First SOMTC", "SOMTC 21"),
        ("fortieth AMMTC", "AMMTC 40"),
        ("Twentyfirst AMMTC", "AMMTC 21"),
        ("ninety-ninth AMMTC", "AMMTC 99"),
        ("AMMTC XIX", "AMMTC 19"),
        ("SOMTC-XX", "SOMTC 20"),
        ("AMMTC IV", "AMMTC 4"),
    ],
)
def test_surface_forms(surface: str, key: str) -> None:
    text = f"Delegates attended the {surface} on Monday."
    (mention,) = find_meetings(text)
    assert mention.key == key
    assert mention.surface == surface
    assert text[mention.start : mention.end] == surface
    assert canonical_meeting(surface) == key


@pytest.mark.parametrize(
    "text",
    [
        "a priority cooperation area in SOMTC/AMMTC.",
        "the Ministerial Conference on Enhancing Cooperation Effectiveness in Combating Transnational "
        "Drug Crime in Hanoi on September 8-13, 2019",
        "welcomed Malaysia as the incoming AMMTC Chair in 2025.",
        "AMMTC 2025",
        "SOMTC-2020",
        "AMMTC 1000",
        "AMMTC 0",
        "AMMTC 1.5",
        "AMMTC 1,000",
        "AMMTC 99999999999",
        "AMMTC " + "9" * 5000,  # int() would refuse this many digits
        "the AMMTC in Vientiane",
        "at AMMTC I said",  # a lone "I" is not read as a Roman numeral
        "AMMTC Vientiane",
        "AMMTC ix",  # lower-case Roman numerals are words, not numbers
        "the 2019 AMMTC",
        "The ASEAN Ministerial Meeting on Transnational Crime is a high-level mechanism",
        "(AMMTC)",
        "XAMMTC 19",
        "ministers of AMMTC in order to",
    ],
)
def test_not_meetings(text: str) -> None:
    assert find_meetings(text) == []


def test_other_series_are_not_seeds() -> None:
    # Numbered meetings of other series are recognised (tests/test_series.py), never as a seed.
    assert [m.key for m in find_meetings("the 47th ASEAN Summit")] == ["ASEAN Summit 47"]
    assert [m.key for m in find_meetings("the 19th ASEAN Ministerial Meeting on Drugs")] == [
        "ASEAN Ministerial Meeting on Drugs 19"
    ]


def test_full_name_with_acronym_is_one_mention() -> None:
    text = "the 18th ASEAN Ministerial Conference on Transnational Crime (AMMTC 18) was held"
    (mention,) = find_meetings(text)
    surface = "18th ASEAN Ministerial Conference on Transnational Crime (AMMTC 18)"
    assert mention == MeetingMention("AMMTC 18", 4, text.index(")") + 1, surface)


@pytest.mark.parametrize(
    ("text", "surface", "key"),
    [
        ("at the 20th ASEAN Senior Officials Meeting on Transnational Crime (SOMTC-20), held",
         "20th ASEAN Senior Officials Meeting on Transnational Crime (SOMTC-20)", "SOMTC 20"),
        ("the ASEAN Ministerial Meeting on Transnational Crime (AMMTC 18) was",
         "ASEAN Ministerial Meeting on Transnational Crime (AMMTC 18)", "AMMTC 18"),
        ("the ASEAN Ministerial Meeting on Transnational Crime (19th AMMTC) was",
         "ASEAN Ministerial Meeting on Transnational Crime (19th AMMTC)", "AMMTC 19"),
        ("the 19th ASEAN Ministerial Meeting on Transnational Crime (AMMTC) was",
         "19th ASEAN Ministerial Meeting on Transnational Crime (AMMTC)", "AMMTC 19"),
    ],
)  # fmt: skip
def test_parenthesised_acronym(text: str, surface: str, key: str) -> None:
    (mention,) = find_meetings(text)
    assert (mention.surface, mention.key) == (surface, key)


def test_several_mentions_in_order() -> None:
    text = "After the 17th SOMTC and AMMTC-17, the AMMTC 18 in 2024 prepared for SOMTC 25."
    assert [m.key for m in find_meetings(text)] == ["SOMTC 17", "AMMTC 17", "AMMTC 18", "SOMTC 25"]


def test_canonical_meeting() -> None:
    assert canonical_meeting("AMMTC 19") == "AMMTC 19"
    assert canonical_meeting("the 13th ASEAN Ministers’ Meeting on Transnational Crimes") == "AMMTC 13"
    assert canonical_meeting("AMMTC 19 (AMMTC-19)") == "AMMTC 19"  # same meeting twice
    assert canonical_meeting("AMMTC 18 and AMMTC 19") is None  # two meetings: not one reference
    assert canonical_meeting("ASEAN Summit") is None
    assert canonical_meeting("") is None


def test_meeting_token() -> None:
    assert meeting_token("AMMTC 19") == "ammtc_19"
    assert meeting_token("SOMTC 20") == "somtc_20"
    assert meeting_token("the 19th AMMTC") == "ammtc_19"
    assert canonical_meeting(meeting_token("SOMTC 20")) == "SOMTC 20"  # round-trips
    assert meeting_token("AMMTC 19").isidentifier()  # word characters only: one token
    with pytest.raises(ValueError):
        meeting_token("ASEAN Summit")


@pytest.mark.parametrize(
    ("question", "keys"),
    [
        ("AMMTC 30", ["AMMTC 30"]),
        ("What was decided at the 19th AMMTC?", ["AMMTC 19"]),
        ("where was ammtc-18 held", ["AMMTC 18"]),
        ("Who chaired the Nineteenth ASEAN Ministerial Meeting on Transnational Crime?", ["AMMTC 19"]),
        ("What did SOMTC-20 and AMMTC 14 discuss?", ["SOMTC 20", "AMMTC 14"]),
        ("Compare AMMTC 18 and 19", ["AMMTC 18", "AMMTC 19"]),
        ("SOMTC 19, 20 or 21?", ["SOMTC 19", "SOMTC 20", "SOMTC 21"]),
        ("AMMTC 18 and AMMTC 18 again", ["AMMTC 18"]),
        ("AMMTC 99999999999", []),
        ("AMMTC 18 and 2025", ["AMMTC 18"]),
        ("Who was the AMMTC Chair in 2025?", []),
        ("What is SOMTC/AMMTC?", []),
        ("", []),
    ],
)
def test_meetings_in_question(question: str, keys: list[str]) -> None:
    assert meetings_in_question(question) == keys


# --- profiles ------------------------------------------------------------------------------------

SEED_PROFILES = {
    "000": (D(2019, 11, 27), MeetingProfile("AMMTC 13", ("AMMTC 12", "AMMTC 13", "AMMTC 14"),
                                           ("Bangkok", "Thailand"), D(2019, 11, 27))),
    "001": (D(2024, 8, 30), MeetingProfile("AMMTC 18", ("AMMTC 18", "ASEAN+3 Youth Cultural Forum 9"),
                                           ("Vientiane", "Laos"), D(2024, 8, 28))),
    "002": (None, MeetingProfile("SOMTC 20", ("AMMTC 14", "SOMTC 20"), (), None)),
    "003": (D(2024, 8, 30), MeetingProfile("AMMTC 18", ("AMMTC 18",), ("Vientiane",), D(2024, 8, 28))),
    "004": (D(2025, 9, 11), MeetingProfile("AMMTC 19", ("AMMTC 19", "ASEAN Summit 47"), ("Melaka", "Malaysia"),
                                           D(2025, 9, 10))),
}  # fmt: skip


@pytest.mark.parametrize("prefix", sorted(SEED_PROFILES))
def test_seed_profiles(prefix: str) -> None:
    published, expected = SEED_PROFILES[prefix]
    assert profile_article(None, _seed(prefix), published=published) == expected


def test_seed_002_with_known_year() -> None:
    assert profile_article(None, _seed("002"), published=D(2020, 9, 20)).date == D(2020, 9, 24)


def test_seed_004_date_without_publication_date() -> None:
    # The date is written with its year, so it needs no publication date.
    assert profile_article(None, _seed("004")).date == D(2025, 9, 10)
    # Year-less dates are not guessed.
    assert profile_article(None, _seed("000")).date is None


def test_title_outweighs_body() -> None:
    title = "SOMTC 21 opens in Jakarta"
    text = (
        "Officials gathered on Monday to review the work plan agreed at AMMTC 15 and AMMTC 16 "
        "last year, ahead of the ministers.\n\nThe AMMTC 15 outcomes were discussed at length today."
    )
    profile = profile_article(title, text)
    assert profile.main == "SOMTC 21"
    assert profile.mentioned == ("AMMTC 15", "AMMTC 16", "SOMTC 21")
    assert profile.places == ("Jakarta",)


def test_tie_goes_to_first_mention() -> None:
    text = "Ministers met at the AMMTC 7 session and reviewed AMMTC 6 decisions, the report said today."
    assert profile_article(None, text).main == "AMMTC 7"


def test_mentioned_sorted_numerically() -> None:
    text = "The AMMTC 12 built on AMMTC 9 and SOMTC 3, as well as on earlier meetings in the region."
    assert profile_article(None, text).mentioned == ("AMMTC 9", "AMMTC 12", "SOMTC 3")


def test_no_meeting() -> None:
    text = "Police in Hanoi, Vietnam arrested 12 suspects on March 3, 2021 in a cross-border drug case."
    profile = profile_article("Drug ring busted", text)
    assert profile.main is None and profile.mentioned == ()
    assert profile.places == ("Hanoi", "Vietnam")  # from the lead sentence
    assert profile.date == D(2021, 3, 3)


def test_place_skips_months_and_non_places() -> None:
    text = (
        "In addition, the 5th AMMTC was held in January in Kuala Lumpur (Malaysia) with ministers "
        "from all member states present."
    )
    profile = profile_article(None, text, published=D(2005, 1, 20))
    assert profile.places == ("Kuala Lumpur", "Malaysia")
    assert profile.date is None  # "in January" has no day


def test_year_less_date_before_publication_year() -> None:
    text = "Ministers attended the 30th AMMTC on December 28 in Manila, Philippines, the ministry said."
    profile = profile_article(None, text, published=D(2031, 1, 3))
    assert profile.date == D(2030, 12, 28)
    assert profile.places == ("Manila", "Philippines")


def test_sentence_abbreviations_do_not_cut_sentence() -> None:
    text = (
        "Sen. Lt. Gen. Nguyen attended the 21st SOMTC in Yangon on June 3, 2021, with officials "
        "from the region.\n\nIt was held in Singapore last year."
    )
    profile = profile_article(None, text)
    assert profile.places == ("Yangon",)
    assert profile.date == D(2021, 6, 3)


def test_profile_is_fast() -> None:
    import time

    texts = [_seed(p) for p in SEED_PROFILES]
    began = time.perf_counter()
    for _ in range(20):
        for text in texts:
            profile_article(None, text)
    assert time.perf_counter() - began < 2.0


def test_a_meeting_token_of_a_key_the_recogniser_only_finds_in_context() -> None:
    """``find_meetings`` may return a key of a series it found only in context ("Scottish
    Parliament 4" in a squad-dev article); indexing such a text must not fail on it."""
    from ammtc_qa.text.meetings import meeting_token

    assert meeting_token("Scottish Parliament 4") == "scottish_parliament_4"
    assert meeting_token("AMMTC 7") == "ammtc_7"
    with pytest.raises(ValueError, match="not a meeting reference"):
        meeting_token("hello")
