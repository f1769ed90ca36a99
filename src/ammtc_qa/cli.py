"""``ammtc-qa``: ask, index, add, update, remove, info, eval from a shell."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from .errors import AmmtcQaError

VECTOR_KIND_HELP = "FAISS index kind (auto, Flat, HNSW32, HNSW32,SQ8, IVF,SQ8)"


def _change_options(p: argparse.ArgumentParser, strict_help: str | None = None) -> None:
    """Options shared by the commands that change a corpus (add, update, remove)."""
    if strict_help:
        p.add_argument("--strict", action="store_true", help=strict_help)
    p.add_argument("--json", action="store_true")
    p.add_argument("--vector-kind", help=VECTOR_KIND_HELP)
    _common(p)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", help="corpus folder (default: the shipped corpus)")
    p.add_argument("--index", help="index folder (default: the shipped index, or a cache folder)")
    p.add_argument("--model", help="sentence-transformers model name or local folder")


def _reranker_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reranker", help="'default' (the shipped sentence reranker) or a local CrossEncoder folder")


def _load(args: argparse.Namespace, **kw: object):  # noqa: ANN202 - returns QA
    from .qa import load

    return load(args.corpus, args.index, model=args.model, reranker=getattr(args, "reranker", None),
                **kw)  # type: ignore[arg-type]


def cmd_ask(args: argparse.Namespace) -> int:
    qa = _load(args)
    answer = qa.ask(args.question, k=args.k, explain=args.explain)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=1))
    else:
        print(answer.explain() if args.explain else answer)
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    qa = _load(args, rebuild="always" if args.force else "auto", progress=True, strict=args.strict,
               vector_kind=args.vector_kind)
    info = qa.info()
    print(f"index {info['index_dir']} ({info['version']}): {info['documents']} articles, {info['chunks']} "
          f"passages, model {info['model']['name']}")
    for name, reason in info["skipped"]:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    return 0


def _changing(args: argparse.Namespace):  # noqa: ANN202 - returns QA
    if not args.corpus:
        raise SystemExit(f"ammtc-qa {args.command}: give --corpus FOLDER (the shipped corpus is not changed)")
    return _load(args, progress=True, vector_kind=args.vector_kind)


def _print_report(report: object, as_json: bool) -> None:
    if as_json:
        print(json.dumps(vars(report), indent=1))
    else:
        print(report)


def cmd_add(args: argparse.Namespace) -> int:
    qa = _changing(args)
    report = qa.add(args.paths, strict=args.strict)
    _print_report(report, args.json)
    return 1 if report.skipped and not report.added else 0


def cmd_remove(args: argparse.Namespace) -> int:
    qa = _changing(args)
    for doc_id in args.doc_ids:
        _print_report(qa.remove(doc_id), args.json)
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    qa = _changing(args)
    report = qa.update(args.path, strict=args.strict)
    _print_report(report, args.json)
    return 1 if report.skipped else 0


def cmd_info(args: argparse.Namespace) -> int:
    qa = _load(args)
    if args.cleaning:
        print(qa.cleaning_report(args.doc))
        return 0
    info = qa.info()
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    for key in ("corpus_dir", "index_dir", "version", "built_at", "documents", "chunks", "sentences", "vector_kind"):
        print(f"{key:12s} {info[key]}")
    print(f"{'model':12s} {info['model']['name']} (dim {info['model']['dim']})")
    print(f"{'meetings':12s} {', '.join(info['meetings'])}")
    for doc in qa.documents():
        m = doc.meetings
        print(f"  {doc.doc_id}: {doc.citation} | main {m.main or '-'} | mentions {', '.join(m.mentioned) or '-'}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.beir:
        from .beir import evaluate_beir

        metrics = evaluate_beir(args.beir, index_dir=args.index, k=args.k or 100, max_queries=args.max_queries,
                                model=args.model, reranker=args.reranker)
        print(json.dumps(metrics) if args.json else "\n".join(f"{k:10s} {v:.4f}" for k, v in metrics.items()))
        return 0
    if not args.file:
        raise SystemExit("ammtc-qa eval: give a question FILE or --beir DIR")
    from .evaluation import evaluate, load_questions

    qa = _load(args)
    report = evaluate(qa, load_questions(args.file), k=args.k or 5, deep=args.deep, progress=not args.json)
    print(report.to_json() if args.json else report.table())
    if args.show_misses:
        for miss in report.misses:
            print(miss)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ammtc-qa", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the library does")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ask", help="answer a question with cited passages")
    p.add_argument("question")
    p.add_argument("-k", "--k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--explain", action="store_true", help="show why each passage ranked where it did")
    _common(p)
    _reranker_option(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("index", help="build (or refresh) the index of a corpus folder")
    _common(p)
    p.add_argument("--force", action="store_true", help="rebuild even if the index is current")
    p.add_argument("--strict", action="store_true", help="fail on the first bad corpus file")
    p.add_argument("--vector-kind", help=VECTOR_KIND_HELP)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("add", help="add articles (files, folders, .jsonl) to a corpus and refresh its index")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".txt/.md/.html/.jsonl files or folders")
    _change_options(p, strict_help="fail (and change nothing) on any bad file")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("update", help="replace an article of a corpus by a new version of its file")
    p.add_argument("path", metavar="PATH", help="a file named like one in the corpus folder")
    _change_options(p, strict_help="fail if the file cannot be used")
    p.set_defaults(func=cmd_update)

    p = sub.add_parser("remove", help="remove articles (by doc id) from a corpus and refresh its index")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID")
    _change_options(p)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("info", help="what is indexed: articles, passages, model, meetings, index age")
    _common(p)
    p.add_argument("--cleaning", action="store_true", help="show what cleaning removed from each article")
    p.add_argument("--doc", help="with --cleaning: only this doc id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("eval", help="score a question file, or a BEIR folder with --beir")
    p.add_argument("file", nargs="?", help="questions (.jsonl, the format of shared/eval/dev.jsonl)")
    p.add_argument("--beir", help="BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    p.add_argument("--k", type=int, default=None, help="cut-off (default 5; 100 with --beir)")
    p.add_argument("--deep", type=int, default=10)
    p.add_argument("--max-queries", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--show-misses", action="store_true")
    _common(p)
    _reranker_option(p)
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return int(args.func(args))
    except (AmmtcQaError, ValueError, TypeError, KeyError, FileNotFoundError) as exc:
        print(f"ammtc-qa: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
