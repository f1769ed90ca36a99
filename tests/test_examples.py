"""The examples run and show what they claim: the notebook executes without errors and renders
a cited answer table; the scripts exit 0 and print citations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CITATION = re.compile(r'MPS, "[^"]+", \d{4}-\d{2}-\d{2}')


def _run(*args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=EXAMPLES, env=env, check=False)


def _kernel_name() -> str:
    """``python3`` when registered; otherwise register this interpreter's kernel for the user."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"],
                       check=True, capture_output=True)
    return "python3"


def test_notebook_executes_and_renders_cited_answer() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    nb = nbformat.read(EXAMPLES / "explore.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    client = nbclient.NotebookClient(nb, kernel_name=_kernel_name(), timeout=300,
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    answer_cell = next(c for c in nb.cells if c.cell_type == "code" and "qa.ask(\"What did Vietnam" in c.source)
    html = "".join(o.get("data", {}).get("text/html", "") for o in answer_cell.outputs)
    assert "<table " in html and "<mark>" in html
    assert re.search(r'MPS, &quot;[^&]+&quot;, \d{4}-\d{2}-\d{2}', html), html[:500]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "TqdmWarning" not in text and "IProgress not found" not in text  # ipywidgets is installed
    assert "exact span of" in text
    explain_cell = next(c for c in nb.cells if c.cell_type == "code" and "answer.explain()" in c.source)
    explained = "".join(o.get("text", "") for o in explain_cell.outputs)
    assert "rank among candidates" in explained
    assert max(len(line) for line in explained.splitlines()) <= 100  # shown whole in a notebook cell
    assert "No article in the corpus covers AMMTC 30" in text


def test_ask_script_prints_citations_and_exact_spans() -> None:
    result = _run("ask.py", "--k", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Q: What did Vietnam propose at AMMTC 19?")
    assert len(CITATION.findall(out)) == 2
    assert out.count(": exact") == 2 and "MISMATCH" not in out


def test_index_your_articles_demo_cites_the_demo_article(tmp_path: Path) -> None:
    result = _run("index_your_articles.py", "--demo", "--index", str(tmp_path / "index"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Indexed 2 articles" in out
    assert "Cleaning removed:" in out and "'By Rufus Firefly'" in out
    answer = out[out.index("Q: What did ministers agree at AMMTC 7 in Freedonia?"):]
    cited = re.findall(r"^\[\d+\] (.+?)  \(score", answer, flags=re.M)
    assert cited, answer
    assert all(c.startswith('Freedonia Gazette, "Freedonia hosts AMMTC 7') for c in cited), cited
    assert "Freedonia Compact on Cyber Fraud" in answer
    assert (tmp_path / "index" / "CURRENT").is_file()
