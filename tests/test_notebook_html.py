"""An answer's notebook HTML, rendered by a real browser (headless Chromium) and checked on the
screenshot: notebook styles right-align table cells and give tables a fixed layout, which
squeezed the citation column and right-aligned the header; the answer's own styles must win.

The page wraps the answer in the rules of JupyterLab's rendered-HTML stylesheet that decide a
table's layout. Test-only background colours mark the columns (colours do not change layout), so
Pillow can measure them on the screenshot.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PIL = pytest.importorskip("PIL.Image")

JUPYTER_TABLE_RULES = """
body { font-family: sans-serif; font-size: 13px; margin: 0; }
.jp-RenderedHTMLCommon { width: 900px; padding: 8px; }
.jp-RenderedHTMLCommon table { border: none; border-collapse: collapse; border-spacing: 0; font-size: 12px;
  table-layout: fixed; margin-left: auto; margin-bottom: 1em; margin-right: auto; }
.jp-RenderedHTMLCommon tr, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon td { text-align: right;
  vertical-align: middle; padding: 0.5em; line-height: normal; white-space: normal; max-width: none; border: none; }
"""
MARKERS = """
td:nth-child(2) { background: rgb(0, 255, 255) !important; }
td:nth-child(3) { background: rgb(255, 0, 255) !important; }
th:nth-child(2) { background: rgb(0, 200, 0) !important; }
mark { background: rgb(0, 255, 255) !important; color: black; }
"""
MIN_CITATION_PX = 180
"""A citation ("VietnamPlus (VNA), "Vietnam playing active role ...", 2020-09-23") needs room for
a few words a line; before the fix the fixed layout gave it about a quarter of the table."""


def _chromium() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it)")
    return browser


def _screenshot(browser: str, page: Path, out: Path, profile: Path) -> None:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--window-size=940,1600",
             f"--screenshot={out}", page.as_uri()]
    done = subprocess.run([browser, *flags], capture_output=True, text=True, timeout=120, check=False)
    assert out.is_file(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"


def _runs(img: object, colour: tuple[int, int, int], tol: int = 12) -> dict[int, tuple[int, int]]:
    """For each pixel row holding ``colour``: (leftmost, rightmost) x of it."""
    width, height = img.size  # type: ignore[attr-defined]
    px = img.load()  # type: ignore[attr-defined]
    out = {}
    for y in range(height):
        xs = [x for x in range(width) if all(abs(a - b) <= tol for a, b in zip(px[x, y][:3], colour, strict=True))]
        if xs:
            out[y] = (xs[0], xs[-1])
    return out


def _first_dark_x(img: object, rows: range, x_from: int, x_to: int) -> int:
    px = img.load()  # type: ignore[attr-defined]
    hits = [x for y in rows for x in range(x_from, x_to) if sum(px[x, y][:3]) < 250]
    assert hits, "no text found in the cell"
    return min(hits)


def test_answer_table_layout_in_chromium(shipped_qa, tmp_path: Path) -> None:  # noqa: ANN001
    browser = _chromium()
    answer = shipped_qa.ask("What did Vietnam propose at AMMTC 19?", k=3)
    page = tmp_path / "answer.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><style>{JUPYTER_TABLE_RULES}{MARKERS}"
                    f"</style></head><body><div class='jp-RenderedHTMLCommon'>{answer._repr_html_()}</div>"
                    "</body></html>", encoding="utf-8")
    shot = tmp_path / "answer.png"
    _screenshot(browser, page, shot, tmp_path / "profile")
    img = PIL.open(shot).convert("RGB")

    citation = _runs(img, (255, 0, 255))
    assert citation, "citation cells not found on the screenshot"
    widest = max(right - left for left, right in citation.values())
    assert widest >= MIN_CITATION_PX, f"citation column is {widest}px wide"

    header = _runs(img, (0, 200, 0))
    assert header, "passage header not found"
    left, right = min(v[0] for v in header.values()), max(v[1] for v in header.values())
    text_x = _first_dark_x(img, range(min(header), max(header) + 1), left, right)
    assert text_x - left <= 20, f"header text starts {text_x - left}px into its {right - left}px cell"

    passage = _runs(img, (0, 255, 255))
    rows = sorted(passage)
    first_cell = [y for y in rows if y - rows[0] < 40]  # the top of the first passage cell
    cell_left = min(passage[y][0] for y in first_cell)
    text_x = _first_dark_x(img, range(first_cell[0], first_cell[-1] + 1), cell_left, cell_left + 400)
    assert text_x - cell_left <= 20, f"passage text starts {text_x - cell_left}px into its cell"
    table_right = max(v[1] for v in citation.values())
    assert table_right < img.size[0] - 8, "the table is cut at the right edge"
