"""Tests for ammtc_qa.evaluation with a fake QA object: no model, no index, no corpus.

Every expected number below is worked out by hand from the canned passages, so a change
in a metric's definition shows up as a failing test rather than a silently moved score.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ammtc_qa.evaluation.questions import (
    EvalReport,
    Question,
    evaluate,
    is_boilerplate,
    load_boilerplate,
    load_questions,
    norm,
)

SHARED_EVAL = Path("/work/shared/eval")


# --------------------------------------------------------------------------- fakes


@dataclass
class FakeMeetings:
    main: str | None
    mentioned: tuple[str, ...]


@dataclass
class FakeDoc:
    doc_id: str
    text: str
    title: str = ""
    meetings: FakeMeetings = field(default_factory=lambda: FakeMeetings(None, ()))


@dataclass
class FakePassage:
    text: str
    doc_id: str
    start: int
    end: int
    score: float = 1.0
    title: str = ""
    citation: str = ""


@dataclass
class FakeAnswer:
    question: str
    passages: list[FakePassage]
    notice: str | None = None


class FakeQA:
    """Returns canned passages per question; passages are cut from the fake documents.

    ``answers`` maps question text to a list of ``(doc_id, phrase)``: the passage is the
    first occurrence of ``phrase`` in that document (so its citation is exact), or, for a
    ``(doc_id, phrase, "bad")`` triple, a passage whose text does not match its offsets.
    """

    def __init__(self, docs: list[FakeDoc], answers: dict[str, list[tuple[str, ...]]]) -> None:
        self.docs = {d.doc_id: d for d in docs}
        self.answers = answers
        self.asked: list[tuple[str, int]] = []

    def document(self, doc_id: str) -> FakeDoc:
        return self.docs[doc_id]

    def documents(self) -> list[FakeDoc]:
        return list(self.docs.values())

    def ask(self, question: str, k: int = 10) -> FakeAnswer:
        self.asked.append((question, k))
        out = []
        for spec in self.answers.get(question, []):
            doc_id, phrase = spec[0], spec[1]
            text = self.docs[doc_id].text
            start = text.index(phrase)
            p = FakePassage(text=phrase, doc_id=doc_id, start=start, end=start + len(phrase))
            if len(spec) > 2 and spec[2] == "bad":
                p.end += 1  # text no longer equals document.text[start:end]
            out.append(p)
        return FakeAnswer(question, out[:k])


DOC_A = FakeDoc(
    "a",
    "At AMMTC 19 Vietnam proposed a common ASEAN criminal database. "
    "It also called for drug-free border communes. Ministers met in Melaka.",
    meetings=FakeMeetings("AMMTC-19", ("AMMTC-19",)),
)
DOC_B = FakeDoc(
    "b",
    "SOMTC 20 discussed trafficking of women and children. Officials met in Bangkok. Weather was fine.",
    meetings=FakeMeetings("SOMTC 20", ("SOMTC 20",)),
)


def q(qid: str, text: str, groups: list[list[str]], meeting: str | None = None, **kw: object) -> Question:
    return Question(id=qid, q=text, meeting=meeting, groups=tuple(tuple(g) for g in groups), **kw)


# --------------------------------------------------------------------------- metrics


def test_hit_at_rank_two_and_missing_answer() -> None:
    qa = FakeQA([DOC_A, DOC_B], {
        # rank 1 has no evidence, rank 2 has: hit@1 0, hit@5 1, reciprocal rank 1/2
        "q1": [("b", "Officials met in Bangkok."), ("a", "common ASEAN criminal database")],
        # evidence nowhere in the returned passages: rank None, reciprocal rank 0
        "q2": [("b", "Weather was fine.")],
    })
    qs = [q("1", "q1", [["Common ASEAN Criminal Database"]]), q("2", "q2", [["cocaine"]])]
    r = evaluate(qa, qs, k=5, deep=10)
    m = r.metrics
    assert m["hit@1"] == 0.0
    assert m["hit@5"] == 0.5  # (1 + 0) / 2
    assert m["mrr@10"] == 0.25  # (1/2 + 0) / 2
    assert m["citation_mismatches"] == 0
    assert m["passages"] == 3
    # one untimed warm-up ask (model loading is not ask latency), then each question at depth `deep`
    assert qa.asked == [("q1", 10), ("q1", 10), ("q2", 10)]
    # q1 ranks its evidence at 2 (< k): not a miss; q2 finds nothing: a miss
    assert [x.id for x in r.misses] == ["2"]
    assert "no evidence in top 10" in r.misses[0].problems
    assert "cocaine" in r.misses[0].expected
    assert r.misses[0].returned[0].startswith("[1] b: Weather")


def test_hit_at_one_and_mrr_single() -> None:
    qa = FakeQA([DOC_A], {"q": [("a", "drug-free border communes")]})
    m = evaluate(qa, [q("1", "q", [["drug\u2013free border communes"]])]).metrics  # en dash folded
    assert (m["hit@1"], m["hit@5"], m["mrr@10"]) == (1.0, 1.0, 1.0)


def test_evidence_beyond_k_counts_for_mrr_not_hit() -> None:
    # evidence at rank 3 with k=2, deep=4: hit@2 0, mrr 1/3, and it is a miss
    qa = FakeQA([DOC_A, DOC_B], {"q": [("b", "Weather was fine."), ("b", "Officials met in Bangkok."),
                                       ("a", "Ministers met in Melaka.")]})
    r = evaluate(qa, [q("1", "q", [["met in melaka"]])], k=2, deep=4)
    assert r.metrics["hit@2"] == 0.0
    assert r.metrics["mrr@4"] == pytest.approx(1 / 3)
    assert r.misses[0].problems == ["first evidence at rank 3"]  # no meeting asked: none is wrong


def test_abstain() -> None:
    none = FakeQA([DOC_A], {})
    one = FakeQA([DOC_A], {"x": [("a", "Ministers met in Melaka.")]})
    unans = [Question(id="u", q="x", meeting="AMMTC 30", unanswerable=True)]
    assert evaluate(none, unans).metrics["abstain(unknown meeting)"] == 1.0
    r = evaluate(one, unans)
    assert r.metrics["abstain(unknown meeting)"] == 0.0
    assert r.misses[0].problems == ["should abstain, returned 1 passages"]
    # unanswerable questions do not enter the answer metrics
    assert r.metrics["answerable"] == 0 and r.metrics["unanswerable"] == 1
    assert r.metrics["hit@1"] == 0.0


def test_citation_mismatch_counted() -> None:
    qa = FakeQA([DOC_A], {"q": [("a", "common ASEAN criminal database", "bad"),
                                ("a", "drug-free border communes")]})
    m = evaluate(qa, [q("1", "q", [["criminal database"]])]).metrics
    assert m["citation_mismatches"] == 1
    # a passage from an unknown document is a mismatch too, and does not crash
    qa.answers["q"].append(("a", "Ministers met in Melaka."))
    qa.docs["ghost"] = DOC_A
    qa.answers["q"].append(("ghost", "Ministers met in Melaka."))
    orig = qa.document

    def doc(doc_id: str) -> FakeDoc:
        if doc_id == "ghost":
            raise KeyError(doc_id)
        return orig(doc_id)

    qa.document = doc  # type: ignore[method-assign]
    assert evaluate(qa, [q("1", "q", [["criminal database"]])]).metrics["citation_mismatches"] == 2


def test_cover_multi_part_wrong_meeting_and_mean_chars() -> None:
    qa = FakeQA([DOC_A, DOC_B], {
        "multi": [("a", "common ASEAN criminal database"), ("b", "Officials met in Bangkok.")],
        "single": [("a", "Ministers met in Melaka.")],
    })
    qs = [
        # two parts, only the first found: cover 1/2
        q("m", "multi", [["criminal database"], ["joint investigation"]], meeting="AMMTC 19"),
        # single-part questions do not enter cover
        q("s", "single", [["melaka"]], meeting="ammtc 19"),
    ]
    r = evaluate(qa, qs)
    m = r.metrics
    assert m["cover@10(multi-part)"] == 0.5
    assert m["multi_part"] == 1
    # top-5 passages of questions with a meeting: 2 + 1 = 3; only doc b (SOMTC 20) is wrong
    assert m["wrong_meeting@5"] == pytest.approx(1 / 3)
    # lengths 30, 25, 24 -> mean 26.3
    assert m["mean_chars@5"] == round((30 + 25 + 24) / 3, 1)
    miss = {x.id: x for x in r.misses}
    assert set(miss) == {"m"}
    assert "cover 1/2" in miss["m"].problems and "1 of top 5 from another meeting" in miss["m"].problems


def test_no_meeting_means_no_wrong_meeting() -> None:
    qa = FakeQA([DOC_A, DOC_B], {"q": [("b", "trafficking of women and children")]})
    m = evaluate(qa, [q("1", "q", [["women and children"]])]).metrics
    assert m["wrong_meeting@5"] == 0.0


def test_boilerplate_counted_in_top_k() -> None:
    docs = [
        FakeDoc("p", "Photo 1 (3).JPG shows the delegates. Plain prose about cooperation."),
        FakeDoc("n", "Menu\n- Home\n- Politics\n- World\nAnd an article about AMMTC."),
    ]
    qa = FakeQA(docs, {"q": [("p", "Photo 1 (3).JPG shows the delegates."),
                             ("n", "Menu\n- Home\n- Politics\n- World"),
                             ("p", "Plain prose about cooperation.")]})
    m = evaluate(qa, [q("1", "q", [["cooperation"]])]).metrics
    assert m["boilerplate@5"] == 2
    # a phrase from the question's own list, or from the caller's list, flags the prose too
    m = evaluate(qa, [q("1", "q", [["cooperation"]], boilerplate=("PLAIN prose",))]).metrics
    assert m["boilerplate@5"] == 3
    m = evaluate(qa, [q("1", "q", [["cooperation"]])], boilerplate=["about cooperation"]).metrics
    assert m["boilerplate@5"] == 3


@pytest.mark.parametrize(("text", "expected"), [
    ("IMG_2041.jpeg", True),
    ("see 1 (3).JPG", True),
    ("\u2022 Home\n\u2022 News\n\u2022 Sport", True),
    ("- one\n- two", False),  # only two bullet lines
    ("  \u2022 An Giang\n  \u2022 Binh Duong\n  \u2022 Ca Mau", True),
    ("- " + "a long proposal " * 5 + "\n- " + "b" * 70 + "\n- " + "c" * 70, False),  # content, not a menu
    ("Share on Facebook", True),
    ("ShareFacebook", True),
    ("Text\nShare\nMore text", True),
    ("Countries agreed to share information on crimes.", False),
    ("The meeting in Bangkok adopted a declaration.", False),
    ("Total was 1.5 kg.", False),
])
def test_is_boilerplate(text: str, expected: bool) -> None:
    assert is_boilerplate(text) is expected


def test_norm_matches_judge() -> None:
    path = SHARED_EVAL / "norm.py"
    if not path.is_file():
        pytest.skip("judge's norm.py not available")
    spec = importlib.util.spec_from_file_location("judge_norm", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    samples = [
        "  \u201cAMMTC\u201d\u2014 19\u2019s  \n plan ", "\uff21\uff22 x\u2011y", "Ｆｕｌｌ\twidth", "",
    ]
    for s in samples:
        assert norm(s) == mod.norm(s)


def test_empty_and_report_outputs() -> None:
    r = evaluate(FakeQA([], {}), [])
    assert r.metrics["questions"] == 0 and r.metrics["hit@1"] == 0.0
    qa = FakeQA([DOC_A], {"q": [("a", "Ministers met in Melaka.")]})
    r = evaluate(qa, [q("1", "q", [["cocaine"]])])
    assert isinstance(r, EvalReport)
    table = r.table()
    assert "hit@5" in table and "mrr@10" in table and "≥ 0.93" in table
    data = json.loads(r.to_json())
    assert data["metrics"]["hit@5"] == 0.0 and data["misses"][0]["id"] == "1"
    assert "MISS 1" in str(r.misses[0])


def test_bad_k_deep() -> None:
    with pytest.raises(ValueError):
        evaluate(FakeQA([], {}), [], k=10, deep=5)


# --------------------------------------------------------------------------- loading


def write(tmp_path: Path, lines: list[str], name: str = "qs.jsonl") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


GOOD = '{"id":"a","q":"What?","meeting":"AMMTC 19","groups":[["x","y"],["z"]]}'


def test_load_questions_ok(tmp_path: Path) -> None:
    p = write(tmp_path, [
        GOOD,
        "",
        '{"id":"u","q":"Else?","meeting":"SOMTC 5","unanswerable":true,"groups":[]}',
        '{"boilerplate":["read more"]}',
        '{"id":"c","q":"Own?","groups":[["w"]],"boilerplate":["teaser"]}',
    ])
    qs = load_questions(p)
    assert [x.id for x in qs] == ["a", "u", "c"]
    assert qs[0].groups == (("x", "y"), ("z",)) and qs[0].meeting == "AMMTC 19"
    assert qs[1].unanswerable and qs[1].groups == ()
    # file-wide phrases apply to every question, also those above the line
    assert qs[0].boilerplate == ("read more",)
    assert qs[2].boilerplate == ("teaser", "read more")


def test_load_dev_set() -> None:
    path = SHARED_EVAL / "dev.jsonl"
    if not path.is_file():
        pytest.skip("dev set not available")
    qs = load_questions(path)
    assert len(qs) == 17 and sum(x.unanswerable for x in qs) == 2


@pytest.mark.parametrize(("line", "problem"), [
    ('{"id":"b","q":"x",', "bad JSON"),
    ('["not", "an object"]', "JSON object"),
    ('{"id":"b","groups":[["x"]]}', 'missing "q"'),
    ('{"id":"b","q":"x","groups":["x"]}', "list of lists of strings"),
    ('{"id":"b","q":"x","groups":[["x", 1]]}', "list of lists of strings"),
    ('{"id":"b","q":"x","groups":"x"}', "list of lists of strings"),
    ('{"id":"b","q":"x","groups":[[]]}', "empty"),
    ('{"id":"b","q":"x","groups":[]}', "at least one group"),
    ('{"id":"a","q":"x","groups":[["x"]]}', "duplicate id"),
    ('{"id":"b","q":"x","groups":[["x"]],"unanswerable":"yes"}', "true or false"),
])
def test_load_questions_malformed(tmp_path: Path, line: str, problem: str) -> None:
    p = write(tmp_path, [GOOD, line])
    with pytest.raises(ValueError) as e:
        load_questions(p)
    msg = str(e.value)
    assert f"{p}:2:" in msg and problem in msg


def test_load_boilerplate(tmp_path: Path) -> None:
    p = write(tmp_path, ["# site furniture", "Read more", "", "Related stories  # teaser"], "b.txt")
    assert load_boilerplate(p) == ["Read more", "Related stories"]
