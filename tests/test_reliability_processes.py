"""Other processes on the same index folder: a rebuild under a reader, builds killed with SIGKILL.

A helper process (the "builder") imports the library and loads the real model once; it then
builds into the index folder on command, either itself (a rebuild loop while this process
reads) or in a fork (a build this process kills with SIGKILL at a random moment). Forking
a warmed-up builder keeps the test at one model load instead of one per kill; the builder
runs torch on one thread and tokenizers without their thread pool, so forking it is safe.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import ammtc_qa
from ammtc_qa import IndexSettings, SearchSettings
from ammtc_qa.backends.local import LocalBackend
from ammtc_qa.backends.local.store import read_manifest, verify
from ammtc_qa.qa import QA
from conftest import ARTICLES, EXTRA_ARTICLE

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("fork and SIGKILL are POSIX", allow_module_level=True)

# Two corpora with the same file names and different content: every answer must come wholly
# from one of them. A's "pangolin" says 2.5 tonnes; B's says 9.5 tonnes and B adds "scam".
CORPUS_A = dict(ARTICLES)
CORPUS_B = {
    "melaka.txt": ARTICLES["melaka.txt"].replace("120 kg", "340 kg").replace("Tuesday", "Friday"),
    "pangolin.txt": ARTICLES["pangolin.txt"].replace("2.5 tonnes", "9.5 tonnes"),
    "scam.txt": EXTRA_ARTICLE,
}
QUESTION = "How many tonnes of pangolin scales did customs find?"

BUILDER = r'''
import os, sys, time
os.environ["TOKENIZERS_PARALLELISM"] = "false"
import torch
torch.set_num_threads(1)
from pathlib import Path
import ammtc_qa
from ammtc_qa.indexing.embedding import load_embedder
from ammtc_qa.indexing.build import refresh
from ammtc_qa.settings import IndexSettings

embedder = load_embedder()
settings = IndexSettings()
embedder.encode(["warm up"])
print("ready", flush=True)
for line in sys.stdin:
    cmd, *args = line.split()
    if cmd == "build":  # build <corpus> <index>: in this process, report the seconds it took
        t = time.perf_counter()
        refresh(Path(args[0]), Path(args[1]), embedder, settings)
        print("built", time.perf_counter() - t, flush=True)
    elif cmd == "loop":  # loop <n> <index> <corpus>...: n builds cycling over the corpora
        n, index, corpora = int(args[0]), Path(args[1]), args[2:]
        for i in range(n):
            refresh(Path(corpora[i % len(corpora)]), index, embedder, settings)
        print("looped", flush=True)
    elif cmd == "fork":  # fork <corpus> <index>: the public load() in a child; report its pid, then its fate
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                ammtc_qa.load(args[0], args[1])
                code = 0
            finally:
                os._exit(code)
        print("pid", pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print("status", status, flush=True)
'''


class Builder:
    def __init__(self, script: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env)
        self.expect("ready")

    def send(self, *words: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(" ".join(str(w) for w in words) + "\n")
        self.proc.stdin.flush()

    def expect(self, word: str) -> list[str]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.split()[:1] == [word], f"builder said {line!r}, expected {word!r}"
        return line.split()[1:]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def builder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builder]:
    root = tmp_path_factory.mktemp("builder")
    script = root / "builder.py"
    script.write_text(BUILDER, encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(root / "cache"), "OMP_NUM_THREADS": "1"}
    b = Builder(script, env)
    yield b
    b.close()


def write_corpus(folder: Path, files: dict[str, str]) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _documents_of(corpus: Path) -> dict[str, str]:
    """doc id -> cleaned text, as the library reads ``corpus``."""
    from ammtc_qa.input.corpus import read_corpus

    return {d.doc_id: d.text for d in read_corpus(corpus).documents}


def _qa(backend: LocalBackend) -> QA:
    return QA(backend, index_settings=IndexSettings(), search_settings=SearchSettings(), corpus_dir=Path("."),
              index_dir=backend.index_dir)


def load_index(index: Path, verify_files: bool | str = True) -> LocalBackend:
    backend = LocalBackend.open(index, verify_files=verify_files)
    assert backend is not None
    return backend


def _which(answer_docs: dict[str, str], version_docs: dict[str, dict[str, str]]) -> list[str]:
    """Names of the corpora whose documents are exactly ``answer_docs``'s (id -> text)."""
    return [name for name, docs in version_docs.items()
            if all(docs.get(doc_id) == text for doc_id, text in answer_docs.items())]


def _versions(index: Path) -> list[str]:
    return sorted(p.name for p in index.iterdir() if p.name.startswith("v-"))


def _entries(index: Path) -> set[str]:
    """What a build may add to the index folder while writing (not its lock or embedding journal):
    a segment first, then a version folder."""
    folder = index / "segments"
    segments = {f"segments/{p.name}" for p in folder.iterdir()} if folder.is_dir() else set()
    return ({p.name for p in index.iterdir()} | segments) - {".build.lock", ".embedding-journal", "segments"}


def _leftovers(index: Path) -> list[str]:
    return sorted(name for name in _entries(index) if name.rsplit("/", 1)[-1].startswith((".tmp-", ".CURRENT.")))


# --------------------------------------------------------------------------- a reader during rebuilds


def test_reader_sees_old_or_new_index_never_a_mix_while_another_process_rebuilds(
        builder: Builder, tmp_path: Path, fast_encode) -> None:  # noqa: ANN001
    """This process reloads the index folder and asks, in a loop, while the builder rebuilds it
    from corpus A, B, A, B... Every load succeeds, and every answer's passages (ids, offsets,
    text) come from one corpus. The question's vector is the fake encoder's: what is checked is
    which files were read, not ranking."""
    a, b = write_corpus(tmp_path / "a", CORPUS_A), write_corpus(tmp_path / "b", CORPUS_B)
    index = tmp_path / "index"
    builder.send("build", a, index)
    builder.expect("built")
    docs = {"A": _documents_of(a), "B": _documents_of(b)}

    held = _qa(load_index(index))  # loaded before the rebuilds; its version folder is deleted under it
    held_key = [(p.doc_id, p.start, p.end, p.score) for p in held.ask(QUESTION, k=3)]
    builder.send("loop", 6, index, b, a)
    seen_versions: dict[str, str] = {}
    failures: list[str] = []
    races: list[str] = []
    loads = 0
    assert builder.proc.stdout is not None
    os.set_blocking(builder.proc.stdout.fileno(), False)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                data = load_index(index)
            except Exception as exc:  # noqa: BLE001 - the point of the test: collected, reported below
                named = re.findall(r"v-\d{8}T\d{6}-[0-9a-f]{8}", str(exc))
                if named and named[0] != (index / "CURRENT").read_text(encoding="utf-8").strip():
                    races.append(f"{type(exc).__name__}: {exc}")  # superseded and being removed under the reader
                else:
                    failures.append(f"load: {type(exc).__name__}: {exc}")
                continue
            loads += 1
            assert data is not None
            stored = {d.doc_id: d.text for d in data.documents()}
            corpora = _which(stored, docs)
            if len(corpora) != 1 or set(stored) != set(docs[corpora[0]]):
                failures.append(f"{data.version.name}: documents match {corpora or 'no corpus'}")
                continue
            seen_versions[data.version.name] = corpora[0]
            answer = _qa(data).ask(QUESTION, k=5)
            mine = docs[corpora[0]]
            if not answer.passages or any(p.doc_id not in mine or mine[p.doc_id][p.start:p.end] != p.text
                                          for p in answer.passages):
                failures.append(f"{data.version.name}: answer mixes versions: {[p.doc_id for p in answer]}")
            if [(p.doc_id, p.start, p.end, p.score) for p in held.ask(QUESTION, k=3)] != held_key:
                failures.append("a QA loaded before the rebuilds changed its answer")
            line = builder.proc.stdout.readline()
            if line:
                assert line.split()[0] == "looped", line
                break
        else:
            pytest.fail("the builder did not finish its rebuilds in time")
    finally:
        os.set_blocking(builder.proc.stdout.fileno(), True)
    assert not failures, f"{len(failures)} of {loads + len(failures)} loads failed: {failures[:3]}"
    assert len(seen_versions) >= 3, f"the reader saw too few versions to mean anything: {seen_versions}"
    assert set(seen_versions.values()) == {"A", "B"}
    assert _versions(index) == [(index / "CURRENT").read_text(encoding="utf-8").strip()]
    # LocalBackend.open follows CURRENT when a build removes the version being read
    # (store.read_live), so a load that hits a removed version is now a failure, not a known race.
    assert not races, (f"{len(races)} of {loads + len(races)} loads hit a version removed mid-read: "
                       f"{races[0][:200]}")


# --------------------------------------------------------------------------- builds killed with SIGKILL


def _check_index_after_kill(index: Path, docs: dict[str, dict[str, str]]) -> str:
    """The index loads, verifies and answers from one whole corpus; every version folder on disk
    is complete. Returns the corpus the live version was built from."""
    data = load_index(index, verify_files="full")  # verifies every checksum, segments included
    stored = {d.doc_id: d.text for d in data.documents()}
    corpora = _which(stored, docs)
    assert len(corpora) == 1 and set(stored) == set(docs[corpora[0]]), corpora
    answer = _qa(data).ask(QUESTION, k=3)
    assert answer.passages and all(docs[corpora[0]][p.doc_id][p.start:p.end] == p.text for p in answer)
    for name in _versions(index):  # a version folder is only ever a whole, verified build
        version = index / name
        verify(version, read_manifest(version))
    return corpora[0]


def test_builds_killed_at_random_moments_leave_the_previous_index(builder: Builder, tmp_path: Path,
                                                                   fast_encode) -> None:  # noqa: ANN001
    a, b = write_corpus(tmp_path / "a", CORPUS_A), write_corpus(tmp_path / "b", CORPUS_B)
    index = tmp_path / "index"
    docs = {"A": _documents_of(a), "B": _documents_of(b)}
    builder.send("build", a, index)
    builder.expect("built")
    # How long a full load() of B takes in a fork of the builder, measured on a scratch folder.
    scratch = tmp_path / "scratch"
    shutil.copytree(index, scratch)
    start = time.perf_counter()
    builder.send("fork", b, scratch)
    builder.expect("pid")
    assert builder.expect("status") == ["0"]
    whole = time.perf_counter() - start
    assert _check_index_after_kill(scratch, docs) == "B"

    pristine = tmp_path / "pristine"
    shutil.copytree(index, pristine)
    rng = random.Random(20251123)
    # Four kills at random moments of the whole load() (reading, chunking, embedding, writing),
    # four as soon as / soon after its new version folder appears (writing, renaming, switching).
    moments = [("any", rng.uniform(0, whole)) for _ in range(4)] + [
        ("writing", d) for d in (0.0, 0.0, rng.uniform(0, 0.005), rng.uniform(0, 0.03))]
    outcomes = []
    for phase, delay in moments:
        if (index / "CURRENT").read_text(encoding="utf-8").strip() != (pristine / "CURRENT").read_text().strip():
            shutil.rmtree(index)  # the previous build got through: start again from the A index
            shutil.copytree(pristine, index)
        before = (index / "CURRENT").read_text(encoding="utf-8").strip()
        entries = _entries(index)
        builder.send("fork", b, index)
        pid = int(builder.expect("pid")[0])
        if phase == "writing":  # wait for this build's new version folder (under whatever name)
            limit = time.monotonic() + 60
            while not (_entries(index) - entries) and time.monotonic() < limit:
                time.sleep(0.0005)
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):  # already finished
            os.kill(pid, signal.SIGKILL)
        status = int(builder.expect("status")[0])
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        corpus = _check_index_after_kill(index, docs)
        now = (index / "CURRENT").read_text(encoding="utf-8").strip()
        outcomes.append((phase, round(delay, 3), killed, corpus, _leftovers(index)))
        if now != before:
            assert corpus == "B"  # killed after the switch (or not killed at all): the new version, whole
        else:
            assert corpus == "A"  # killed before the switch: the previous version, untouched
    assert sum(killed for _, _, killed, _, _ in outcomes) >= 4, f"too few builds interrupted: {outcomes} ({whole:.2f}s)"

    # The next load finishes the work: the B index, no leftovers, one version. (From the A index
    # and whatever the last kill left: a load that finds B already live has nothing to do.)
    if (index / "CURRENT").read_text(encoding="utf-8").strip() != (pristine / "CURRENT").read_text().strip():
        for leftover in [p for p in index.iterdir() if p.name.startswith(".") and p.name != ".build.lock"]:
            shutil.move(leftover, tmp_path / leftover.name)
        shutil.rmtree(index)
        shutil.copytree(pristine, index)
        for leftover in [p for p in tmp_path.iterdir() if p.name.startswith(".")]:
            shutil.move(leftover, index / leftover.name)
    builder.send("fork", b, index)
    builder.expect("pid")
    assert builder.expect("status") == ["0"]
    assert _check_index_after_kill(index, docs) == "B"
    assert len(_versions(index)) == 1
    assert [p.name for p in index.iterdir() if p.name.startswith(".") and p.name != ".build.lock"] == []
    qa = ammtc_qa.load(b, index, rebuild="never")
    assert "9.5 tonnes" in qa.ask(QUESTION, k=1).passages[0].text
    print("kills:", outcomes)


POISONED_TQDM_LOCK = """
import os, signal, sys, time
from tqdm.std import tqdm
import ammtc_qa.indexing.embedding  # noqa: F401  (registers the fork hook under test)
if sys.argv[1] == "without-hook":
    os.register_at_fork(after_in_child=lambda: tqdm.set_lock(shared))
shared = tqdm.get_lock()  # the process-shared lock every fork inherits
poisoner = os.fork()
if poisoner == 0:  # a sibling killed while inside tqdm
    shared.acquire()
    os.kill(os.getpid(), signal.SIGKILL)
os.waitpid(poisoner, 0)
worker = os.fork()
if worker == 0:  # what SentenceTransformer.encode does with its bar off
    tqdm(range(3), disable=True).close()
    os._exit(0)
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    done, status = os.waitpid(worker, os.WNOHANG)
    if done:
        print("finished" if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else f"status {status}")
        break
    time.sleep(0.05)
else:
    os.kill(worker, signal.SIGKILL)
    print("hung")
"""


@pytest.mark.parametrize("mode,expected", [("with-hook", "finished"), ("without-hook", "hung")])
def test_a_sibling_killed_inside_tqdm_does_not_hang_later_forks(tmp_path: Path, mode: str, expected: str) -> None:
    # In a fresh interpreter: the poisoned lock must not touch this test process's tqdm. The
    # "without-hook" run puts the shared lock back after the library's hook, and must hang: it
    # shows the scenario is real, so "finished" means the hook is what saved the worker.
    script = tmp_path / "poisoned_tqdm_lock.py"
    script.write_text(POISONED_TQDM_LOCK, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, timeout=120,
                         check=True)
    assert out.stdout.strip() == expected, out.stderr
