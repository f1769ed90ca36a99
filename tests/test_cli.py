"""The ``ammtc-qa`` command line, run in-process (``cli.main``) and once as the installed script."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ammtc_qa.cli import main

QUESTION = "What did Vietnam propose at AMMTC 19?"


@pytest.fixture(autouse=True)
def _shipped_loaded(shipped_qa) -> None:  # noqa: ANN001
    """Load the shipped index (and model) once through the session fixture, not in the first CLI test."""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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


def test_ask_explain_shows_ranks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", QUESTION, "--k", "2", "--explain")
    assert code == 0
    assert out.count("dense_rank=") == 2 and out.count("lexical_rank=") == 2


def test_ask_unknown_meeting_prints_the_notice(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "What happened at AMMTC 30?")
    assert code == 0
    assert "Note:" in out and "AMMTC 30" in out and "[1]" not in out


def test_info_lists_documents_and_meetings(capsys: pytest.CaptureFixture[str], shipped_qa) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "info")
    assert code == 0, err
    assert re.search(r"^documents\s+5$", out, flags=re.M)
    meetings = re.search(r"^meetings\s+(.+)$", out, flags=re.M)
    assert meetings and "AMMTC 19" in meetings.group(1) and "AMMTC 13" in meetings.group(1)
    for doc in shipped_qa.documents():
        assert f"  {doc.doc_id}: {doc.citation}" in out
    assert re.search(r"^model\s+all-MiniLM-L6-v2 \(dim 384\)$", out, flags=re.M)


def test_info_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["documents"] == 5 and "AMMTC 19" in info["meetings"]


def test_info_cleaning_lists_removals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info", "--cleaning")
    assert code == 0
    assert re.search(r"^  - banner\s+'Ministry of Public Security Portal is under construction'$", out, flags=re.M)
    assert re.search(r"^000_a521e67d7233a44a \(000_a521e67d7233a44a\.txt\): \d+ removed$", out, flags=re.M)
    code, one, _ = run(capsys, "info", "--cleaning", "--doc", "000_a521e67d7233a44a")
    assert code == 0 and "banner" in one and "001_78a871285ef2e8f4" not in one


def test_index_builds_a_corpus_folder(capsys: pytest.CaptureFixture[str], make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    corpus = make_corpus({"empty.txt": b""})
    make_corpus()
    index = tmp_path / "built-index"
    with pytest.warns(UserWarning, match="empty.txt"):
        code, out, err = run(capsys, "index", "--corpus", str(corpus), "--index", str(index))
    assert code == 0, err
    assert re.search(rf"^index {re.escape(str(index))} \(v-[^)]+\): 2 articles, \d+ passages, model all-MiniLM-L6-v2$",
                     out, flags=re.M)
    assert "skipped empty.txt: empty.txt: empty file" in err
    assert (index / "CURRENT").is_file()
    code, out, _ = run(capsys, "ask", "pangolin scales", "--k", "1", "--corpus", str(corpus), "--index", str(index))
    assert code == 0 and "Customs officers stop pangolin scale shipment" in out
    code, _, err = run(capsys, "index", "--strict", "--force", "--corpus", str(corpus), "--index", str(index))
    assert code == 2 and "empty.txt" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["ask", ""], "question is empty"),
    (["ask", "   "], "question is empty"),
    (["ask", QUESTION, "--k", "0"], "k must be at least 1"),
    (["info", "--cleaning", "--doc", "no-such-doc"], "no-such-doc"),
    (["index", "--corpus", "/nonexistent/corpus", "--index", "/nonexistent/index"], "does not exist"),
])
def test_errors_exit_2_with_a_message_on_stderr(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("ammtc-qa: error:") and message in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["ask"], ["ask", QUESTION, "--k", "three"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    assert "usage: ammtc-qa" in capsys.readouterr().err


def test_installed_console_script(tmp_path: Path) -> None:
    script = shutil.which("ammtc-qa")
    assert script, "the ammtc-qa console script is not on PATH (is the package installed?)"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([script, "ask", QUESTION, "--k", "1"], capture_output=True, text=True, timeout=300,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Q: {QUESTION}")
    assert re.search(r'^\[1\] MPS, "ASEAN strengthens cooperation', done.stdout, flags=re.M)
    assert "[2]" not in done.stdout
    assert not (tmp_path / "cache").exists()  # the shipped index was current: nothing built anywhere
