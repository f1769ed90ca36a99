"""What ``ask`` returns: cited passages, readable in a terminal and in a notebook."""

from __future__ import annotations

import datetime as dt
import html
import re
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
    page: int | None = None
    """For a passage of a PDF: the (1-based) page where it starts; None for other articles."""
    source: str = ""
    """The corpus file the article came from (``archive.jsonl:12`` for a line): what the citation
    names when the article has no title."""
    explanation: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def citation(self) -> str:
        from .input.document import citation

        return citation(self.publisher, self.title, self.doc_id, self.date, self.source, self.page)

    def marked(self, left: str = "**", right: str = "**") -> str:
        """The passage text with its highlights wrapped in ``left``/``right``."""
        out, pos = [], self.start
        for s, e in self.highlights:
            out += [self.text[pos - self.start:s - self.start], left, self.text[s - self.start:e - self.start], right]
            pos = e
        out.append(self.text[pos - self.start:])
        return "".join(out)

    def to_json(self) -> dict[str, object]:
        """JSON-ready fields; ``explanation`` only when the question was asked with ``explain=True``."""
        out: dict[str, object] = {"text": self.text, "score": self.score, "doc_id": self.doc_id, "start": self.start,
                "end": self.end, "citation": self.citation, "title": self.title, "publisher": self.publisher,
                "date": self.date.isoformat() if self.date else None, "url": self.url, "meeting": self.meeting,
                "highlights": [list(h) for h in self.highlights], "also_reported_by": list(self.also_reported_by),
                "page": self.page, "source": self.source}
        if self.explanation:
            out["explanation"] = dict(self.explanation)
        return out


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
        """A table for notebooks: each passage keeps its paragraphs (the headline stays apart from
        the first sentence), headers and text are left-aligned (notebook styles right-align cells),
        and the citation column has a width of its own (notebook tables use a fixed layout)."""
        cell = "text-align:left;vertical-align:top;padding:4px 8px"
        head = "".join(f"<th style='{cell}'>{name}</th>" for name in ("#", "passage", "citation", "score"))
        rows = []
        for i, p in enumerate(self.passages, 1):
            cite = html.escape(p.citation)
            if p.url:
                cite = f'<a href="{html.escape(p.url)}">{cite}</a>'
            if p.also_reported_by:
                cite += "<br><small>also reported by: " + "; ".join(map(html.escape, p.also_reported_by)) + "</small>"
            rows.append(f"<tr><td style='{cell}'>{i}</td><td style='{cell}'>{_paragraphs_html(p)}</td>"
                        f"<td style='{cell}'>{cite}</td><td style='{cell}'>{p.score:.3f}</td></tr>")
        notice = f"<p style='text-align:left'><em>{html.escape(self.notice)}</em></p>" if self.notice else ""
        return (f"<div class='ammtc-qa-answer'><p style='text-align:left'><strong>{html.escape(self.question)}"
                f"</strong></p>{notice}<table style='table-layout:auto;width:100%;border-collapse:collapse'>"
                "<colgroup><col style='width:2.5em'><col><col style='width:16em'><col style='width:4.5em'>"
                f"</colgroup><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")

    def explain(self, width: int = 100) -> str:
        """Why each passage ranked where it did: its citation and text, then ranks (1-based, as
        the list), the scores fused, the meeting decision and each sentence's highlight score.
        Lines are wrapped at ``width`` so that a notebook cell shows them whole."""
        lines = [f"Q: {self.question}", f"meetings understood: {', '.join(self.meetings) or 'none'}"]
        if self.notice:
            lines.append(f"notice: {self.notice}")
        if any(not p.explanation for p in self.passages):
            lines.append(EXPLAIN_HINT)
        for i, p in enumerate(self.passages, 1):
            lines.append(f"\n[{i}] {p.citation}")
            lines.append(f"    doc {p.doc_id}, chars {p.start}-{p.end}, score {p.score:.4f}")
            for fact in _explained(p.explanation):
                lines.append(textwrap.fill(fact, width=width, initial_indent="    ", subsequent_indent="      "))
            lines.append(textwrap.fill(" ".join(p.marked().split()), width=width, initial_indent="    | ",
                                       subsequent_indent="    | "))
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {"question": self.question, "notice": self.notice, "meetings": list(self.meetings),
                "passages": [p.to_json() for p in self.passages]}


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (list, tuple)):
        return ", ".join("headline" if v is None else _fmt(v) for v in value)
    return str(value)


_LABELS = {"dense": "dense cosine", "bm25": "BM25", "best_sentence": "best sentence", "fused": "fused"}


def _explained(info: dict[str, object]) -> list[str]:
    """Readable lines for a passage's explanation: ranks, scores, meeting, highlight scores."""
    if not info:
        return []
    rest = dict(info)
    out = []
    ranks = [(name, rest.pop(key)) for name, key in (("dense", "dense_rank"), ("BM25", "lexical_rank")) if key in rest]
    if ranks:
        out.append("rank among candidates: " + ", ".join(
            f"{name} {'-' if r is None else r}" + (" (not in its list)" if r is None else "") for name, r in ranks))
    scores = [f"{label} {_fmt(rest.pop(key))}" for key, label in _LABELS.items() if key in rest]
    if scores:
        out.append("scores: " + ", ".join(scores))
    if "meeting" in rest:
        out.append(f"meeting: {rest.pop('meeting')}")
    if "highlight_scores" in rest:
        out.append(f"sentence scores: {_fmt(rest.pop('highlight_scores'))}")
    out += [f"{key}: {_fmt(value)}" for key, value in rest.items()]
    return out


def _paragraphs_html(p: Passage) -> str:
    """The passage as HTML paragraphs, highlights in ``<mark>`` (closed and reopened at a break)."""
    marked = html.escape(p.marked("\x00", "\x01"))
    out, open_mark = [], False
    for para in re.split(r"\n\s*\n", marked.strip()):
        body = para.replace("\n", "<br>").replace("\x00", "<mark>").replace("\x01", "</mark>")
        if open_mark:
            body = "<mark>" + body
        open_mark = para.count("\x00") + open_mark > para.count("\x01")
        if open_mark:
            body += "</mark>"
        out.append(f"<p style='text-align:left;margin:0 0 0.5em 0'>{body}</p>")
    return "".join(out)
