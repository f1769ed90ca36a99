"""Precision and recall of the cleaning's removals, on pages whose every line is labelled.

Cleaning that deletes article text is worse than cleaning that keeps a stray "Print": a
removed line can be the answer to a question. Rules shaped on a handful of scraped pages
removed list lines, item headings, timeline months and similar paragraphs of general news,
so the rules are measured here on a labelled set: the shipped seed pages (their furniture
must still go) plus generated pages that put content shapes which look like furniture (cast
lists, standings, odds, timelines with month headings, Q&A, product specs, recipes, results,
similar-but-different paragraphs, repeated company headings) inside realistic furniture
(menus, share bars, related links, footers).

Label files (``benchmarks/cleaning_labels/*.txt``) hold the page one line per line:

    C|a content line, verbatim
    F|a furniture line, verbatim
    #F a furniture part of the line above (an inline photo marker); the rest is content
    ## a comment (not part of the page)

and a blank line is a blank line of the page. An *item* is a labelled line (minus its
furniture parts) or a furniture part; it counts as removed when at least half of its
non-space characters fall in the spans ``clean`` reports as removed. Precision = removed
furniture items / removed items, recall = removed furniture items / furniture items.

    python benchmarks/cleaning_precision.py [--show] [--json out.json]

Pages are ``seed_*`` (the shipped corpus), ``gen_*`` (written before the rules were rebuilt,
and used to rebuild them) and ``held_*`` (written after, to check them; report, do not tune).
The set is small and written by the same people who wrote the rules, so its figures are an
upper bound of what real pages give; a page added here must be labelled before the rules
are run on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = HERE / "cleaning_labels"
sys.path.insert(0, str(HERE.parent / "src"))

from ammtc_qa.input.cleaning import clean  # noqa: E402


@dataclass
class Item:
    page: str
    text: str
    furniture: bool
    chars: list[int]  # offsets of its non-space characters in the raw page


def parse(path: Path) -> tuple[str, list[Item]]:
    """The raw page of a label file and its items."""
    lines: list[tuple[str, str]] = []  # (label, text)
    parts: dict[int, list[str]] = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("##"):
            continue
        if line.startswith("#F "):
            parts.setdefault(len(lines) - 1, []).append(line[3:])
        elif line.startswith(("C|", "F|")):
            lines.append((line[0], line[2:]))
        elif not line.strip():
            lines.append(("", ""))
        else:
            raise ValueError(f"{path.name}: unlabelled line {line!r}")
    while lines and lines[-1] == ("", ""):
        lines.pop()
    raw = "\n".join(text for _, text in lines) + "\n"
    items: list[Item] = []
    pos = 0
    for k, (label, text) in enumerate(lines):
        start = pos
        pos += len(text) + 1
        if not label:
            continue
        in_part = [False] * len(text)
        for part in parts.get(k, []):
            at = text.find(part)
            if at < 0:
                raise ValueError(f"{path.name}: furniture part {part!r} not in line {text!r}")
            for i in range(at, at + len(part)):
                in_part[i] = True
            items.append(Item(path.stem, part, True, [start + i for i in range(at, at + len(part))
                                                     if not text[i].isspace()]))
        rest = [start + i for i, c in enumerate(text) if not c.isspace() and not in_part[i]]
        if rest:
            items.append(Item(path.stem, text, label == "F", rest))
    return raw, items


def evaluate(paths: list[Path]) -> dict[str, object]:
    per_page: dict[str, dict[str, int]] = {}
    errors: list[dict[str, object]] = []
    totals = {"tp": 0, "fp": 0, "fn": 0, "furniture": 0, "content": 0}
    for path in paths:
        raw, items = parse(path)
        cleaned = clean(raw)
        removed = bytearray(len(raw))
        kind_at: dict[int, str] = {}
        for r in cleaned.removed:
            for i in range(r.start, r.end):
                removed[i] = 1
                kind_at[i] = r.kind
        page = {"tp": 0, "fp": 0, "fn": 0, "furniture": 0, "content": 0}
        for item in items:
            gone = sum(removed[i] for i in item.chars) * 2 >= len(item.chars)
            page["furniture" if item.furniture else "content"] += 1
            if item.furniture and gone:
                page["tp"] += 1
            elif item.furniture:
                page["fn"] += 1
                errors.append({"page": item.page, "error": "kept furniture", "text": item.text})
            elif gone:
                page["fp"] += 1
                errors.append({"page": item.page, "error": "removed content", "text": item.text,
                               "kind": kind_at.get(item.chars[0], "")})
        per_page[path.stem] = page
        for key in totals:
            totals[key] += page[key]

    def scores(c: dict[str, int]) -> dict[str, float | None]:
        removed_n = c["tp"] + c["fp"]
        return {"precision": c["tp"] / removed_n if removed_n else None,
                "recall": c["tp"] / c["furniture"] if c["furniture"] else None}

    seeds = {k: v for k, v in per_page.items() if k.startswith("seed_")}
    generated = {k: v for k, v in per_page.items() if k.startswith("gen_")}
    held = {k: v for k, v in per_page.items() if k.startswith("held_")}

    def total(pages: dict[str, dict[str, int]]) -> dict[str, int]:
        return {key: sum(p[key] for p in pages.values()) for key in totals}

    return {
        "all": {**totals, **scores(totals)},
        "seeds": {**total(seeds), **scores(total(seeds))},
        "generated": {**total(generated), **scores(total(generated))},
        "held_out": {**total(held), **scores(total(held))},
        "pages": {k: {**v, **scores(v)} for k, v in per_page.items()},
        "errors": errors,
    }


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", action="store_true", help="list every removed content / kept furniture item")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    result = evaluate(sorted(LABELS.glob("*.txt")))
    print(f"{'set':<34} {'items':>5} {'furn':>5} {'rm ok':>5} {'rm bad':>6} {'precision':>9} {'recall':>7}")
    rows = [("ALL", result["all"]), ("seeds", result["seeds"]), ("generated", result["generated"]),
            ("held-out", result["held_out"])]
    rows += list(result["pages"].items())
    for name, r in rows:
        print(f"{name:<34} {r['furniture'] + r['content']:>5} {r['furniture']:>5} {r['tp']:>5} {r['fp']:>6} "
              f"{_fmt(r['precision']):>9} {_fmt(r['recall']):>7}")
    if args.show:
        for e in result["errors"]:
            kind = f" [{e['kind']}]" if e.get("kind") else ""
            print(f"{e['page']:<34} {e['error']}{kind}: {str(e['text'])[:90]}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
