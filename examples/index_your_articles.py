"""Index a folder of your own articles and ask it a question.

    python examples/index_your_articles.py FOLDER [--index DIR] [--question Q]
    python examples/index_your_articles.py --demo      # made-up articles in a temp folder

FOLDER is walked recursively for articles:

* ``.txt`` / ``.md``: one article per file, as scraped (page furniture such as "Print",
  "Share on Facebook", photo file names and bylines is removed by the library);
* ``.html`` / ``.htm``: one page per file; the main text is extracted;
* ``.jsonl``: one article per line, ``{"id": ..., "text": ..., "title": ..., "date": ...}``.

Titles, publication dates and the meetings an article covers are extracted from the text.
What the text cannot tell goes in an optional ``metadata.json`` at the top of FOLDER, keyed by
file name (relative to FOLDER) or doc id; every field is optional and overrides extraction::

    {
      "file.txt": {
        "publisher": "Example News",
        "url": "https://example.org/news/file",
        "date": "2025-09-11",
        "title": "Ministers meet on transnational crime",
        "language": "en",
        "date_order": "DMY"
      }
    }

``date_order`` ("DMY" or "MDY") tells how to read ambiguous dates such as 11/09/2025 (year-first
dates such as 2025-09-11 need none; any other value is an error naming the file and field).
Unknown fields are an error, so typos do not pass silently.

Note: keep each paragraph on one line. The cleaner currently treats every line break as a
paragraph break, so a hard-wrapped sentence is split in two (passages and highlights then
start or end mid-sentence).

The index is written to ``--index`` (default: a per-folder cache folder under
``~/.cache/ammtc-qa``) and rebuilt automatically when a file in FOLDER is added, removed or
changed. Files that cannot be read are skipped with a warning and listed in ``qa.info()``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import ammtc_qa

DEMO_QUESTION = "What did ministers agree at AMMTC 7 in Freedonia?"

# Two made-up articles about fictional meetings, written the way scraped news pages look:
# a title line, a dateline, the body (one paragraph per line), and some page furniture
# ("By ...", "Print", "Share") for the cleaner to remove.
DEMO_ARTICLES = {
    "freedonia_ammtc7.txt": "\n".join([
        "Freedonia hosts AMMTC 7, ministers adopt the Freedonia Compact on cyber fraud",
        "12/03/2031",
        "By Rufus Firefly",
        "The 7th ASEAN Ministerial Meeting on Transnational Crime (AMMTC 7) opened in Freedonia City on "
        "March 12, chaired by Freedonia's Minister of Public Order, Rufus T. Firefly.",
        "Ministers agreed to adopt the Freedonia Compact on Cyber Fraud, which sets up a joint task force to "
        "trace stolen funds across borders within 48 hours and a shared registry of mule accounts.",
        "Delegates also agreed that the next meeting, AMMTC 8, will be held in Sylvania in 2032.",
        "Print",
        "Share on Facebook",
    ]),
    "sylvania_somtc3.md": "\n\n".join([
        "# Sylvania senior officials review wildlife trafficking cases at SOMTC 3",
        "5 August 2030",
        "Senior officials from the region met in Sylvania for the 3rd ASEAN Senior Officials Meeting on "
        "Transnational Crime (SOMTC 3) to review joint operations against wildlife trafficking.",
        "Officials reported that joint patrols on the Sylvania river border had seized 40 tonnes of pangolin "
        "scales, and proposed a regional hotline for customs officers.",
        "Share",
    ]),
}
DEMO_METADATA = {
    "freedonia_ammtc7.txt": {"publisher": "Freedonia Gazette", "url": "https://example.org/freedonia/ammtc7",
                             "language": "en", "date_order": "DMY"},
    # The title is given here because the library keeps a Markdown heading's "# " in the title.
    "sylvania_somtc3.md": {"publisher": "Sylvania Herald", "language": "en",
                           "title": "Sylvania senior officials review wildlife trafficking cases at SOMTC 3"},
}


def write_demo(folder: Path) -> None:
    """Write the two demo articles and their metadata.json into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DEMO_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "metadata.json").write_text(json.dumps(DEMO_METADATA, indent=2), encoding="utf-8")


def run(folder: Path, index: Path | None, question: str | None, k: int) -> None:
    # load() reads, cleans and indexes FOLDER (only when the index is missing or stale) and
    # shows a progress bar while embedding; afterwards it simply opens the index.
    qa = ammtc_qa.load(corpus_dir=folder, index_dir=index, progress=True)

    info = qa.info()
    print(f"Indexed {info['documents']} articles as {info['chunks']} passages in {info['index_dir']}")
    print(f"model {info['model']['name']}, meetings found: {', '.join(info['meetings']) or 'none'}")
    for name, reason in info["skipped"]:
        print(f"skipped {name}: {reason}")
    for doc in qa.documents():
        print(f"  {doc.doc_id}: {doc.citation} | about {doc.meetings.main or '-'}")

    # What cleaning removed from each article (bylines, share buttons, datelines, ...), so the
    # cleaning can be audited: passages and offsets refer to the cleaned text.
    print("\nCleaning removed:")
    print(qa.cleaning_report())

    if question:
        answer = qa.ask(question, k=k)
        print()
        print(answer)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, help="folder of articles (not needed with --demo)")
    parser.add_argument("--index", type=Path, help="where to keep the index (default: a cache folder)")
    parser.add_argument("--question", help=f"question to ask (default: none, or {DEMO_QUESTION!r} with --demo)")
    parser.add_argument("--k", type=int, default=3, help="number of passages (default 3)")
    parser.add_argument("--demo", action="store_true", help="index two made-up articles from a temp folder")
    args = parser.parse_args()

    if args.demo:
        if args.folder:
            parser.error("give either FOLDER or --demo, not both")
        with tempfile.TemporaryDirectory(prefix="ammtc-qa-demo-") as tmp:
            folder = Path(tmp) / "articles"
            write_demo(folder)
            # Keep the demo index in the temp folder too (unless --index says otherwise),
            # so the demo leaves nothing behind in the cache.
            index = args.index or Path(tmp) / "index"
            run(folder, index, args.question or DEMO_QUESTION, args.k)
        return 0
    if args.folder is None:
        parser.error("give a FOLDER of articles, or --demo")
    run(args.folder, args.index, args.question, args.k)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
