"""The ``ammtc-qa`` command line: ask, shell, index, add, update, remove, info, eval.

Why it is shaped this way:

- Read-only commands (``ask``, ``shell``, ``info``, ``eval``) never build an index unasked: a
  missing ``--index`` used to re-embed a whole corpus into a cache folder without a word. They
  load with ``rebuild="never"`` and say what they found; ``--build`` builds, announced first and
  with progress bars. Commands that must build (``index``, ``add``, ``update``, ``remove``) say so
  before they start.
- Errors raised on purpose (``AmmtcQaError``, an unreadable file the user named) print one line
  and exit 2; anything else is a bug and keeps its traceback (exit 1), so it gets reported.
- Library warnings print as one ``ammtc-qa: warning:`` line, without Python's source echo.
- Each process pays a cold start of several seconds (importing torch is most of it), so many
  questions go through one process: ``ask --file`` (JSON Lines out) and ``shell``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import os
import re
import shutil
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO

from ._version import __version__
from .errors import AmmtcQaError, CorpusWarning, IndexUnavailableError, InvalidInputError, UnknownDocumentError

DESCRIPTION = """\
Answer questions about news articles with cited passages. Every passage cites its article
(publisher, title, date) and its exact character span in the cleaned text.

With no --corpus and --index, commands use the corpus and index shipped with the package.
Read-only commands (ask, shell, info, eval) never build an index unless given --build.
Errors exit with code 2 and a one-line message."""

VECTOR_KIND_HELP = "FAISS index kind: auto (default), Flat, HNSW32, HNSW32,SQ8, IVF,SQ8"
EXAMPLE_QUESTIONS = Path(__file__).resolve().parent / "data" / "example_questions.jsonl"
"""Questions about the shipped corpus, in the format ``ammtc_qa.load_questions`` reads."""
KEPT_FOLDER = ".removed"
"""Where ``remove --keep-file`` moves an article inside the corpus folder: folders whose name
starts with a dot are never indexed, so the file is kept without coming back at the next build."""

_PYTHON_WORDS = [
    (re.compile(r"\bqa\.documents\(\) or `ammtc-qa info`"), "`ammtc-qa info`"),
    (re.compile(r"\b(add|update|remove)\(\)"), r"`ammtc-qa \1`"),
    (re.compile(r"\bpass index_dir= "), "pass --index "),
    (re.compile(r"\bload\(corpus_dir=<your copy>\)"), "--corpus <your copy>"),
    (re.compile(r"\bpass corpus_dir="), "pass --corpus"),
]
"""Library messages name API calls; on the command line they name the commands instead."""


class UsageError(InvalidInputError):
    """A command was given options that do not fit together (exit 2, one line)."""


# ----------------------------------------------------------------------------- output


def _cli_words(message: str) -> str:
    for pattern, replacement in _PYTHON_WORDS:
        message = pattern.sub(replacement, message)
    return message


def _say(message: str) -> None:
    """A status line on stderr (stdout stays parseable)."""
    print(f"ammtc-qa: {message}", file=sys.stderr, flush=True)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """Library warnings as one line each; other packages' warnings keep Python's format."""
    if category.__module__.startswith("ammtc_qa"):
        print(f"ammtc-qa: warning: {_cli_words(str(message))}", file=file or sys.stderr)
    else:
        print(warnings.formatwarning(message, category, filename, lineno, line).rstrip(), file=file or sys.stderr)


def _print_json(data: object, *, lines: bool = False) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None if lines else 1), flush=lines)


# ----------------------------------------------------------------------------- loading


def _index_flags(args: argparse.Namespace) -> str:
    flags = [f" --corpus {args.corpus}" if args.corpus else "", f" --index {args.index}" if args.index else "",
             f" --model {args.model}" if args.model else "",
             f" --date-from {args.date_from}" if getattr(args, "date_from", None) else ""]
    return "".join(flags)


_OPENED: list[Any] = []
"""The ``QA`` objects this command opened, closed when it ends: an in-process Qdrant (``path=``,
Edge) locks its folder until its client is closed, so a second command in the same process (a
notebook, a test, the shell) could not open it again."""


def _open(args: argparse.Namespace, *, build: bool, strict: bool = False, force: bool = False) -> Any:
    """The ``QA`` of ``--corpus``/``--index``. Without ``build`` nothing is built: a missing, stale
    or corrupt index is an error saying what was found. With it, a needed build is announced
    first and shows progress (reading and cleaning, chunking, embedding)."""
    qa = _open_index(args, build=build, strict=strict, force=force)
    _OPENED.append(qa)
    return qa


def _open_index(args: argparse.Namespace, *, build: bool, strict: bool, force: bool) -> Any:
    from .qa import load

    if args.corpus is not None and not Path(args.corpus).is_dir():
        raise UsageError(f"corpus folder {args.corpus} does not exist")
    kw: dict[str, Any] = {"model": args.model, "vector_kind": getattr(args, "vector_kind", None),
                          "reranker": getattr(args, "reranker", None), **_backend(args)}
    if getattr(args, "date_from", None):
        from .settings import IndexSettings

        kw["settings"] = IndexSettings(date_from=args.date_from)
    if kw["vector_kind"] is not None:
        _check_vector_kind(kw["vector_kind"])
    if getattr(args, "ray", False) or getattr(args, "ray_address", None):
        from .settings import IndexSettings

        if args.ray_workers < 1:
            raise UsageError(f"--ray-workers must be at least 1, not {args.ray_workers}")
        kw["settings"] = IndexSettings(executor="ray", ray_address=args.ray_address, ray_workers=args.ray_workers)
    if args.corpus is None and kw.get("backend", "local") != "local":
        # serve-only: the index the engine holds, read-only (nothing to build it from)
        if force:
            raise UsageError("--force rebuilds from a corpus folder: give --corpus FOLDER")
        return load(None, args.index, **kw)
    if not force:
        try:
            with warnings.catch_warnings():
                # listing the folder for the staleness check repeats warnings given when it was built
                warnings.simplefilter("ignore", CorpusWarning)
                return load(args.corpus, args.index, rebuild="never", **kw)
        except IndexUnavailableError as exc:
            if not build:
                raise IndexUnavailableError(
                    f"{exc}. Nothing was built: build it with `ammtc-qa index{_index_flags(args)}`, or add "
                    "--build") from exc
            _say(f"{exc}; building it now")
    else:
        _say("rebuilding the index (--force)")
    return load(args.corpus, args.index, rebuild="always" if force else "auto", progress=True, strict=strict, **kw)


def _check_vector_kind(kind: str) -> None:
    """Refuse a FAISS factory string FAISS cannot parse before anything is read or embedded."""
    import faiss

    from .backends.local.vectors import resolve_kind

    resolved = resolve_kind(kind, 1_000_000)
    try:
        faiss.index_factory(64, resolved, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        raise UsageError(f"--vector-kind {kind}: not a FAISS index factory string ({VECTOR_KIND_HELP})") from exc


def _backend(args: argparse.Namespace) -> dict[str, object]:
    """``backend=`` and ``backend_options=`` of ``load`` from the --backend/--qdrant-* flags."""
    import os

    options = {k: v for k, v in (("url", args.qdrant_url), ("path", args.qdrant_path),
                                 ("collection", args.qdrant_collection),
                                 ("api_key", os.environ.get("QDRANT_API_KEY") if args.qdrant_url else None),
                                 ("engine", "edge" if args.qdrant_edge else None),
                                 ("shards", args.qdrant_shards), ("replicas", args.qdrant_replicas)) if v}
    backend = "qdrant" if options else args.backend
    return {"backend": backend, "backend_options": options} if backend != "local" else {}


# ----------------------------------------------------------------------------- ask and shell


def _render(answer: Any, *, as_json: bool, explain: bool) -> str:
    if as_json:
        return json.dumps(answer.to_json(), ensure_ascii=False, indent=1)
    return answer.explain() if explain else str(answer)


def _questions(stream: TextIO) -> Iterator[str]:
    """Questions of a file: one a line; blank lines and lines starting with ``#`` are skipped."""
    for line in stream:
        text = line.strip()
        if text and not text.startswith("#"):
            yield text


@contextmanager
def _question_source(name: str) -> Iterator[TextIO]:
    if name == "-":
        yield sys.stdin
        return
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"question file {name} does not exist")
    with path.open(encoding="utf-8-sig") as fh:
        yield fh


def ask_many(qa: Any, questions: Iterator[str], *, k: int, explain: bool,
             emit: Callable[[dict[str, Any]], None], **options: Any) -> int:
    """Answer each question (one JSON object each); a bad question gets an ``error`` object and
    the others still run. ``options`` go to ``QA.ask`` (``filters``, ``as_of``). Returns how
    many failed."""
    failed = 0
    for number, question in enumerate(questions, 1):
        try:
            record = qa.ask(question, k=k, explain=explain, **options).to_json()
        except AmmtcQaError as exc:
            failed += 1
            record = {"question": question, "line": number, "error": str(exc)}
        emit(record)
    return failed


def cmd_ask(args: argparse.Namespace) -> int:
    if (args.question is None) == (args.file is None):
        raise UsageError("give either a QUESTION or --file FILE (one question a line; - reads stdin)")
    if args.k < 1:
        raise UsageError(f"--k must be at least 1, not {args.k}")
    options = _ask_options(args)
    qa = _open(args, build=args.build)
    if args.file is not None:
        with _question_source(args.file) as stream:
            failed = ask_many(qa, _questions(stream), k=args.k, explain=args.explain,
                              emit=lambda record: _print_json(record, lines=True), **options)
        return 2 if failed else 0
    answer = qa.ask(args.question, k=args.k, explain=args.explain, **options)
    print(_render(answer, as_json=args.json, explain=args.explain))
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from .shell import run_shell

    options = _ask_options(args)
    qa = _open(args, build=args.build)
    return run_shell(qa, k=args.k, explain=args.explain, as_json=args.json, **options)


# ----------------------------------------------------------------------------- building and changing


def _skip_line(name: str, reason: str) -> str:
    return f"skipped {reason}" if reason.startswith(name) else f"skipped {name}: {reason}"


def cmd_index(args: argparse.Namespace) -> int:
    if args.corpus is None and _backend(args):
        raise UsageError("building into Qdrant reads a corpus folder: give --corpus FOLDER (without it, "
                         "ask/info/shell serve the collection read-only)")
    qa = _open(args, build=True, strict=args.strict, force=args.force)
    info = qa.info()
    print(f"index {info['index_dir']} ({info['version']}): {info['documents']} articles, {info['chunks']} "
          f"passages, model {info['model']['name']}")
    for name, reason in info["skipped"]:
        print(_skip_line(name, reason), file=sys.stderr)
    return 0


def _changing(args: argparse.Namespace) -> Any:
    if not args.corpus:
        args.parser.error(f"{args.command} changes a corpus folder: give --corpus FOLDER "
                          "(the shipped corpus is never changed)")
    qa = _open(args, build=True)
    _say(f"changing {qa.corpus_dir}; the index {qa.index_dir} is refreshed (only new text is embedded)")
    return qa


def _print_report(report: Any, as_json: bool, notes: Sequence[str] = ()) -> None:
    if as_json:
        _print_json({**vars(report), "notes": list(notes)})
        return
    print(report)
    for note in notes:
        print(f"  {note}")


def cmd_add(args: argparse.Namespace) -> int:
    qa = _changing(args)
    report = qa.add(args.paths, strict=args.strict)
    _print_report(report, args.json)
    if report.skipped and not report.added and not report.duplicates:
        reasons = "; ".join(r if r.startswith(n) else f"{n}: {r}" for n, r in report.skipped)
        raise InvalidInputError(f"nothing added: {reasons}")
    return 0


def _keep_copy(corpus: Path, source: str, doc_id: str) -> str:
    """Keep the article's file (or its line of a ``.jsonl``) under ``KEPT_FOLDER``; where it went."""
    from .input.ingest import record_id, split_source

    rel, line = split_source(source)
    target = corpus / KEPT_FOLDER / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if line is None:
        shutil.copy2(corpus / rel, target)
        return f"kept {rel} as {target}"
    for raw in (corpus / rel).read_bytes().splitlines(keepends=True):
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict) and record_id(record) == doc_id:
            with target.open("ab") as fh:
                fh.write(raw if raw.endswith(b"\n") else raw + b"\n")
            return f"kept its line of {rel} in {target}"
    raise UnknownDocumentError(f"{rel}: no line with doc id {doc_id} (the file changed since it was indexed)")


def cmd_remove(args: argparse.Namespace) -> int:
    from .input.ingest import split_source

    qa = _changing(args)
    known = {}
    for doc_id in dict.fromkeys(args.doc_ids):  # only the named articles are read, not the archive
        with suppress(KeyError):
            known[doc_id] = qa.document(doc_id)
    unknown = [d for d in args.doc_ids if d not in known]
    total = len(qa.backend.doc_meta())  # a count: the local store reads no metadata for it
    if unknown:
        raise UnknownDocumentError(
            f"no article with id {', '.join(unknown)} in the index at {qa.index_dir} ({total} articles; "
            f"`ammtc-qa info{_index_flags(args)}` lists them); nothing removed")
    if len(known) >= total:
        raise InvalidInputError(f"removing {', '.join(args.doc_ids)} would leave no article in the index at "
                                f"{qa.index_dir}; an index needs at least one (the only document); nothing removed")
    for doc_id in args.doc_ids:
        source = known[doc_id].source
        rel, line = split_source(source)
        notes = [_keep_copy(qa.corpus_dir, source, doc_id)] if args.keep_file else []
        what = f"deleted {qa.corpus_dir / rel}" if line is None else f"deleted line {line} of {qa.corpus_dir / rel}"
        report = qa.remove(doc_id)
        notes.insert(0, what + ("" if args.keep_file else " (--keep-file keeps a copy)"))
        _print_report(report, args.json, notes)
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    qa = _changing(args)
    report = qa.update(args.path, strict=args.strict)
    _print_report(report, args.json)
    if report.skipped:
        raise InvalidInputError(f"not updated: {'; '.join(r for _, r in report.skipped)}")
    return 0


# ----------------------------------------------------------------------------- info and eval


def articles(qa: Any) -> Iterator[dict[str, Any]]:
    """Per article: what extraction found and how many passages it gave (``info --json``), one at a
    time as the store's metadata is read (a million articles take about half a minute: the
    listing streams rather than waiting for the last one)."""
    backend = qa.backend
    for doc in backend.doc_meta():  # metadata only: the texts stay on disk
        yield {"doc_id": doc.doc_id, "source": doc.source, "title": doc.title,
               "date": doc.date.isoformat() if doc.date else None, "publisher": doc.publisher,
               "language": doc.language, "main_meeting": doc.main_meeting, "mentions": list(doc.meetings),
               "passages": len(backend.passage_ids(doc.doc_id)), "citation": doc.citation}


def _print_json_listing(head: dict[str, Any], key: str, items: Iterable[object]) -> None:
    """``head`` with ``key`` holding ``items`` as one JSON object, written as the items come."""
    text = json.dumps(head, ensure_ascii=False, indent=1)
    out = sys.stdout
    out.write(f"{text[:-2]},\n {json.dumps(key)}: [" if head else f"{{\n {json.dumps(key)}: [")
    out.flush()
    for n, item in enumerate(items):
        out.write(("," if n else "") + "\n  " + json.dumps(item, ensure_ascii=False))
    out.write("\n ]\n}\n")


def cmd_info(args: argparse.Namespace) -> int:
    qa = _open(args, build=args.build)
    if args.cleaning:
        print(qa.cleaning_report(args.doc))
        return 0
    if args.doc:
        raise UsageError("--doc goes with --cleaning")
    info = qa.info()
    if args.json:
        _print_json_listing(info, "articles", articles(qa))
        return 0
    for key in ("corpus_dir", "index_dir", "version", "built_at", "documents", "chunks", "sentences", "vector_kind"):
        print(f"{key:12s} {info.get(key, '-')}")
    print(f"{'model':12s} {info['model']['name']} (dim {info['model']['dim']})")
    print(f"{'meetings':12s} {', '.join(info['meetings'])}", flush=True)
    for a in articles(qa):
        print(f"  {a['doc_id']}: {a['citation']} | main {a['main_meeting'] or '-'} | mentions "
              f"{', '.join(a['mentions']) or '-'} | {a['passages']} passages | language {a['language'] or '?'}")
    for name, reason in info["skipped"]:
        print(f"  {_skip_line(name, reason)}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.beir:
        from .evaluation.beir import evaluate_beir

        metrics = evaluate_beir(args.beir, index_dir=args.index, k=args.k or 100, max_queries=args.max_queries,
                                model=args.model)
        print(json.dumps(metrics) if args.json else "\n".join(f"{k:10s} {v:.4f}" for k, v in metrics.items()))
        return 0
    from .evaluation.questions import evaluate, load_questions

    file = args.file
    if file is None:
        if args.corpus:
            raise UsageError("give a question FILE for your corpus (format: README, 'Question files')")
        file = str(EXAMPLE_QUESTIONS)
        _say(f"scoring the example questions shipped with ammtc-qa ({file})")
    elif not Path(file).is_file():
        raise UsageError(f"question file {file} does not exist")
    questions = load_questions(file)
    qa = _open(args, build=args.build)
    report = evaluate(qa, questions, k=args.k or 5, deep=args.deep, progress=not args.json)
    print(report.to_json() if args.json else report.table())
    if args.show_misses and not args.json:
        for miss in [*report.misses, *report.not_first]:
            print(miss)
    return 0


# ----------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """argparse with a suggestion for a misspelt command or option."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            options = re.findall(r"'([^']+)'", choice.group(2)) or [c.strip() for c in choice.group(2).split(",")]
            close = difflib.get_close_matches(choice.group(1), options, n=1)
            if close:
                message += f"; did you mean {close[0]!s}?"
        super().error(message)

    def unrecognized(self, extras: list[str]) -> None:
        """Report unknown arguments with this (sub)command's usage and the closest option."""
        options = [o for a in self._actions for o in a.option_strings]
        hints = []
        for extra in extras:
            close = difflib.get_close_matches(extra.split("=", 1)[0], options, n=1, cutoff=0.5)
            if extra.startswith("-") and close:
                hints.append(f"{extra} (did you mean {close[0]}?)")
            else:
                hints.append(extra)
        self.error(f"unrecognized arguments: {' '.join(hints)}")


def _common(p: argparse.ArgumentParser, *, read_only: bool) -> None:
    p.add_argument("--corpus", metavar="FOLDER",
                   help="corpus folder (default: the shipped corpus; with --qdrant-*, none: the collection is "
                        "served read-only)")
    p.add_argument("--index", metavar="FOLDER",
                   help="index folder (default: the shipped index; for --corpus, a folder in the user cache); "
                        "with Qdrant, only a local work folder (default: in the user cache, per collection)")
    p.add_argument("--backend", default="local", help="where the index lives: local (default) or qdrant")
    p.add_argument("--qdrant-url", metavar="URL",
                   help="Qdrant server URL (api key from $QDRANT_API_KEY); implies --backend qdrant")
    p.add_argument("--qdrant-path", metavar="FOLDER",
                   help="folder of an in-process Qdrant (local mode); implies --backend qdrant")
    p.add_argument("--qdrant-edge", action="store_true", help="with --qdrant-path: the Qdrant Edge engine")
    p.add_argument("--qdrant-collection", metavar="NAME", help="Qdrant collection name (default ammtc_qa)")
    p.add_argument("--qdrant-shards", type=int, metavar="N",
                   help="shards of the collection a first build creates on a cluster (default: the server's, 1)")
    p.add_argument("--qdrant-replicas", type=int, metavar="N",
                   help="replication factor of the collection a first build creates on a cluster")
    p.add_argument("--model", metavar="NAME_OR_FOLDER",
                   help="sentence-transformers model: the default all-MiniLM-L6-v2 or a local folder")
    p.add_argument("--date-from", choices=("none", "mtime"), default=None,
                   help="date of an article that neither metadata.json nor a dateline dates: none (default; "
                        "cited n.d.) or mtime (the file's modification day). Part of the index settings, like "
                        "--model: give it to every command on that index")
    if read_only:
        p.add_argument("--build", action="store_true",
                       help="build the index if it is missing, stale or corrupt (default: say so and stop)")
    p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="log what the library does")
    p.set_defaults(parser=p)


def _answer_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("-k", "--k", type=int, default=5, metavar="N", help="passages per answer (default 5)")
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON")
    p.add_argument("--explain", action="store_true",
                   help="also show why each passage ranked where it did (ranks, scores, meeting decision)")
    g = p.add_argument_group("filters", "which articles may answer (applied inside the store, before ranking); "
                                        "repeat a flag for 'any of'")
    g.add_argument("--since", metavar="YYYY-MM-DD", help="only articles dated on or after this day")
    g.add_argument("--until", metavar="YYYY-MM-DD", help="only articles dated on or before this day")
    g.add_argument("--publisher", action="append", metavar="NAME", help="only articles of this publisher")
    g.add_argument("--meeting", action="append", metavar="MEETING",
                   help="only articles mentioning this meeting (any form: 'SOMTC 20', 'somtc-20')")
    g.add_argument("--language", action="append", metavar="CODE", help="only articles in this language")
    g.add_argument("--doc-id", action="append", metavar="ID", help="only this article")
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="reference date for 'latest', 'last year's' ... in questions (default today)")


def _ask_options(args: argparse.Namespace) -> dict[str, Any]:
    """``filters`` and ``as_of`` for ``QA.ask`` from the flags, checked before the index is opened."""
    from .backends.filters import Filter

    given = {name: getattr(args, attr) for name, attr in
             (("since", "since"), ("until", "until"), ("publisher", "publisher"), ("meeting", "meeting"),
              ("language", "language"), ("doc_id", "doc_id")) if getattr(args, attr, None) is not None}
    try:
        filters = Filter.of(given) if given else None
    except AmmtcQaError as exc:
        raise UsageError(str(exc).replace("filter 'since'", "--since").replace("filter 'until'", "--until")) \
            from None
    as_of = getattr(args, "as_of", None)
    if as_of is not None:
        import datetime as dt

        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            raise UsageError(f"--as-of: {as_of!r} is not an ISO date (YYYY-MM-DD)") from None
    return {"filters": filters, "as_of": as_of}


def build_parser() -> _Parser:
    parser = _Parser(prog="ammtc-qa", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ammtc-qa {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the library does")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("ask", help="answer a question (or a file of questions) with cited passages",
                       description="Answer a question with cited passages. --file answers many questions in "
                                   "one process and prints one JSON object per line.")
    p.add_argument("question", nargs="?", help="the question (quote it)")
    p.add_argument("--file", metavar="FILE",
                   help="questions, one a line ('#' comments, blank lines skipped); - reads stdin; JSON Lines out")
    _answer_options(p, "the answer")
    p.add_argument("--reranker", metavar="NAME_OR_FOLDER",
                   help="'default' (the shipped sentence reranker, opt-in) or a local CrossEncoder folder")
    _common(p, read_only=True)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("shell", help="load once, then answer questions typed or piped in, one a line",
                       description="Load the index once, then answer each line read as a question. On a "
                                   "terminal: a prompt with history (:help lists the commands).")
    _answer_options(p, "each answer (one line each)")
    p.add_argument("--reranker", metavar="NAME_OR_FOLDER",
                   help="'default' (the shipped sentence reranker, opt-in) or a local CrossEncoder folder")
    _common(p, read_only=True)
    p.set_defaults(func=cmd_shell)

    p = sub.add_parser("index", help="build (or refresh) the index of a corpus folder")
    _common(p, read_only=False)
    p.add_argument("--force", action="store_true", help="rebuild even if the index is current")
    p.add_argument("--strict", action="store_true", help="fail, naming every bad corpus file, instead of skipping")
    p.add_argument("--vector-kind", metavar="KIND", help=VECTOR_KIND_HELP)
    p.add_argument("--ray", action="store_true",
                   help='embed on a Ray Data actor pool (pip install "ammtc-qa[ray]"); default: a local Ray')
    p.add_argument("--ray-address", metavar="ADDR",
                   help="with --ray: the Ray cluster (auto: the one `ray start --head` started here; "
                        "ray://HOST:10001); implies --ray")
    p.add_argument("--ray-workers", type=int, default=2, metavar="N",
                   help="with --ray: actors in the pool, one CPU and one model each (default 2)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("add", help="add articles (files, folders, .jsonl) to a corpus and refresh its index")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".txt/.md/.html/.jsonl files or folders")
    p.add_argument("--strict", action="store_true", help="fail (and change nothing) on any bad file")
    _change_options(p)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("update", help="replace an article of a corpus by a new version of its file")
    p.add_argument("path", metavar="PATH",
                   help="the new version: a file of the corpus folder edited in place, or a file named like one "
                        "in it (in any sub-folder)")
    p.add_argument("--strict", action="store_true", help="fail if the file cannot be used")
    _change_options(p)
    p.set_defaults(func=cmd_update)

    p = sub.add_parser("remove", help="remove articles (by doc id) from a corpus and refresh its index",
                       description="Remove articles from a corpus: their files are DELETED from the corpus "
                                   f"folder (or their line of a .jsonl file); --keep-file moves them to "
                                   f"{KEPT_FOLDER}/ inside it instead, which is never indexed.")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="doc ids as listed by `ammtc-qa info`")
    p.add_argument("--keep-file", action="store_true",
                   help=f"keep a copy of each removed article under {KEPT_FOLDER}/ in the corpus folder")
    _change_options(p)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("info", help="what is indexed: articles, passages, model, meetings, index age")
    _common(p, read_only=True)
    p.add_argument("--cleaning", action="store_true", help="show what cleaning removed from each article")
    p.add_argument("--doc", metavar="DOC_ID", help="with --cleaning: only this article")
    p.add_argument("--json", action="store_true", help="print everything, with one object per article, as JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("eval", help="score a question file (default: the shipped examples), or a BEIR folder",
                       description="Score answers on a question file (JSON Lines; see the README, 'Question "
                                   "files'). Without FILE, the example questions shipped for the shipped corpus.")
    p.add_argument("file", nargs="?", metavar="FILE", help="question file (.jsonl)")
    p.add_argument("--reranker", metavar="NAME_OR_FOLDER",
                   help="'default' (the shipped sentence reranker, opt-in) or a local CrossEncoder folder")
    p.add_argument("--beir", metavar="FOLDER", help="BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    p.add_argument("--k", type=int, default=None, metavar="N", help="cut-off (default 5; 100 with --beir)")
    p.add_argument("--deep", type=int, default=10, metavar="N", help="passages scored for MRR and cover (default 10)")
    p.add_argument("--max-queries", type=int, default=None, metavar="N", help="with --beir: only the first N queries")
    p.add_argument("--json", action="store_true", help="print metrics and misses as JSON")
    p.add_argument("--show-misses", action="store_true",
                   help="list every question not answered at rank 1, with what came back")
    _common(p, read_only=True)
    p.set_defaults(func=cmd_eval)
    return parser


def _change_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the commands that change a corpus (add, update, remove)."""
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--vector-kind", metavar="KIND", help=VECTOR_KIND_HELP)
    _common(p, read_only=False)


def _parse(parser: _Parser, argv: Sequence[str] | None) -> argparse.Namespace:
    args, extras = parser.parse_known_args(argv)
    if extras:
        getattr(args, "parser", parser).unrecognized(extras)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(build_parser(), argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if args.verbose:
        logging.getLogger("ammtc_qa").setLevel(logging.INFO)
    previous, warnings.showwarning = warnings.showwarning, _show_warning
    try:
        return int(args.func(args))
    except AmmtcQaError as exc:
        print(f"ammtc-qa: error: {_cli_words(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `ammtc-qa info | head`: the reader has gone, nothing is wrong
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - flushed at exit, never closed by us
        return 0
    except OSError as exc:
        if exc.filename is None:  # not about a file the user named: a bug or the environment; keep the trace
            raise
        print(f"ammtc-qa: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ammtc-qa: interrupted", file=sys.stderr)
        return 130
    finally:
        while _OPENED:
            _OPENED.pop().close()
        warnings.showwarning = previous


if __name__ == "__main__":
    raise SystemExit(main())
