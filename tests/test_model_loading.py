"""Loading the embedding model prints nothing and leaves the progress-bar settings as they were."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ammtc_qa.indexing.embedding import _no_loading_bars


def test_first_model_load_prints_no_loading_bar() -> None:
    code = textwrap.dedent("""
        from transformers.utils import logging
        from ammtc_qa.indexing.embedding import load_embedder
        load_embedder()
        print("bars", logging.is_progress_bar_enabled())
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Loading weights" not in result.stderr
    assert "it/s" not in result.stderr
    assert result.stdout.strip().endswith("bars True")  # the user's setting is restored


@pytest.mark.parametrize("hub_disabled", [False, True])
def test_loading_bars_switch_is_scoped(hub_disabled: bool) -> None:
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars
    from transformers.utils import logging

    before = logging.is_progress_bar_enabled(), are_progress_bars_disabled()
    try:
        logging.enable_progress_bar()
        if hub_disabled:
            disable_progress_bars()
        with _no_loading_bars():
            assert not logging.is_progress_bar_enabled()
            assert type(logging.tqdm(range(3))).__name__ == "EmptyTqdm"
        assert logging.is_progress_bar_enabled()
        assert are_progress_bars_disabled() is hub_disabled
    finally:
        (logging.enable_progress_bar if before[0] else logging.disable_progress_bar)()
        (disable_progress_bars if before[1] else enable_progress_bars)()


def test_disabled_bars_stay_disabled() -> None:
    from transformers.utils import logging

    before = logging.is_progress_bar_enabled()
    try:
        logging.disable_progress_bar()
        with _no_loading_bars():
            pass
        assert not logging.is_progress_bar_enabled()
    finally:
        (logging.enable_progress_bar if before else logging.disable_progress_bar)()
