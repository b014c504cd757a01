"""What the clients show a person: the demo notice (a banner in a notebook, a line on stderr
elsewhere) and progress bars for long fetches.

>>> show_progress(False), show_progress(True)
(False, True)
>>> progress_bar(10, False) is None
True
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

__all__ = ["announce_demo", "in_notebook", "progress_bar", "show_progress"]

logger = logging.getLogger("ayr_analysis")

_announce_lock = threading.Lock()
#: whether this process has shown the demo notice (it is shown once)
_announced = False


def announce_demo(forced: bool) -> None:
    """Say once per process that the numbers are demo data: ``forced`` when demo mode was asked
    for (``source='demo'`` or a demo given), not chosen because no key is set."""
    global _announced
    with _announce_lock:
        if _announced:
            return
        _announced = True
    why = "source='demo'" if forced else "no Ayrshare API key configured"
    text = (
        f"ayr-analysis: {why}, using the built-in demo sandbox. All numbers are DEMO data, "
        "not real analytics. Set AYRSHARE_API_KEY (environment or .env) for live data."
    )
    if not _show_in_notebook(text):
        print(text, file=sys.stderr)
    logger.info(text)


def _show_in_notebook(text: str) -> bool:
    """In a Jupyter kernel, show the demo notice as a labelled banner (not as an error on
    stderr); return False elsewhere."""
    if not in_notebook():
        return False
    try:
        from html import escape

        from IPython.display import HTML, display

        display(
            HTML(
                '<div style="border-left:4px solid #b45309;background:#fef3c7;color:#78350f;'
                f'padding:6px 10px;margin:4px 0;font-family:sans-serif">{escape(text)}</div>'
            )
        )
    except Exception:  # pragma: no cover - any display trouble: fall back to stderr
        return False
    return True


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where output goes to a notebook)."""
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:  # pragma: no cover
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show_progress(progress: bool | None) -> bool:
    """Whether to show a progress bar: ``progress`` when given, else only on a terminal or in a
    notebook."""
    if progress is not None:
        return bool(progress)
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or in_notebook()


def progress_bar(total: int, progress: bool | None, desc: str = "post analytics") -> Any:
    """A tqdm bar over ``total`` posts (a notebook widget in Jupyter), or None when
    :func:`show_progress` says no."""
    if not show_progress(progress):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="post", file=sys.stderr)
