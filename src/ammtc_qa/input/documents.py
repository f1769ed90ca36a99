"""Text of PDF and DOCX files, through maintained libraries (the ``pdf`` and ``docx`` extras).

Official statements and archives are often PDFs. pypdf (pure Python) gives each page's text,
so a citation can give the page; python-docx gives a Word file's paragraphs and
tables in document order (``iter_inner_content``, python-docx 1.0+). Both are optional:
without them such a file is skipped with the command that installs what it needs. A PDF that
holds only scanned images has no text layer; it is skipped with a reason (run OCR first), not
indexed as an empty article.
"""

from __future__ import annotations

import io
import logging

from ..errors import CorpusError

PDF_HINT = 'pip install "ammtc-qa[pdf]"  (or: pip install pypdf)'
DOCX_HINT = 'pip install "ammtc-qa[docx]"  (or: pip install python-docx)'


def pdf_pages(data: bytes, name: str) -> tuple[list[str], str | None]:
    """``(text of each page, title from the document information)`` of a PDF."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:
        raise CorpusError(f"{name}: reading PDF files needs pypdf; install it with `{PDF_HINT}` ({exc})") from exc
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf logs every recoverable flaw of a file
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")  # an owner password only: readable by anyone
            except Exception as exc:
                raise CorpusError(f"{name}: the PDF is encrypted with a password; decrypt it first") from exc
        pages = [_page_text(page) for page in reader.pages]
        info = reader.metadata
        title = str(info.title).strip() if info is not None and info.title else None
    except CorpusError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OSError, NotImplementedError) as exc:  # pypdf raises many kinds on damaged files
        raise CorpusError(f"{name}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if not any(p.strip() for p in pages):
        raise CorpusError(f"{name}: the PDF has no text layer (scanned images?); run OCR on it first "
                          "(e.g. `ocrmypdf in.pdf out.pdf`) and index the result")
    return pages, title or None


def _page_text(page: object) -> str:
    text = page.extract_text() or ""  # type: ignore[attr-defined]
    return text.replace("\x00", "")


def docx_text(data: bytes, name: str) -> tuple[str, str | None]:
    """``(paragraphs separated by blank lines, title from the core properties)`` of a DOCX file."""
    try:
        import docx
    except ImportError as exc:
        raise CorpusError(f"{name}: reading DOCX files needs python-docx; install it with `{DOCX_HINT}` "
                          f"({exc})") from exc
    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs: list[str] = []
        for block in document.iter_inner_content():  # paragraphs and tables, in document order
            if hasattr(block, "rows"):  # tables hold real content in reports (figures, lists of names)
                for row in block.rows:
                    cells = [c.text.strip() for c in row.cells if c.text.strip()]
                    if cells:
                        paragraphs.append(" | ".join(dict.fromkeys(cells)))  # merged cells repeat
            else:
                paragraphs.append(block.text.strip())
        title = (document.core_properties.title or "").strip() or None
    except Exception as exc:  # python-docx raises zipfile, lxml and KeyError kinds on damaged files
        raise CorpusError(f"{name}: not a readable DOCX file ({type(exc).__name__}: {exc})") from exc
    text = "\n\n".join(p for p in paragraphs if p)
    if not text.strip():
        raise CorpusError(f"{name}: the DOCX file has no text")
    return text, title
