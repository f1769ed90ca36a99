"""Numbered meetings of series no code lists: forms, false friends, aliases and the catalog."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ammtc_qa.backends.filters import DocMeta
from ammtc_qa.ranking.questions import MeetingCatalog, analyse
from ammtc_qa.text.meetings import (
    canonical_meeting,
    find_meetings,
    meeting_aliases,
    meeting_token,
    meetings_in_question,
    profile_article,
    series_mentions,
)


def keys(text: str, **kw: object) -> list[str]:
    return [m.key for m in find_meetings(text, **kw)]  # type: ignore[arg-type]


# --- forms, on made-up series --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "surface", "key"),
    [
        ("Ministers met at the 3rd Zorblan Ministers' Meeting in Quux.", "3rd Zorblan Ministers' Meeting",
         "Zorblan Ministers Meeting 3"),
        ("the 3rd Zorblan Ministers’ Meeting on Frobnication opened", "3rd Zorblan Ministers’ Meeting on Frobnication",
         "Zorblan Ministers Meeting on Frobnication 3"),
        ("Forty-third Quuxian Summit opened today", "Forty-third Quuxian Summit", "Quuxian Summit 43"),
        ("at the twenty-first Blorp Forum, delegates", "twenty-first Blorp Forum", "Blorp Forum 21"),
        ("the 79th session of the Grand Zorblan Assembly in Quux", "79th session of the Grand Zorblan Assembly",
         "Grand Zorblan Assembly 79"),
        ("the 12th Conference of the Wibbles was", "12th Conference of the Wibbles", "Conference of the Wibbles 12"),
        ("the 5th Zorblan Games closed", "5th Zorblan Games", "Zorblan Games 5"),
        ("the 47th Quuxian Summit and Related Summits", "47th Quuxian Summit", "Quuxian Summit 47"),
        ("the 12th ZMM in Quux", "12th ZMM", "ZMM 12"),
        ("the 12th ZMM meeting", "12th ZMM", "ZMM 12"),
        ("Quuxian Summit 47, Quux", "Quuxian Summit 47", "Quuxian Summit 47"),  # the key's own form
    ],
)  # fmt: skip
def test_name_forms(text: str, surface: str, key: str) -> None:
    (mention,) = find_meetings(text)
    assert (mention.surface, mention.key) == (surface, key)


def test_acronym_definition_keys_every_form_alike() -> None:
    text = ("The 3rd Zorblan Ministers' Meeting (ZMM) opened in Quux. Officials said ZMM-3 would adopt a plan, "
            "and that ZMM 4 and ZMM4 would follow, as would the 5th Zorblan Ministers Meeting.")
    assert keys(text) == ["ZMM 3", "ZMM 3", "ZMM 4", "ZMM 4", "ZMM 5"]
    assert meeting_aliases(text) == {"Zorblan Ministers Meeting": "ZMM"}


@pytest.mark.parametrize(
    "text",
    ["the Zorblan Ministers' Meeting (ZMM-3) was held", "the 3rd Zorblan Ministers' Meeting (ZMM) was held",
     "the Zorblan Ministers' Meeting (3rd ZMM) was held", "the 3rd Zorblan Ministers' Meeting (ZMM 3) was held"],
)  # fmt: skip
def test_parenthesised_acronym_is_one_mention(text: str) -> None:
    (mention,) = find_meetings(text)
    assert mention.key == "ZMM 3"
    assert mention.surface.startswith(("Zorblan", "3rd")) and mention.surface.endswith(")")


def test_acronym_with_number_needs_a_known_series() -> None:
    assert keys("Delegates arrived for ZMM-3 today.") == []
    assert keys("Delegates arrived for ZMM-3 today.", known={"ZMM"}) == ["ZMM 3"]
    assert keys("After the 2nd ZMM, ZMM-3 came.") == ["ZMM 2", "ZMM 3"]  # numbered with an ordinal here
    assert keys("COP29 opened in Baku", known={"COP"}) == ["COP 29"]
    assert keys("COP 29 opened in Baku", known={"COP"}) == ["COP 29"]


def test_credit_after_a_name_is_not_a_definition() -> None:
    assert meeting_aliases("the Quuxian Summit (VNA) and the Blorp Forum (AI)") == {}


def test_seeds_keep_their_keys() -> None:
    assert keys("the 19th ASEAN Ministerial Meeting on Transnational Crime (AMMTC)") == ["AMMTC 19"]
    assert meeting_aliases("the ASEAN Ministerial Meeting on Transnational Crime (AMMTC)") == {}


def test_key_round_trips_through_token_and_canonical() -> None:
    assert meeting_token("Quuxian Summit 47") == "quuxian_summit_47"
    assert meeting_token("ASEAN+3 Youth Forum 9") == "asean_3_youth_forum_9"
    assert canonical_meeting("Quuxian Summit 47") == "Quuxian Summit 47"
    assert canonical_meeting("ZMM 12") == "ZMM 12"  # a key is a meeting reference by itself
    assert canonical_meeting("COVID-19") is None


def test_a_session_key_tokenises() -> None:
    """"the fourth Session of the X Parliament" gives the key "X Parliament 4", which no surface
    parser reads back as a meeting: tokenising a paragraph holding it once crashed a build."""
    from ammtc_qa.text.lexical import tokenize

    text = "Members met in the fourth Session of the Quuxian Parliament to vote."
    assert keys(text) == ["Quuxian Parliament 4"]
    assert meeting_token("Quuxian Parliament 4") == "quuxian_parliament_4"
    assert "quuxian_parliament_4" in tokenize(text)
    with pytest.raises(ValueError, match="not a meeting reference"):
        meeting_token("the fifth floor")


# --- false friends -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "in the 21st century", "on the 5th floor", "COVID-19 cases rose", "under Article 5 of the treaty",
        "Resolution 2231 was adopted", "the G20 leaders", "a Boeing 737 landed", "an F-16 crashed",
        "Windows 11 was released", "the iPhone 15 sold", "the 2024 Summit", "the 2024 ASEAN Summit",
        "ASEAN Summit 2024", "in the 3rd quarter", "his 2nd term", "the Top 10 list", "Route 66 runs west",
        "the 1st Infantry Division", "call +84 24 3825 3333", "won 3-1 in the final", "a 2-0 win",
        "the 5th Floor Conference Room", "Vietnam became the 7th ASEAN member", "the 46th US President",
        "the 2nd BTS album", "a second Quuxian Summit is planned", "the Quuxian Summit", "the 50th Super Bowl",
        "the 19th ASEAN and", "the 3rd Games Village", "COVID-19 (C-19)",
    ],
)  # fmt: skip
def test_false_friends(text: str) -> None:
    assert find_meetings(text) == []
    assert meetings_in_question(f"What happened {text}?") == []


def test_question_names_a_new_series() -> None:
    assert meetings_in_question("What did leaders agree at the 48th ASEAN Summit?") == ["ASEAN Summit 48"]
    assert meetings_in_question("What did ZMM-3 decide?") == []
    assert meetings_in_question("What did ZMM-3 decide?", known={"ZMM"}) == ["ZMM 3"]
    assert meetings_in_question("Compare ZMM 3 and 4", known={"ZMM"}) == ["ZMM 3", "ZMM 4"]


def test_series_mentions_without_number() -> None:
    q = "What did the latest Zorblan Ministers' Meeting and the most recent AMMTC decide, not the 19th AMMTC?"
    found = series_mentions(q, {"Zorblan Ministers Meeting"})
    assert [kind for _, _, kind in found] == ["Zorblan Ministers Meeting", "AMMTC"]
    assert q[found[0][0] : found[0][1]] == "Zorblan Ministers' Meeting"


# --- articles and the catalog --------------------------------------------------------------------

ARTICLE_A = (
    "Zorblan ministers meet in Quux\n\n"
    "The 3rd Zorblan Ministers' Meeting (ZMM) opened in Quux, Zorbla on March 3, 2031, with ministers "
    "from nine member states.\n\nThey recalled ZMM-2, held in Blorp last year."
)
ARTICLE_B = (
    "Ministers review the plan\n\n"
    "At the 4th Zorblan Ministers Meeting in Blorp on April 4, 2032, ministers reviewed the plan agreed "
    "a year earlier in Quux, the ministry said."
)


def test_profile_pools_series_knowledge_over_the_article() -> None:
    profile = profile_article(None, ARTICLE_A)
    assert profile.main == "ZMM 3"
    assert profile.mentioned == ("ZMM 2", "ZMM 3")  # "ZMM-2" counts: the lead defined ZMM
    assert profile.aliases == (("ZMM", "Zorblan Ministers Meeting"),)
    assert profile.places == ("Quux", "Zorbla")


def _meta(doc_id: str, text: str) -> DocMeta:
    p = profile_article(None, text)
    return DocMeta(doc_id=doc_id, main_meeting=p.main, meetings=p.mentioned, places=p.places,
                   meeting_date=p.date, aliases=p.aliases)


def test_catalog_merges_aliases_across_articles() -> None:
    b = _meta("b", ARTICLE_B)
    assert b.meetings == ("Zorblan Ministers Meeting 4",)  # article B never says "ZMM"
    catalog = MeetingCatalog.from_meta([_meta("a", ARTICLE_A), b])
    assert catalog.series["ZMM"] == ("ZMM", "Zorblan Ministers Meeting")
    assert catalog.keys_of("Zorblan Ministers Meeting") == ["ZMM 2", "ZMM 3", "ZMM 4"]
    assert catalog.docs_mentioning["ZMM 4"] == frozenset({"b"})
    assert catalog.alias_keys("ZMM 4") == ("ZMM 4", "Zorblan Ministers Meeting 4")
    got = analyse("What did ZMM-4 review?", catalog)  # ZMM is known from article A
    assert got.named == ("ZMM 4",) and got.unknown == ()
    assert set(got.aliases) == {"ZMM 4", "Zorblan Ministers Meeting 4"}
    assert set(got.tokens) == {"zmm_4", "zorblan_ministers_meeting_4"}
    assert analyse("What did the 4th Zorblan Ministers' Meeting review?", catalog).named == ("ZMM 4",)
    assert analyse("What did the 9th Zorblan Ministers Meeting decide?", catalog).unknown == ("ZMM 9",)
    assert catalog.series_in("Where was the latest Zorblan Ministers' Meeting held?") == ["ZMM"]
    assert catalog.series_in("Where was last year's zmm held?") == ["ZMM"]
    assert catalog.series_in("Where was the 4th ZMM held?") == []


def test_doc_meta_round_trips_aliases_and_old_stores_load() -> None:
    meta = _meta("a", ARTICLE_A)
    assert DocMeta.from_json(meta.to_json()) == meta
    old = {k: v for k, v in meta.to_json().items() if k != "aliases"}
    assert DocMeta.from_json(old).aliases == ()


# --- end to end ----------------------------------------------------------------------------------


def test_ask_on_a_tiny_corpus(tmp_path: Path, embedder) -> None:  # noqa: ANN001 - shares the loaded model
    import ammtc_qa

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    (corpus / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    (corpus / "c.txt").write_text(
        "Police seize drugs\n\nPolice in Quux seized 40 kilograms of drugs on May 5, 2032, and arrested "
        "three suspects, the ministry said.", encoding="utf-8")
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    answer = qa.ask("What did ministers review at ZMM-4?", k=5)
    assert answer.passages and {p.doc_id for p in answer.passages} == {"b"}
    assert answer.meetings == ("ZMM 4",)
    missing = qa.ask("What did ministers decide at the 9th Zorblan Ministers' Meeting?", k=5)
    assert missing.passages == [] and "ZMM 9" in (missing.notice or "")
    assert datetime.date(2031, 3, 3) == qa.document("a").meetings.date
    loose = qa.ask("what did ministers review at the 4th zorblan ministers meeting?", k=5)
    assert loose.meetings == ("ZMM 4",) and {p.doc_id for p in loose.passages} == {"b"}
    # article b writes only the name: a filter by the acronym, typed loosely, still reaches it
    filtered = qa.ask("What did ministers review?", k=5, filters={"meeting": ["zmm 4"]})
    assert filtered.passages and {p.doc_id for p in filtered.passages} == {"b"}


# --- questions typed loosely, against the corpus's series ----------------------------------------

ARTICLE_C = (
    "Leaders gather in Blorp\n\n"
    "The 12th Quuxian Summit opened in Blorp on May 5, 2032. Delegates also prepared the 29th Conference "
    "of Flarn Parties (CFP29), due in Quux later that year."
)


@pytest.fixture(scope="module")
def loose_catalog() -> MeetingCatalog:
    return MeetingCatalog.from_meta([_meta("a", ARTICLE_A), _meta("b", ARTICLE_B), _meta("c", ARTICLE_C)])


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("what did zmm 4 review?", "ZMM 4"), ("what did zmm4 review?", "ZMM 4"), ("What did Zmm-4 review?", "ZMM 4"),
        ("what did the 4th zmm review?", "ZMM 4"), ("what did zmm_4 review?", "ZMM 4"),
        ("what did the 4th zorblan ministers meeting review?", "ZMM 4"),
        ("what did the 4th zorblan ministers’ meeting review?", "ZMM 4"),
        ("what did the fourth Zorblan Ministers' meeting review?", "ZMM 4"),
        ("what did the 4th zorblan-ministers meeting review?", "ZMM 4"),
        ("what did the 4th ZORBLAN MINISTERS MEETING review?", "ZMM 4"),
        ("who hosted the 12th quuxian summit?", "Quuxian Summit 12"),
        ("who hosted the twelfth quuxian summit?", "Quuxian Summit 12"),
        ("who hosted quuxian summit 12?", "Quuxian Summit 12"),
        ("where is cfp 29?", "CFP 29"), ("where is cfp29?", "CFP 29"), ("where is the 29th cfp?", "CFP 29"),
        ("where is the 29th conference of flarn parties?", "CFP 29"),
    ],
)  # fmt: skip
def test_question_names_a_known_series_in_any_case(loose_catalog: MeetingCatalog, question: str, key: str) -> None:
    got = analyse(question, loose_catalog)
    assert got.named == (key,) and got.unknown == ()


def test_loose_number_the_corpus_lacks_is_unknown_not_ignored(loose_catalog: MeetingCatalog) -> None:
    assert analyse("what did the 13th quuxian summit decide?", loose_catalog).unknown == ("Quuxian Summit 13",)
    assert analyse("what did zmm 9 decide?", loose_catalog).unknown == ("ZMM 9",)
    # the question's own title case ("Quuxian summit") is the corpus's series, not a new one
    assert analyse("What Did The 13th Quuxian summit Decide?", loose_catalog).unknown == ("Quuxian Summit 13",)
    got = analyse("compare zmm 3 and 4", loose_catalog)
    assert got.named == ("ZMM 3", "ZMM 4")


@pytest.mark.parametrize(
    "question",
    [
        "what is on the 5th floor?", "what happened in the 21st century?", "how many covid-19 cases?",
        "what did the g20 leaders say?", "when did the boeing 737 land?", "what does article 5 say?",
        "was resolution 2231 adopted?", "what did the quuxian summit 10 years ago agree?",
        "is a second quuxian summit planned?", "what did the 2032 quuxian summit agree?",
        "what did zmm 2032 plan?", "who booked the 12th quuxian summit hall?", "what did zmm-plus 3 adopt?",
        "what did the 2nd zmm-plus adopt?", "what did the 12th asean defence ministers meeting agree?",
        "who won the 3rd quuxian games?", "what did 12 quuxian summit delegates say?",
        "what did the 4th zorblan ministry say?", "did cfp 29% of voters agree?",
    ],
)  # fmt: skip
def test_lower_case_false_friends_stay_nothing(loose_catalog: MeetingCatalog, question: str) -> None:
    got = analyse(question, loose_catalog)
    assert got.named == () and got.unknown == ()


def test_a_lower_case_question_never_makes_up_a_series() -> None:
    assert meetings_in_question("what did the 12th asean defence ministers meeting agree?") == []
    assert meetings_in_question("what did admm 12 agree?", kinds={"ZMM"}) == []
    assert meetings_in_question("what did admm 12 agree?", kinds={"ADMM"}) == ["ADMM 12"]


def test_two_letter_series_only_as_written() -> None:
    assert meetings_in_question("what did QS 5 agree?", kinds={"QS"}) == ["QS 5"]
    assert meetings_in_question("what did qs 5 agree?", kinds={"QS"}) == []


def test_series_in_leaves_loosely_numbered_meetings_out(loose_catalog: MeetingCatalog) -> None:
    assert loose_catalog.series_in("where was the 4th zorblan ministers meeting held?") == []
    assert loose_catalog.series_in("where was the 12th quuxian summit held?") == []
    assert loose_catalog.series_in("where was the latest quuxian summit held?") == ["Quuxian Summit"]
    assert loose_catalog.series_in("where was the latest zorblan-ministers meeting held?") == ["ZMM"]


_ORDINALS = st.sampled_from(["fourth", "4th", "twelfth", "12th", "79th", "first", "forty-seventh"])
_NAMES = st.lists(st.sampled_from(["Quuxian", "Blorp", "ASEAN", "Scottish", "Ministers'", "Defence", "General"]),
                  min_size=1, max_size=3).map(" ".join)
_KINDS = st.sampled_from(["Parliament", "Summit", "Meeting", "Assembly", "Forum", "Congress", "Conference"])
_MENTION = st.one_of(
    st.builds("the {} Session of the {} {}".format, _ORDINALS, _NAMES, _KINDS),
    st.builds("the {} session of the {} {}".format, _ORDINALS, _NAMES, _KINDS),
    st.builds("the {} {} {}".format, _ORDINALS, _NAMES, _KINDS),
    st.builds("the {} {} ({})".format, _NAMES, _KINDS, st.sampled_from(["ZMM", "QPM", "BF"])),
    st.sampled_from(["ZMM-4", "ZMM 12", "COP29", "SOMTC-20", "the 19th AMMTC", "Article 5", "G20"]),
)
_FILLER = st.sampled_from(["Delegates met at", "and", ", then", ". After", "before"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_FILLER, _MENTION).map(" ".join), min_size=1, max_size=4))
def test_every_mention_found_in_any_text_tokenises(words: list[str]) -> None:
    """Whatever wording the recogniser learns a key from, the key reads back as one lexical token
    (a learned key the tokeniser could not read crashed a whole build once)."""
    from ammtc_qa.text.lexical import question_tokens, tokenize

    text = " ".join(words) + "."
    for mention in find_meetings(text):
        assert meeting_token(mention.key)
    tokenize(text)
    question_tokens(text)
