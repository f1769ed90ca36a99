"""The audit trail of the cleaning: what ``clean`` returns and how a human reads it.

Kept apart from the rules so that code which only consumes cleaned text (documents, ingest)
depends on these small value types, not on the rules that produce them.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = (
    "banner",
    "navigation",
    "photo_file",
    "photo_marker",
    "button",
    "teaser",
    "mobile_link",
    "byline",
    "dateline",
    "duplicate",
    "running_header",
)
"""Every value ``Removal.kind`` can take (``running_header``: a header or footer line repeated at
the margins of a PDF's pages)."""


@dataclass(frozen=True)
class Removal:
    """One piece of furniture that was cut out; ``raw[start:end] == text``."""

    start: int
    end: int
    kind: str
    text: str


@dataclass(frozen=True)
class CleanedText:
    """The result of ``clean``: the article text plus what was taken out of it and why."""

    text: str
    title: str | None
    datelines: tuple[str, ...]
    removed: tuple[Removal, ...]


def removal_report(cleaned: CleanedText, width: int = 80) -> str:
    """One line per removal, "kind  text", so a human can audit what the rules threw away."""
    lines = []
    for r in cleaned.removed:
        text = " ⏎ ".join(part.strip() for part in r.text.splitlines() if part.strip())
        text = " ".join(text.split())
        if len(text) > width:
            text = text[: width - 1] + "…"
        lines.append(f"{r.kind:<12} {text}")
    return "\n".join(lines)
