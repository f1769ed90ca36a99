"""Main text of an HTML page, by trafilatura.

Boilerplate removal on HTML is a solved problem with a maintained library; we only add the
same line-level cleaning afterwards that plain-text scrapes get.
"""

from __future__ import annotations

from .errors import CorpusError


def html_to_text(html: str, name: str) -> tuple[str, str | None]:
    """Return ``(main text, title)`` of a page; paragraphs are separated by blank lines."""
    import trafilatura

    try:
        text = trafilatura.extract(html, include_comments=False, include_tables=False,
                                   favor_precision=True, deduplicate=False)
        meta = trafilatura.extract_metadata(html)
    except Exception as exc:  # lxml raises many kinds on hostile markup (too deep, bad encoding)
        raise CorpusError(f"{name}: HTML could not be parsed ({type(exc).__name__}: {exc})") from exc
    if not text or not text.strip():
        raise CorpusError(f"{name}: no main text found in the HTML")
    title = meta.title if meta is not None and meta.title else None
    body = "\n\n".join(line for line in text.splitlines() if line.strip())
    if title and not body.startswith(title):
        body = f"{title}\n\n{body}"
    return body, title
