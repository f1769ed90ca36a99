"""Same article twice, and the same wire story from several publishers.

* An **exact duplicate** (the same cleaned text under another file or id) is kept once: the
  copy already in the previous index version wins, otherwise the first in corpus order.
* A **near copy** (a syndicated wire story republished with a different headline, byline or
  a trimmed last paragraph) is kept, and linked: each document records the ids of its near
  copies, so an answer can say "also reported by …" instead of spending two result slots on
  one paragraph. Near means a Jaccard similarity of at least ``NEAR_COPY_JACCARD`` between
  the sets of word 5-grams ("shingles") of the two texts. 0.8 rather than 0.9: a new headline
  and byline on a 300-word wire story change about 10% of its shingles on each side, which
  already brings Jaccard near 0.85; two articles written independently about the same event
  share almost no 5-gram (Jaccard below 0.2).

Candidates are found without comparing every pair: each document's few smallest shingle
hashes are its anchors (a bottom-k sketch), and only documents sharing an anchor are compared
exactly. Two texts with Jaccard ≥ 0.8 share their smallest shingle with probability ≥ 0.8,
and with ``ANCHORS`` = 8 anchors missing every one is negligible.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from .document import Document

NEAR_COPY_JACCARD = 0.8
SHINGLE_WORDS = 5
ANCHORS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
_MULT = np.uint64(0x9E3779B97F4A7C15)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def shingles(text: str, n: int = SHINGLE_WORDS) -> np.ndarray:
    """Sorted unique 64-bit hashes of the word ``n``-grams of ``text`` (case-folded words)."""
    words = _WORD.findall(text.casefold())
    if len(words) < n:
        return np.zeros(0, dtype=np.uint64)
    h = np.fromiter((zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words), dtype=np.uint64,
                    count=len(words))
    with np.errstate(over="ignore"):
        acc = np.zeros(len(words) - n + 1, dtype=np.uint64)
        for i in range(n):
            acc = acc * _MULT + h[i:len(words) - n + 1 + i] + np.uint64(i + 1)
        acc ^= acc >> np.uint64(29)
        acc *= _MULT
    return np.unique(acc)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) or not len(b):
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def near_copies(documents: Sequence[Document], threshold: float = NEAR_COPY_JACCARD) -> dict[str, list[str]]:
    """``{doc id: [ids of its near copies]}`` (symmetric; documents without copies are absent)."""
    sets = [shingles(d.text) for d in documents]
    by_anchor: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for anchor in s[:ANCHORS].tolist():
            by_anchor[anchor].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in by_anchor.values():
        if len(members) > 1:
            pairs.update((a, b) for k, a in enumerate(members) for b in members[k + 1:])
    links: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(pairs):
        small, large = sorted((len(sets[a]), len(sets[b])))
        if small < threshold * large:  # Jaccard ≤ |A|/|B|: cannot reach the threshold
            continue
        if jaccard(sets[a], sets[b]) >= threshold:
            links[documents[a].doc_id].append(documents[b].doc_id)
            links[documents[b].doc_id].append(documents[a].doc_id)
    return {k: sorted(v) for k, v in links.items()}


def drop_exact_duplicates(documents: Sequence[Document], prefer: set[str] | frozenset[str] = frozenset()
                          ) -> tuple[list[Document], list[tuple[Document, Document]]]:
    """``(kept, [(dropped, the document kept instead)])``; documents in ``prefer`` win ties."""
    ordered = sorted(range(len(documents)), key=lambda i: (documents[i].doc_id not in prefer, i))
    kept_by_hash: dict[str, Document] = {}
    dropped: list[tuple[Document, Document]] = []
    keep: set[int] = set()
    for i in ordered:
        doc = documents[i]
        h = text_hash(doc.text)
        if h in kept_by_hash:
            dropped.append((doc, kept_by_hash[h]))
        else:
            kept_by_hash[h] = doc
            keep.add(i)
    return [d for i, d in enumerate(documents) if i in keep], dropped
