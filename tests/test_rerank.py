"""The shipped sentence reranker: pinned weights, lazy loading, the ``reranker=`` switch, the mixing.

Speed is a benchmark (``benchmarks/rerank.py``), not a test here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
from ammtc_qa import ModelIntegrityError
from ammtc_qa.indexing.embedding import verify_weights
from ammtc_qa.ranking import rerank as rr
from ammtc_qa.ranking.rerank import SHIPPED_FOLDER, SHIPPED_SHA256, Reranker, RerankSettings, mix, select_sentences
from conftest import ARTICLES, build_tiny_index


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_tiny_index(tmp_path_factory.mktemp("rerank"), ARTICLES)


def test_shipped_weights_match_the_pin_and_are_small() -> None:
    verify_weights(SHIPPED_FOLDER, SHIPPED_SHA256)
    assert (SHIPPED_FOLDER / "model.safetensors").stat().st_size < 60 * 2**20


def test_a_flipped_byte_is_refused_before_loading(tmp_path: Path) -> None:
    folder = tmp_path / "reranker"
    shutil.copytree(SHIPPED_FOLDER, folder)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    reranker = Reranker(folder)  # pinned to the shipped sha256
    with pytest.raises(ModelIntegrityError) as info:
        reranker.score("Who seized the drugs?", ["Police seized the drugs."])
    assert str(weights) in str(info.value) and SHIPPED_SHA256 in str(info.value)
    assert (str(folder), True) not in rr._MODELS  # nothing was loaded


def test_loading_is_lazy_and_scores_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rr, "_MODELS", {})
    reranker = Reranker()
    assert rr._MODELS == {}  # constructing does not load
    question = "How much methamphetamine did police in Melaka seize?"
    texts = ["Police in Melaka seized 120 kg of methamphetamine hidden in a fishing boat on Tuesday.",
             "Three suspects were arrested and are being questioned by the narcotics division.",
             "Customs officers at Hai Phong port found pangolin scales inside a container."]
    scores = reranker.score(question, texts)
    assert len(rr._MODELS) == 1
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert int(np.argmax(scores)) == 0  # the sentence that answers, over on-topic and off-topic ones
    # Same process: the loaded model is reused, and scoring is deterministic. (Only for the same
    # batch: int8 dynamic quantisation scales activations per batch, so a sentence's logit moves a
    # little with its batch-mates.)
    again = Reranker().score(question, texts)
    assert len(rr._MODELS) == 1
    assert np.array_equal(again, scores)
    assert reranker.score(question, []).shape == (0,)


def test_switch_default_none_instance_and_path(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = tiny
    assert ammtc_qa.load(corpus, index)._ranker.reranker is None
    assert ammtc_qa.load(corpus, index, reranker=None)._ranker.reranker is None
    default = ammtc_qa.load(corpus, index, reranker="default")._ranker.reranker
    assert isinstance(default, Reranker) and default.folder == SHIPPED_FOLDER and default.sha256 == SHIPPED_SHA256
    mine = Reranker(settings=RerankSettings(passages=2, sentences=3))
    assert ammtc_qa.load(corpus, index, reranker=mine)._ranker.reranker is mine
    with pytest.raises(ammtc_qa.ModelNotAvailableError):  # a path is a CrossEncoder folder, loaded locally
        ammtc_qa.load(corpus, index, reranker=str(tmp_path / "no-such-model"))


def test_default_reranker_reads_few_sentences_in_one_batch(tiny: tuple[Path, Path],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = tiny
    settings = RerankSettings(passages=3, sentences=4)
    qa = ammtc_qa.load(corpus, index, reranker=Reranker(settings=settings))
    calls: list[list[str]] = []
    score = Reranker.score

    def spy(self: Reranker, question: str, texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return score(self, question, texts)

    monkeypatch.setattr(Reranker, "score", spy)
    answer = qa.ask("Where were the pangolin scales found?", k=3)
    assert len(calls) == 1 and 1 <= len(calls[0]) <= settings.sentences
    assert all("\n" not in t for t in calls[0])  # sentences, not passages
    assert "Customs officers stop pangolin scale shipment" not in calls[0]  # headlines are not read
    assert answer.passages[0].doc_id == "pangolin"
    for p in answer.passages:
        assert qa.document(p.doc_id).text[p.start:p.end] == p.text


def test_mix_reorders_the_read_candidates_only() -> None:
    fused = np.array([0.9, 0.8, 0.7, 0.6, 0.5], dtype=np.float32)
    top = np.array([0, 1, 2])
    candidate = np.array([0, 1, 1, 2])
    logits = np.array([-5.0, -4.0, 6.0, 0.0])  # candidate 1's second sentence answers
    out = mix(fused, candidate, logits, 1.0, top)
    assert int(np.argmax(out)) == 1
    assert out[[3, 4]].max() < out[top].min()  # unread ones stay below every read one...
    assert out[3] > out[4]  # ...in their previous order
    assert np.array_equal(np.argsort(-mix(fused, candidate, logits, 0.0, top)), np.argsort(-fused))
    assert np.array_equal(mix(fused, candidate[:0], logits[:0], 1.0, top[:0]), fused)


def test_select_sentences_keeps_the_closest_and_skips_headlines() -> None:
    top = np.array([4, 2])
    sims = [np.array([-1.0, 0.2, 0.9]), np.array([0.5, 0.1])]
    assert select_sentences(top, sims, 2) == [(4, 2), (2, 0)]
    assert (4, 0) not in select_sentences(top, sims, 10)
    assert len(select_sentences(top, sims, 10)) == 4


def test_the_training_script_runs_against_this_library() -> None:
    """The script imports the library's splitter and model helpers: a refactor that moves them must
    not leave the shipped weights unreproducible (it once imported a module that no longer existed)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "training" / "train_reranker.py"
    spec = importlib.util.spec_from_file_location("train_reranker", path)
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    import sys

    sys.modules[spec.name] = train  # its dataclasses look their module up
    try:
        spec.loader.exec_module(train)
    finally:
        del sys.modules[spec.name]
    corpus = [{"_id": "7_0", "text": "The ship left Hanoi. It carried 40 tonnes of rice. Crews cheered."},
              {"_id": "7_1", "text": "Rice prices rose in Hanoi. The ship was late."}]
    queries = [{"_id": "q", "text": "How much rice did the ship carry?", "metadata": {"answers": ["40 tonnes"]}}]
    examples, stats = train.build_examples(corpus, queries, {"q": "7_0"}, {"7"})
    assert stats["kept"] == 1 and examples[0].positive == "It carried 40 tonnes of rice."
    assert set(examples[0].same_paragraph) == {"The ship left Hanoi.", "Crews cheered."}
    assert examples[0].same_article[0] in {"Rice prices rose in Hanoi.", "The ship was late."}
    assert (train.base_model_folder() / "config.json").exists()
