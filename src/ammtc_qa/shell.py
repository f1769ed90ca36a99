"""``ammtc-qa shell``: load the index and the model once, then answer many questions.

A fresh process costs seconds before its first answer (importing torch and loading the model),
so a reader asking question after question should pay it once. On a terminal the shell has a
prompt and a history kept across sessions (the standard library's ``readline``, the history in
the user cache folder); with questions piped in it reads them line by line, without a prompt,
so ``ammtc-qa shell < questions.txt`` works like a batch.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import AmmtcQaError
from .paths import cache_root

HISTORY_LINES = 1000
"""Lines of history kept in the history file."""

HELP = """\
Type a question and press Enter. Commands:
  :k N          passages per answer (now {k})
  :explain      toggle explanations (now {explain})
  :json         toggle JSON output (now {as_json})
  :help         this text
  :quit         leave (or Ctrl-D)"""


def history_file() -> Path:
    """``$XDG_CACHE_HOME/ammtc-qa/shell_history`` (``~/.cache`` when unset)."""
    return cache_root() / "shell_history"


@contextlib.contextmanager
def _history(enabled: bool) -> Iterator[None]:
    """Load the history file into ``readline`` and save it back on the way out (terminals only)."""
    readline: Any = None
    if enabled:
        try:
            import readline  # noqa: F811 - not on every platform; the shell works without it
        except ImportError:
            readline = None
    path = history_file()
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(path)
        readline.set_history_length(HISTORY_LINES)
    try:
        yield
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(path)


def _lines(interactive: bool) -> Iterator[str]:
    if not interactive:
        for line in sys.stdin:
            yield line.rstrip("\n")
        return
    while True:
        try:
            yield input("ammtc-qa> ")
        except EOFError:
            print()
            return


def run_shell(qa: Any, *, k: int = 5, explain: bool = False, as_json: bool = False, **options: Any) -> int:
    """Answer each line of stdin as a question until end of input or ``:quit``; 0, or 2 if a
    question could not be answered (its error is printed and the shell goes on). ``options`` go
    to every ``QA.ask`` (``filters``, ``as_of``)."""
    interactive = sys.stdin.isatty()
    state = {"k": k, "explain": explain, "as_json": as_json}
    failed = False
    if interactive:
        info = qa.info()
        print(f"ammtc-qa shell: {info['documents']} articles, {info['chunks']} passages ({info['index_dir']}). "
              "Type :help for commands.")
    with _history(interactive):
        for line in _lines(interactive):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if text.startswith(":"):
                if not _command(text, state):
                    break
                continue
            try:
                answer = qa.ask(text, k=state["k"], explain=state["explain"], **options)
            except AmmtcQaError as exc:
                failed = True
                print(f"ammtc-qa: error: {exc}", file=sys.stderr)
                continue
            if state["as_json"]:
                print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
            else:
                print((answer.explain() if state["explain"] else str(answer)) + "\n", flush=True)
    return 2 if failed else 0


def _command(text: str, state: dict[str, Any]) -> bool:
    """Apply a ``:command``; False to leave the shell."""
    name, _, arg = text[1:].partition(" ")
    if name in ("q", "quit", "exit"):
        return False
    if name == "k" and arg.strip().isdigit() and int(arg) >= 1:
        state["k"] = int(arg)
    elif name == "explain":
        state["explain"] = not state["explain"]
    elif name == "json":
        state["as_json"] = not state["as_json"]
    elif name == "help":
        print(HELP.format(**state))
        return True
    else:
        print(f"ammtc-qa: unknown command {text!r} (:help lists them)", file=sys.stderr)
        return True
    print(f"k={state['k']} explain={state['explain']} json={state['as_json']}", file=sys.stderr)
    return True
