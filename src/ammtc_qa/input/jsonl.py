"""Reading JSON Lines files where a bad line must be reported, not guessed around.

Question files and BEIR files share this: every average depends on every line, so a
malformed line is an error naming the file, the line number and the problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError


def line_error(path: Path, lineno: int, problem: str) -> InvalidInputError:
    return InvalidInputError(f"{path}:{lineno}: {problem}")


def json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for each non-blank line; raise on a line that is not an object."""
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise line_error(path, lineno, f"bad JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(obj, dict):
                raise line_error(path, lineno, f"expected a JSON object, got {type(obj).__name__}")
            yield lineno, obj
