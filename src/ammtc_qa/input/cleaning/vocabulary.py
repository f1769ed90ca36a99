"""The word lists of the cleaning rules, read from ``vocabulary.json`` next to this module.

The lists (UI labels, month names, Title-Case small words...) are data, not logic: keeping
them in a documented file lets them be reviewed and extended (another language, another
CMS's share bar) without touching the rules, which build their regular expressions from them.
The file is read once, at import; a malformed file is a packaging defect and fails loudly,
naming the file and the list, instead of silently cleaning with a partial vocabulary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from ...errors import AmmtcQaError

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.json")

LISTS = (
    "ui_words", "mobile_link_phrases", "photo_labels", "image_extensions", "advertisement_labels",
    "site_nouns_en", "site_states_en", "site_nouns_vi", "site_states_vi", "site_states_vi_bare",
    "reported_speech", "breadcrumb_roots", "link_list_headers", "tag_labels", "byline_prefixes", "byline_joiners",
    "months", "date_words", "dateline_labels", "place_connectors", "title_case_small_words", "wrap_connectors",
)  # fmt: skip
"""The lists the rules use; the file must hold exactly these (plus ``_doc`` keys)."""


class VocabularyError(AmmtcQaError, ValueError):
    """The cleaning vocabulary file is missing, not JSON, or a list in it is malformed."""


def load_vocabulary(path: Path = VOCABULARY_FILE) -> dict[str, tuple[str, ...]]:
    """Each list of ``path`` as a tuple of strings, in file order; ``VocabularyError`` names the
    file (and the list) when the file cannot be read or does not hold exactly ``LISTS``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VocabularyError(f"cleaning vocabulary {path}: cannot be read as JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise VocabularyError(f"cleaning vocabulary {path}: must be a JSON object of word lists")
    names = {k for k in data if k != "_doc"}
    if names != set(LISTS):
        missing, unknown = sorted(set(LISTS) - names), sorted(names - set(LISTS))
        raise VocabularyError(f"cleaning vocabulary {path}: missing lists {missing}, unknown lists {unknown}")
    out: dict[str, tuple[str, ...]] = {}
    for name in LISTS:
        entry = data[name]
        words = entry.get("words") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("_doc"), str) or not entry["_doc"].strip():
            raise VocabularyError(f'cleaning vocabulary {path}: list "{name}" needs a "_doc" string')
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise VocabularyError(f'cleaning vocabulary {path}: list "{name}" must be a non-empty list of strings')
        out[name] = tuple(words)
    return out


def alternation(words: Iterable[str]) -> str:
    """A regex group matching any of ``words`` literally, tried in the order given."""
    return "(?:" + "|".join(re.escape(w) for w in words) + ")"


def trie_alternation(words: Iterable[str]) -> str:
    """A regex group matching exactly the strings ``alternation(words)`` matches, factored by
    shared prefixes ("print|privacy" as "pri(?:nt|vacy)"), so that a failing match is decided at
    the first character that no word continues with instead of after trying every word.

    The alternatives are tried in another order, so the *span* a search finds can differ: use it
    only where the whole match is pinned (``^...$``) and only whether it matches is read.
    """
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def group(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        branches = []
        for ch, child in node.items():
            if not ch:
                continue
            chars = [ch]
            while len(child) == 1 and "" not in child:  # a chain with no branching: one literal
                (nxt, child), = child.items()
                chars.append(nxt)
            branches.append(re.escape("".join(chars)) + group(child))
        if not branches:
            return ""
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if "" in node else body

    return group(root)


VOCABULARY = load_vocabulary()
