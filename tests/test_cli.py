"""The ``ammtc-qa`` command line.

Most tests call ``cli.main`` in-process (the session's loaded model is reused, so they take
milliseconds); those about the entry point itself (the console script, ``python -m``, batch and
shell input, tracebacks of real bugs) run it in a subprocess, as few as possible because each
pays the cold start of loading torch and the model.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ammtc_qa.cli import EXAMPLE_QUESTIONS, KEPT_FOLDER, build_parser, main

QUESTION = "What did Vietnam propose at AMMTC 19?"
SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture(autouse=True)
def _shipped_loaded(shipped_qa) -> None:  # noqa: ANN001
    """Load the shipped index (and model) once through the session fixture, not in the first CLI test."""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _env(tmp_path: Path) -> dict[str, str]:
    """The environment of a subprocess: this source tree first, a private cache folder."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONIOENCODING": "utf-8",
            "PYTHONPATH": SRC + (os.pathsep + path if path else "")}


def _spawn(args: list[str], tmp_path: Path, stdin: str | None = None, timeout: int = 300
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=_env(tmp_path), check=False)


# ----------------------------------------------------------------------------- ask


def test_ask_prints_numbered_passages_with_citations(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "ask", QUESTION, "--k", "3")
    assert code == 0, err
    assert out.startswith(f"Q: {QUESTION}")
    numbered = re.findall(r'^\[(\d+)\] (.+?, ".+?", \d{4}-\d{2}-\d{2})  \(score', out, flags=re.M)
    assert [n for n, _ in numbered] == ["1", "2", "3"]
    assert numbered[0][1] == 'MPS, "ASEAN strengthens cooperation in combating transnational crime", 2025-09-11'
    assert "proposed four approaches" in " ".join(out.split())


def test_ask_json_is_valid_json_with_passages(capsys: pytest.CaptureFixture[str], shipped_qa) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "ask", QUESTION, "-k", "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["question"] == QUESTION and data["meetings"] == ["AMMTC 19"] and data["notice"] is None
    assert len(data["passages"]) == 2
    for p in data["passages"]:
        assert shipped_qa.document(p["doc_id"]).text[p["start"]:p["end"]] == p["text"]
        assert p["citation"].startswith(p["publisher"]) and p["date"] in p["citation"]
        assert "explanation" not in p


def test_explain_shows_citation_text_and_one_based_ranks(capsys: pytest.CaptureFixture[str], shipped_qa  # noqa: ANN001
                                                         ) -> None:
    code, out, _ = run(capsys, "ask", QUESTION, "--k", "2", "--explain")
    assert code == 0
    blocks = re.split(r"\n(?=\[\d\] )", out)[1:]
    assert len(blocks) == 2
    answer = shipped_qa.ask(QUESTION, k=2, explain=True)
    for block, p in zip(blocks, answer.passages, strict=True):
        assert block.startswith(f"[{answer.passages.index(p) + 1}] {p.citation}\n")
        assert f"doc {p.doc_id}, chars {p.start}-{p.end}" in block
        text = " ".join(line.removeprefix("    | ") for line in block.splitlines() if line.startswith("    | "))
        assert " ".join(p.text.split())[:60] in text.replace("**", "")
        ranks = re.search(r"rank among candidates: dense (\d+|-)[^,]*, BM25 (\d+|-)", block)
        assert ranks, block
        for rank in ranks.groups():
            assert rank == "-" or int(rank) >= 1
        assert "-1.0" not in block
        assert all(len(line) <= 100 for line in block.splitlines())
    code, out, _ = run(capsys, "ask", QUESTION, "--k", "2", "--explain", "--json")
    explained = [p["explanation"] for p in json.loads(out)["passages"]]
    assert all(e["dense_rank"] is None or e["dense_rank"] >= 1 for e in explained)
    assert all({"fused", "bm25", "meeting", "highlight_scores"} <= set(e) for e in explained)


def test_ask_unknown_meeting_prints_the_notice(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "What happened at AMMTC 30?")
    assert code == 0
    assert "Note:" in out and "AMMTC 30" in out and "[1]" not in out


# ----------------------------------------------------------------------------- info


def test_filter_flags_restrict_the_answer(capsys: pytest.CaptureFixture[str], shipped_qa) -> None:  # noqa: ANN001
    question = "What did Vietnam propose?"
    code, out, err = run(capsys, "ask", question, "--json", "--since", "2024-01-01", "--until", "2024-12-31")
    assert code == 0, err
    dated = json.loads(out)
    assert dated["passages"] and all(p["date"].startswith("2024") for p in dated["passages"])
    assert "without a date" in dated["notice"]
    code, out, err = run(capsys, "ask", question, "--json", "--publisher", "vgp news", "--publisher", "MPS")
    assert code == 0, err
    assert {p["publisher"] for p in json.loads(out)["passages"]} <= {"VGP News", "MPS"}
    code, out, err = run(capsys, "ask", question, "--json", "--meeting", "somtc-20")
    assert code == 0, err
    docs = {p["doc_id"] for p in json.loads(out)["passages"]}
    assert docs and all("SOMTC 20" in shipped_qa.document(d).meetings.mentioned for d in docs)


def test_as_of_moves_the_latest_meeting(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "ask", "What did Vietnam propose at the latest AMMTC?", "--json",
                         "--as-of", "2020-01-01")
    assert code == 0, err
    answer = json.loads(out)
    assert "AMMTC 13" in answer["notice"] and {p["meeting"] for p in answer["passages"]} == {"AMMTC 13"}


def test_info_lists_documents_and_meetings(capsys: pytest.CaptureFixture[str], shipped_qa) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "info")
    assert code == 0, err
    assert re.search(r"^documents\s+5$", out, flags=re.M)
    meetings = re.search(r"^meetings\s+(.+)$", out, flags=re.M)
    assert meetings and "AMMTC 19" in meetings.group(1) and "AMMTC 13" in meetings.group(1)
    for doc in shipped_qa.documents():
        assert f"  {doc.doc_id}: {doc.citation}" in out
    assert re.search(r"^model\s+all-MiniLM-L6-v2 \(dim 384\)$", out, flags=re.M)


def test_info_json_lists_every_article(capsys: pytest.CaptureFixture[str], shipped_qa) -> None:  # noqa: ANN001
    code, out, _ = run(capsys, "info", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["documents"] == 5 and "AMMTC 19" in info["meetings"]
    listed = {a["doc_id"]: a for a in info["articles"]}
    assert sum(a["passages"] for a in listed.values()) == info["chunks"]
    for doc in shipped_qa.documents():
        a = listed[doc.doc_id]
        assert (a["title"], a["publisher"], a["language"]) == (doc.title, doc.publisher, doc.language)
        assert a["date"] == (doc.date.isoformat() if doc.date else None)
        assert a["main_meeting"] == doc.meetings.main and a["mentions"] == list(doc.meetings.mentioned)
        assert a["passages"] >= 1


@pytest.mark.parametrize("as_json", [False, True])
def test_info_writes_its_summary_before_reading_the_article_list(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, as_json: bool) -> None:
    """A million articles take half a minute to list: the summary, and each article as it is read,
    are out before the next one is read."""
    from ammtc_qa.backends.local.backend import LocalBackend

    seen: list[str] = []
    listing = LocalBackend.doc_meta

    def watched(self: LocalBackend):  # noqa: ANN202
        for meta in listing(self):
            seen.append(sys.stdout.getvalue())  # type: ignore[attr-defined]  # capsys's buffer
            yield meta

    monkeypatch.setattr(LocalBackend, "doc_meta", watched)
    code, out, err = run(capsys, "info", *(["--json"] if as_json else []))
    assert code == 0, err
    assert len(seen) == 5
    assert ('"documents": 5' if as_json else "documents    5") in seen[0]
    ids = re.findall(r'"doc_id": "([^"]+)"' if as_json else r"^  (\S+): ", out, flags=re.M)
    assert len(ids) == 5
    for n in range(1, 5):  # article n-1 was written before article n was read
        assert ids[n - 1] in seen[n] and ids[n] not in seen[n]
    if as_json:
        assert [a["doc_id"] for a in json.loads(out)["articles"]] == ids


def test_info_cleaning_lists_removals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info", "--cleaning")
    assert code == 0
    assert re.search(r"^  - banner\s+'Ministry of Public Security Portal is under construction'$", out, flags=re.M)
    assert re.search(r"^000_a521e67d7233a44a \(000_a521e67d7233a44a\.txt\): \d+ removed$", out, flags=re.M)
    code, one, _ = run(capsys, "info", "--cleaning", "--doc", "000_a521e67d7233a44a")
    assert code == 0 and "banner" in one and "001_78a871285ef2e8f4" not in one


# ----------------------------------------------------------------------------- building


def test_read_only_commands_never_build_unasked(capsys: pytest.CaptureFixture[str], make_corpus,  # noqa: ANN001
                                                tmp_path: Path) -> None:
    corpus = make_corpus()
    cache = Path(os.environ["XDG_CACHE_HOME"])
    before = sorted(cache.rglob("*")) if cache.exists() else []
    for argv in (["info", "--corpus", str(corpus)], ["ask", "pangolin", "--corpus", str(corpus)],
                 ["eval", str(EXAMPLE_QUESTIONS), "--corpus", str(corpus)]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == ""
        assert "Nothing was built" in err and "--build" in err and f"ammtc-qa index --corpus {corpus}" in err
    assert (sorted(cache.rglob("*")) if cache.exists() else []) == before
    missing = tmp_path / "no" / "such" / "dir"
    code, _, err = run(capsys, "ask", "pangolin", "--index", str(missing))
    assert code == 2 and f"no index in {missing}" in err and not missing.exists()

    index = tmp_path / "index"
    code, out, err = run(capsys, "info", "--corpus", str(corpus), "--index", str(index), "--build")
    assert code == 0, err
    assert err.index("building it now") < err.index("Reading and cleaning") < err.index("Chunking") \
        < err.index("Embedding")
    assert re.search(r"^documents\s+2$", out, flags=re.M)
    code, _, err = run(capsys, "info", "--corpus", str(corpus), "--index", str(index))
    assert code == 0 and err == ""  # current now: nothing said, nothing built


def test_index_builds_and_warns_in_one_line(capsys: pytest.CaptureFixture[str], make_corpus,  # noqa: ANN001
                                            tmp_path: Path) -> None:
    corpus = make_corpus({"empty.txt": b"", "bad.jsonl": b'{"text": ""}\n'})
    make_corpus()
    index = tmp_path / "built-index"
    code, out, err = run(capsys, "index", "--corpus", str(corpus), "--index", str(index))
    assert code == 0, err
    assert re.search(rf"^index {re.escape(str(index))} \(v-[^)]+\): 2 articles, \d+ passages, model all-MiniLM-L6-v2$",
                     out, flags=re.M)
    assert "ammtc-qa: warning: empty.txt: empty file; skipped\n" in err
    assert "warnings.warn" not in err and "CorpusWarning" not in err  # no raw Python warning format
    assert "skipped empty.txt: empty file\n" in err  # the summary names the file once
    code, out, _ = run(capsys, "ask", "pangolin scales", "--k", "1", "--corpus", str(corpus), "--index", str(index))
    assert code == 0 and "Customs officers stop pangolin scale shipment" in out
    code, _, err = run(capsys, "info", "--corpus", str(corpus), "--index", str(index))
    assert code == 0 and "warning" not in err  # said once, when it was built

    other = tmp_path / "other-index"
    code, _, err = run(capsys, "index", "--vector-kind", "Bogus", "--corpus", str(corpus), "--index", str(other))
    assert code == 2 and "--vector-kind Bogus: not a FAISS index factory string" in err and not other.exists()

    code, out, err = run(capsys, "index", "--strict", "--force", "--corpus", str(corpus), "--index", str(index))
    assert code == 2 and out == ""
    message = err.split("ammtc-qa: error: ", 1)[1]
    assert "empty.txt: empty file" in message and "bad.jsonl, line 1: field 'text' is missing or empty" in message
    assert "skipped" not in message and "nothing is indexed" in message


# ----------------------------------------------------------------------------- changing a corpus


def test_add_remove_update_say_what_they_do(capsys: pytest.CaptureFixture[str], make_corpus,  # noqa: ANN001
                                            tmp_path: Path, fast_encode: None) -> None:
    from conftest import EXTRA_ARTICLE

    corpus = make_corpus({"reports/2024/scam.txt": EXTRA_ARTICLE, "pangolin.txt": "Pangolin scales seized.\n"})
    index = tmp_path / "index"
    where = ["--corpus", str(corpus), "--index", str(index)]
    sheet = tmp_path / "report.xlsx"
    sheet.write_bytes(b"PK\x03\x04")
    code, _, err = run(capsys, "add", str(sheet), *where)
    assert code == 2 and "ammtc-qa: error: nothing added:" in err and "not a corpus file" in err
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    code, _, err = run(capsys, "add", str(pdf), *where)
    assert code == 2 and "report.pdf: not a readable PDF" in err

    new_version = tmp_path / "incoming" / "scam.txt"
    new_version.parent.mkdir()
    new_version.write_text(EXTRA_ARTICLE.replace("85 workers", "97 workers"), encoding="utf-8")
    code, out, err = run(capsys, "update", str(new_version), *where)
    assert code == 0, err
    assert "updated 1" in out and "  updated reports/2024/scam" in out and "added 0" in out
    assert "97 workers" in (corpus / "reports/2024/scam.txt").read_text(encoding="utf-8")

    from ammtc_qa.backends.local.backend import LocalBackend

    def no_archive(self: LocalBackend) -> None:
        raise AssertionError("remove read every article of the archive")

    with pytest.MonkeyPatch.context() as patch:  # removing reads the named articles, not all of them
        patch.setattr(LocalBackend, "documents", no_archive)
        code, out, err = run(capsys, "remove", "pangolin", *where)
    assert code == 0, err
    assert f"deleted {corpus / 'pangolin.txt'} (--keep-file keeps a copy)" in out
    assert not (corpus / "pangolin.txt").exists()
    code, out, err = run(capsys, "remove", "reports/2024/scam", "--keep-file", "--json", *where)
    assert code == 2 and "only document" in err  # an index needs one article: nothing removed
    code, out, err = run(capsys, "remove", "nope", *where)
    assert code == 2 and "no article with id nope" in err and "`ammtc-qa info --corpus" in err
    assert '"' not in err and "qa." not in err and "()" not in err  # command-line words, no Python
    make_corpus({"other.txt": "Customs officers found ivory in a container.\n"})
    code, out, err = run(capsys, "remove", "reports/2024/scam", "--keep-file", "--json", *where)
    assert code == 0, err
    assert json.loads(out)["removed"] == ["reports/2024/scam"]
    kept = corpus / KEPT_FOLDER / "reports/2024/scam.txt"
    assert "97 workers" in kept.read_text(encoding="utf-8") and not (corpus / "reports/2024/scam.txt").exists()
    code, out, _ = run(capsys, "info", "--json", *where)
    assert [a["doc_id"] for a in json.loads(out)["articles"]] == ["other"]  # the kept copy is not indexed


@pytest.mark.parametrize(("argv", "message"), [
    (["ask", ""], "question is empty"),
    (["ask", "   "], "question is empty"),
    (["ask", QUESTION, "--k", "0"], "--k must be at least 1"),
    (["ask", QUESTION, "--file", "x.txt"], "either a QUESTION or --file"),
    (["ask", "--file", "/no/such/questions.txt"], "question file /no/such/questions.txt does not exist"),
    (["info", "--cleaning", "--doc", "no-such-doc"], "no document with id 'no-such-doc' in this index"),
    (["index", "--corpus", "/nonexistent/corpus", "--index", "/nonexistent/index"], "does not exist"),
    (["eval", "/no/such/file.jsonl"], "does not exist"),
    (["ask", "x", "--since", "2024-13-01"], "--since: '2024-13-01' is not an ISO date"),
    (["ask", "x", "--until", "soon"], "--until: 'soon' is not an ISO date"),
    (["ask", "x", "--as-of", "01/02/2025"], "--as-of: '01/02/2025' is not an ISO date"),
])
def test_errors_exit_2_with_a_message_on_stderr(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("ammtc-qa: error:") and message in err, err
    assert "Traceback" not in err and not err.startswith('ammtc-qa: error: "')


# ----------------------------------------------------------------------------- eval


def test_eval_scores_the_shipped_example_questions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "eval", "--show-misses")
    assert code == 0, err
    assert str(EXAMPLE_QUESTIONS) in err
    questions = [json.loads(line) for line in EXAMPLE_QUESTIONS.read_text(encoding="utf-8").splitlines()]
    assert re.search(rf"^questions\s+{len(questions)}$", out, flags=re.M)
    assert re.search(r"^abstain\(unknown meeting\)\s+1\.000", out, flags=re.M)

    answerable = tmp_path / "answerable.jsonl"
    answerable.write_text("\n".join(json.dumps(q) for q in questions if not q.get("unanswerable")) + "\n",
                          encoding="utf-8")
    code, out, _ = run(capsys, "eval", str(answerable))
    assert code == 0
    assert re.search(r"^abstain\(unknown meeting\)\s+n/a\s+\(no such question in the file\)$", out, flags=re.M)


def test_show_misses_lists_hit1_misses(capsys: pytest.CaptureFixture[str], shipped_qa, tmp_path: Path) -> None:  # noqa: ANN001
    answer = shipped_qa.ask(QUESTION, k=5)
    second = " ".join(answer.passages[1].text.split()[:8])  # evidence only in the passage ranked 2nd
    assert second not in " ".join(answer.passages[0].text.split())
    file = tmp_path / "q.jsonl"
    file.write_text(json.dumps({"id": "late", "q": QUESTION, "groups": [[second]]}) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", str(file), "--show-misses")
    assert code == 0
    assert re.search(r"^hit@1\s+0\.000", out, flags=re.M) and re.search(r"^hit@5\s+1\.000", out, flags=re.M)
    assert f"NOT FIRST late (first evidence at rank 2): {QUESTION}" in out


# ----------------------------------------------------------------------------- parser


def test_usage_errors_exit_2_with_the_subcommand_usage(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["ask", QUESTION, "--k", "three"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    assert "usage: ammtc-qa" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["ask", QUESTION, "--jsno"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.startswith("usage: ammtc-qa ask ")
    assert "unrecognized arguments: --jsno (did you mean --json?)" in err
    with pytest.raises(SystemExit):
        main(["aks", QUESTION])
    assert "did you mean ask?" in capsys.readouterr().err


def test_verbose_after_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    try:
        assert main(["info", "--json", "-v"]) == 0
        assert logging.getLogger("ammtc_qa").level == logging.INFO
    finally:
        logging.getLogger("ammtc_qa").setLevel(logging.NOTSET)
    assert json.loads(capsys.readouterr().out)["documents"] == 5


def test_every_argument_has_help_and_the_description_is_plain_text() -> None:
    parser = build_parser()
    assert "``" not in parser.description and ":func:" not in parser.description
    subparsers = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
            assert "``" not in action.help


# ----------------------------------------------------------------------------- the real entry point


def test_module_entry_point_version_and_console_script_errors(tmp_path: Path) -> None:
    done = _spawn([sys.executable, "-m", "ammtc_qa", "--version"], tmp_path)
    assert done.returncode == 0 and re.fullmatch(r"ammtc-qa \d+\.\d+\.\d+\n", done.stdout)
    script = shutil.which("ammtc-qa")
    assert script, "the ammtc-qa console script is not on PATH (is the package installed?)"
    done = _spawn([script, "info", "--index", str(tmp_path / "nothing")], tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and "Nothing was built" in done.stderr
    assert not (tmp_path / "nothing").exists()


def test_a_genuine_bug_keeps_its_traceback(tmp_path: Path) -> None:
    code = ("import ammtc_qa.qa as q\n"
            "def broken(*a, **k):\n    return None + 1\n"
            "q.load = broken\n"
            "from ammtc_qa.cli import main\nraise SystemExit(main(['info']))\n")
    done = _spawn([sys.executable, "-c", code], tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "TypeError: unsupported operand" in done.stderr
    assert "ammtc-qa: error" not in done.stderr


def test_batch_questions_from_stdin_give_json_lines(tmp_path: Path) -> None:
    script = shutil.which("ammtc-qa")
    assert script
    questions = f"# a comment\n{QUESTION}\n\nWhat happened at AMMTC 30?\n\x01\x02\n"
    done = _spawn([script, "ask", "--file", "-", "--k", "2"], tmp_path, stdin=questions)
    assert done.returncode == 2, done.stderr  # one question could not be asked; the others were
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["question"] for r in records] == [QUESTION, "What happened at AMMTC 30?", "\x01\x02"]
    assert len(records[0]["passages"]) == 2 and records[0]["meetings"] == ["AMMTC 19"]
    assert records[1]["passages"] == [] and "AMMTC 30" in records[1]["notice"]
    assert "question is empty" in records[2]["error"]
    assert not (tmp_path / "cache").exists()  # the shipped index was current: nothing built anywhere


def test_shell_reads_piped_questions(tmp_path: Path) -> None:
    done = _spawn([sys.executable, "-m", "ammtc_qa", "shell", "--json", "--k", "1"], tmp_path,
                  stdin=f"{QUESTION}\n:k 2\n\nWho attended the AMMTC 19 plenary session?\n:quit\nnot asked\n")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [len(r["passages"]) for r in records] == [1, 2]
    assert "ammtc-qa>" not in done.stdout  # no prompt when stdin is not a terminal


def test_shell_on_a_terminal_prompts_and_keeps_history(tmp_path: Path) -> None:
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "ammtc_qa", "shell", "--k", "1"], stdin=secondary,
                            stdout=secondary, stderr=secondary, env=_env(tmp_path), close_fds=True)
    os.close(secondary)

    def read_until(token: bytes, timeout: float = 240) -> str:
        buf, end = b"", time.monotonic() + timeout
        while token not in buf and time.monotonic() < end and proc.poll() is None:
            if select.select([primary], [], [], 0.5)[0]:
                try:
                    buf += os.read(primary, 65536)
                except OSError:
                    break
        return buf.decode("utf-8", "replace")

    try:
        assert "5 articles" in read_until(b"ammtc-qa> ")
        os.write(primary, f"{QUESTION}\n".encode())
        answer = read_until(b"ammtc-qa> ")
        assert re.search(r'^\[1\] MPS, "ASEAN strengthens cooperation', answer.replace("\r", ""), flags=re.M)
        os.write(primary, b":quit\n")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
    history = tmp_path / "cache" / "ammtc-qa" / "shell_history"
    assert QUESTION in history.read_text(encoding="utf-8").splitlines()
