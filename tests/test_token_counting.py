"""Token counts decide chunk sizes: they must match the model tokenizer exactly, uncapped."""

from ammtc_qa.indexing.embedding import load_embedder


def test_count_tokens_matches_tokenizer_and_is_not_capped() -> None:
    embedder = load_embedder()
    text = "Lt. Gen. Nguyen said AMMTC-19 seized 1,584.36 kg of heroin. " * 60
    expected = len(embedder.tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"])
    assert expected > 512  # far past both the 128 in tokenizer.json and the 256 window
    assert embedder.count_tokens(text) == expected


def test_counting_does_not_change_the_model_tokenizer() -> None:
    embedder = load_embedder()
    before = embedder.tokenizer.backend_tokenizer.truncation
    embedder.count_tokens("word " * 1000)
    assert embedder.tokenizer.backend_tokenizer.truncation == before
