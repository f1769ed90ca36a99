"""What ``ask`` returns: cited passages, readable in a terminal and in a notebook."""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from dataclasses import dataclass, field

EXPLAIN_HINT = "(ask with explain=True for dense/lexical ranks, fused score, meeting decision and highlight scores)"
"""What ``Answer.explain`` says when the passages were ranked without recording why."""


@dataclass(frozen=True)
class Passage:
    """One cited passage. ``text == qa.document(doc_id).text[start:end]``, always."""

    text: str
    score: float
    doc_id: str
    start: int
    end: int
    title: str | None
    publisher: str | None
    date: dt.date | None
    url: str | None
    meeting: str | None
    highlights: tuple[tuple[int, int], ...] = ()
    """Sentence spans (document offsets, inside ``start:end``) that best match the question."""
    also_reported_by: tuple[str, ...] = ()
    """Citations of near-identical passages from other articles (syndicated copies)."""
    explanation: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def citation(self) -> str:
        parts = [self.publisher or "Unknown publisher", f'"{self.title or self.doc_id}"',
                 self.date.isoformat() if self.date else "n.d."]
        return ", ".join(parts)

    def marked(self, left: str = "**", right: str = "**") -> str:
        """The passage text with its highlights wrapped in ``left``/``right``."""
        out, pos = [], self.start
        for s, e in self.highlights:
            out += [self.text[pos - self.start:s - self.start], left, self.text[s - self.start:e - self.start], right]
            pos = e
        out.append(self.text[pos - self.start:])
        return "".join(out)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "score": self.score, "doc_id": self.doc_id, "start": self.start,
                "end": self.end, "citation": self.citation, "title": self.title, "publisher": self.publisher,
                "date": self.date.isoformat() if self.date else None, "url": self.url, "meeting": self.meeting,
                "highlights": [list(h) for h in self.highlights], "also_reported_by": list(self.also_reported_by)}


@dataclass(frozen=True)
class Answer:
    """Passages that answer ``question``, best first; ``notice`` says why there are none."""

    question: str
    passages: list[Passage]
    notice: str | None = None
    meetings: tuple[str, ...] = ()
    """Meetings the question was understood to be about (named or implied)."""

    def __len__(self) -> int:
        return len(self.passages)

    def __iter__(self):  # noqa: ANN204 - iterator of Passage
        return iter(self.passages)

    def __str__(self) -> str:
        lines = [f"Q: {self.question}"]
        if self.notice:
            lines.append(f"Note: {self.notice}")
        for i, p in enumerate(self.passages, 1):
            lines.append(f"\n[{i}] {p.citation}  (score {p.score:.3f}, chars {p.start}-{p.end})")
            body = textwrap.fill(" ".join(p.marked().split()), width=100, initial_indent="    ",
                                 subsequent_indent="    ")
            lines.append(body)
            if p.also_reported_by:
                lines.append(f"    also reported by: {'; '.join(p.also_reported_by)}")
        if not self.passages and not self.notice:
            lines.append("No passage found.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = []
        for i, p in enumerate(self.passages, 1):
            text = html.escape(p.marked("\x00", "\x01")).replace("\x00", "<mark>").replace("\x01", "</mark>")
            cite = html.escape(p.citation)
            if p.url:
                cite = f'<a href="{html.escape(p.url)}">{cite}</a>'
            rows.append(f"<tr><td>{i}</td><td style='text-align:left'>{text}</td><td>{cite}</td>"
                        f"<td>{p.score:.3f}</td></tr>")
        notice = f"<p><em>{html.escape(self.notice)}</em></p>" if self.notice else ""
        return (f"<p><strong>{html.escape(self.question)}</strong></p>{notice}"
                "<table><thead><tr><th>#</th><th>passage</th><th>citation</th><th>score</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")

    def explain(self) -> str:
        """Why each passage ranked where it did: ranks, fused score, meeting decision, highlights."""
        lines = [f"Q: {self.question}", f"meetings understood: {', '.join(self.meetings) or 'none'}"]
        if self.notice:
            lines.append(f"notice: {self.notice}")
        if any(not p.explanation for p in self.passages):
            lines.append(EXPLAIN_HINT)
        for i, p in enumerate(self.passages, 1):
            e = p.explanation
            facts = "  ".join(f"{k}={_fmt(v)}" for k, v in e.items())
            lines.append(f"[{i}] {p.doc_id} {p.start}-{p.end} score={p.score:.4f}  {facts}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {"question": self.question, "notice": self.notice, "meetings": list(self.meetings),
                "passages": [p.to_json() for p in self.passages]}


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_fmt(v) for v in value) + "]"
    return str(value)
