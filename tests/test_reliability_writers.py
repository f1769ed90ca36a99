"""Writers of one corpus folder in different processes, each with its own index folder.

A notebook on the default cache index and a script with ``--index`` change the same
``added.jsonl``: the writer lock lives with the corpus folder, so no successful ``add`` is
lost. Two real processes add documents with randomised delays, over several corpus folders
(trials); every document an ``add`` reported as added must be in ``added.jsonl`` afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock

import ammtc_qa
from ammtc_qa.input.ingest import ADDED_FILE, CORPUS_LOCK, corpus_writer
from conftest import ARTICLES

TESTS = Path(__file__).resolve().parent
TRIALS, ADDS = 4, 5

WRITER = r'''
import json, os, random, sys, time
os.environ["TOKENIZERS_PARALLELISM"] = "false"
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(1)
from conftest import fake_encode
from ammtc_qa.indexing.embedding import Embedder
Embedder.encode = fake_encode  # this test is about files, not relevance
import ammtc_qa
name, seed, adds, corpora = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
rng = random.Random(seed)
qas = [ammtc_qa.load(c, os.path.join(c + "-index", name)) for c in corpora]
print("ready", flush=True)
sys.stdin.readline()  # start together
for t, qa in enumerate(qas):
    for i in range(adds):
        time.sleep(rng.uniform(0, 0.05))
        text = f"Report {name} {t} {i}: officers of unit {rng.randint(0, 10**9)} seized contraband at the port."
        report = qa.add({"id": f"{name}-{t}-{i}", "text": text})
        print(json.dumps({"trial": t, "added": report.added}), flush=True)
print("done", flush=True)
'''


def _start(name: str, seed: int, corpora: list[Path]) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(TESTS), name, str(seed), str(ADDS),
                             *map(str, corpora)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_two_processes_adding_to_one_corpus_lose_nothing(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    corpora = [make_corpus(name=f"corpus{t}") for t in range(TRIALS)]
    writers = [_start(name, seed, corpora) for name, seed in (("alpha", 1), ("beta", 2))]
    reported: dict[int, set[str]] = {t: set() for t in range(TRIALS)}
    for proc in writers:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in writers:
        out, _ = proc.communicate(timeout=800)
        assert proc.returncode == 0
        lines = out.splitlines()
        assert lines[-1] == "done"
        for line in lines[:-1]:
            row = json.loads(line)
            reported[row["trial"]].update(row["added"])
    for t, corpus in enumerate(corpora):
        on_disk = {json.loads(line)["id"] for line in (corpus / ADDED_FILE).read_text(encoding="utf-8").splitlines()}
        assert len(reported[t]) == 2 * ADDS  # every add succeeded, none refused
        assert reported[t] <= on_disk, f"trial {t}: lost {sorted(reported[t] - on_disk)}"
        assert len(on_disk) == 2 * ADDS
        assert not (corpus / CORPUS_LOCK).read_bytes()  # the lock file holds nothing
        assert {d.doc_id for d in ammtc_qa.load(corpus, tmp_path / f"check{t}").documents()} == \
            {*on_disk, *(name.rsplit(".", 1)[0] for name in ARTICLES)}


def test_a_second_writer_waits_then_fails_clearly(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    holder = FileLock(str(corpus / CORPUS_LOCK))
    with holder:
        t0 = time.monotonic()
        with pytest.raises(ammtc_qa.WriterBusyError, match=str(corpus)), corpus_writer(corpus, timeout=0.3):
            pass
        assert time.monotonic() - t0 >= 0.3
    with corpus_writer(corpus, timeout=0.3):  # free again
        pass


def test_writers_in_threads_are_serialised(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    inside: list[int] = []
    overlaps: list[int] = []

    def write(n: int) -> None:
        for _ in range(5):
            with corpus_writer(corpus, timeout=30):
                inside.append(n)
                if len(inside) > 1:
                    overlaps.append(n)
                time.sleep(0.002)
                inside.remove(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlaps
