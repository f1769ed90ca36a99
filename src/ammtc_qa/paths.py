"""Where the library keeps files of its own: the user cache folder.

``$XDG_CACHE_HOME/ammtc-qa`` (``~/.cache/ammtc-qa`` when unset), the same on every platform
this library runs on; ``platformdirs`` is not a dependency, so this is the one place that decides.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_root() -> Path:
    """The library's folder in the user cache."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ammtc-qa"


def keyed(prefix: str, key: str) -> Path:
    """``cache_root()/<prefix>-<16 hex digits of sha256(key)>``: one folder per ``key``."""
    return cache_root() / f"{prefix}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"
