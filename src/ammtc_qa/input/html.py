"""Main text of an HTML page, by trafilatura.

Boilerplate removal on HTML is a solved problem with a maintained library; we only add the
same line-level cleaning afterwards that plain-text scrapes get.
"""

from __future__ import annotations

from ..errors import CorpusError

INSTALL_HINT = "pip install trafilatura lxml_html_clean"


def _missing_dependency(name: str, exc: ImportError) -> CorpusError:
    return CorpusError(f"{name}: HTML support needs trafilatura and lxml_html_clean (lxml >= 5.2 moved "
                       f"lxml.html.clean into that package); install them with `{INSTALL_HINT}` "
                       f"({exc})")


def html_to_text(html: str, name: str) -> tuple[str, str | None]:
    """Return ``(main text, title)`` of a page; paragraphs are separated by blank lines."""
    try:
        import trafilatura
    except ImportError as exc:  # e.g. lxml >= 5.2 without lxml_html_clean
        raise _missing_dependency(name, exc) from exc

    try:
        text = trafilatura.extract(html, include_comments=False, include_tables=False,
                                   favor_precision=True, deduplicate=False)
        meta = trafilatura.extract_metadata(html)
    except ImportError as exc:  # optional parts of trafilatura are imported lazily
        raise _missing_dependency(name, exc) from exc
    except Exception as exc:  # lxml raises many kinds on hostile markup (too deep, bad encoding)
        raise CorpusError(f"{name}: HTML could not be parsed ({type(exc).__name__}: {exc})") from exc
    if not text or not text.strip():
        raise CorpusError(f"{name}: no main text found in the HTML")
    title = meta.title if meta is not None and meta.title else None
    body = "\n\n".join(line for line in text.splitlines() if line.strip())
    if title and not body.startswith(title):
        body = f"{title}\n\n{body}"
    return body, title
