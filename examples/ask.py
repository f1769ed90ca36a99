"""Ask the shipped corpus a question and print the cited passages.

    python examples/ask.py
    python examples/ask.py "Which countries attended AMMTC 13?" --k 3

Uses the corpus and index shipped with the package: no network, no index build.
"""

from __future__ import annotations

import argparse

import ammtc_qa

DEFAULT_QUESTION = "What did Vietnam propose at AMMTC 19?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("question", nargs="?", default=DEFAULT_QUESTION, help=f"default: {DEFAULT_QUESTION!r}")
    parser.add_argument("--k", type=int, default=5, help="number of passages (default 5)")
    args = parser.parse_args()

    # load() with no arguments opens the shipped corpus and its prebuilt index.
    qa = ammtc_qa.load()
    answer = qa.ask(args.question, k=args.k)

    # str(answer): the question, any notice, then each passage with its citation; the
    # sentences that best match the question are wrapped in **...**.
    print(answer)

    # Every passage is an exact span of its cleaned article: text == document.text[start:end].
    # That is what makes a citation checkable, so show the check for each one.
    print("\nSpan check:")
    for i, p in enumerate(answer.passages, 1):
        exact = qa.document(p.doc_id).text[p.start:p.end] == p.text
        print(f"[{i}] {p.doc_id} chars {p.start}-{p.end}: {'exact' if exact else 'MISMATCH'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
