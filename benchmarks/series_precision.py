"""What the meeting recogniser finds in general text, and what it costs at index time.

Series are learned from wording, not listed in code, so the risk is false friends: "the 21st
century", "COVID-19", "Boeing 737". This runs ``find_meetings`` over the squad-dev paragraphs
(Wikipedia-style text about anything) and the shipped corpus, prints every mention with its
context (for checking by hand), the counts, and the time of cleaning + profiling the corpus and of
``find_meetings`` over squad-dev, the best of a few repeats.

    PYTHONPATH=src python benchmarks/series_precision.py            # counts, timings, every mention
    PYTHONPATH=src python benchmarks/series_precision.py --json out.json
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
    args = parser.parse_args()

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
