"""What the meeting recogniser finds in general text, and what it costs at index time.

Series are learned from wording, not listed in code, so the risk is false friends: "the 21st
century", "COVID-19", "Boeing 737". This runs ``find_meetings`` over the squad-dev paragraphs
(Wikipedia-style text about anything) and the shipped corpus, prints every mention with its
context (for checking by hand), the counts, and the time of cleaning + profiling the corpus and of
``find_meetings`` over squad-dev, the best of a few repeats.

    PYTHONPATH=src python benchmarks/series_precision.py            # counts, timings, every mention
    PYTHONPATH=src python benchmarks/series_precision.py --json out.json

Questions are typed loosely ("the 47th asean summit", "admm 12"), so the question side reads the
series a catalogue knows in any case. ``--questions`` checks that side: a catalogue is learned from
the squad-dev paragraphs plus the shipped corpus, and every squad-dev question and dev question is
read as written and lower-cased; it prints each question where the two readings differ or where
the lower-cased one finds a meeting (for checking by hand), and counts them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import ROOT, SQUAD  # noqa: E402

from ammtc_qa.input.corpus import read_corpus  # noqa: E402
from ammtc_qa.text.meetings import find_meetings, profile_article  # noqa: E402


def squad_texts() -> list[tuple[str, str]]:
    with (SQUAD / "corpus.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [(r["_id"], r.get("text", "")) for r in rows]


def question_side(squad: list[tuple[str, str]], docs: list, extra: list[str]) -> dict[str, object]:  # type: ignore[type-arg]
    """Catalogue kinds from squad-dev paragraphs + the corpus; readings of questions as written and lower-cased."""
    from common import dev_questions, squad_queries

    from ammtc_qa.backends.filters import DocMeta
    from ammtc_qa.ranking.questions import MeetingCatalog
    from ammtc_qa.text.meetings import meetings_in_question

    metas = []
    for doc_id, text in [*squad, *((d.doc_id, d.text) for d in docs)]:
        p = profile_article(None, text)
        metas.append(DocMeta(doc_id=doc_id, main_meeting=p.main, meetings=p.mentioned, aliases=p.aliases))
    catalog = MeetingCatalog.from_meta(metas)
    kinds = catalog.kinds | set(extra)
    queries = [("squad", q) for _, q in squad_queries()[0]] + [("dev", q) for q in dev_questions()]
    rows = []
    for source, q in queries:
        def read(text: str) -> list[str]:
            return [catalog.canonical(k) for k in meetings_in_question(text, known=catalog.acronyms,
                                                                         kinds=kinds)]
        as_written, lowered = read(q), read(q.lower())
        strict = [catalog.canonical(k) for k in meetings_in_question(q, known=catalog.acronyms)]
        if as_written or lowered or strict:
            rows.append({"source": source, "q": q, "strict": strict, "as_written": as_written, "lowered": lowered})
    for r in rows:
        flag = "same" if r["as_written"] == r["lowered"] == r["strict"] else "DIFF"
        print(f"{flag} {r['source']:5} strict={r['strict']} written={r['as_written']} lower={r['lowered']} | {r['q']}")
    return {"catalogue_kinds": len(kinds), "questions": len(queries),
            "questions_with_a_meeting_strict": sum(bool(r["strict"]) for r in rows),
            "questions_with_a_meeting_as_written": sum(bool(r["as_written"]) for r in rows),
            "questions_with_a_meeting_lowered": sum(bool(r["lowered"]) for r in rows),
            "lowered_differs_from_as_written": sum(r["lowered"] != r["as_written"] for r in rows),
            "kinds": sorted(kinds)}


def best_of(repeats: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write mentions and counts here")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--questions", action="store_true", help="only the question side (see above)")
    parser.add_argument("--extra-kinds", nargs="*", default=[], help="series the catalogue is told it knows, "
                        "to stress the question side (e.g. COP EAS 'East Asia Summit' 'World Cup')")
    args = parser.parse_args()
    if args.questions:
        result = question_side(squad_texts(), read_corpus(ROOT / "corpus").documents, args.extra_kinds)
        print(json.dumps(result, indent=1))
        if args.json:
            args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return

    squad = squad_texts()
    docs = read_corpus(ROOT / "corpus").documents
    mentions = []
    for source, items in (("squad", squad), ("corpus", [(d.doc_id, d.text) for d in docs])):
        for doc_id, text in items:
            for m in find_meetings(text):
                left = text[max(0, m.start - 50) : m.start].replace("\n", " ")
                right = text[m.end : m.end + 30].replace("\n", " ")
                mentions.append({"source": source, "doc": doc_id, "key": m.key, "surface": m.surface,
                                 "context": f"{left}[[{m.surface}]]{right}"})

    def build() -> None:
        read_corpus(ROOT / "corpus")

    def profile() -> None:
        for d in docs:
            profile_article(d.title, d.text, published=d.date)

    def scan() -> None:
        for _, text in squad:
            find_meetings(text)

    timings = {"corpus_clean_and_profile_s": best_of(args.repeats, build),
               "corpus_profile_only_s": best_of(args.repeats, profile),
               "squad_find_meetings_s": best_of(args.repeats, scan)}
    counts = {"squad_paragraphs": len(squad), "corpus_articles": len(docs),
              "squad_mentions": sum(m["source"] == "squad" for m in mentions),
              "corpus_mentions": sum(m["source"] == "corpus" for m in mentions)}
    for m in mentions:
        print(f"{m['source']:6} {m['doc']:28} {m['key']:40} {m['context']}")
    print(json.dumps({**counts, **{k: round(v, 4) for k, v in timings.items()}}, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"counts": counts, "timings": timings, "mentions": mentions}, indent=1,
                                        ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
