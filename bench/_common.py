"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from importlib import metadata


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark has: ``--quick`` and ``--smoke``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="smaller sizes, finishes in under a minute")
    p.add_argument(
        "--smoke", action="store_true", help="tiny sizes, a second or two (used by the tests)"
    )
    return p


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine(*dists: str) -> str:
    """One line describing the machine and the versions that matter."""
    parts = [
        f"{os.cpu_count()} cores",
        f"Python {platform.python_version()}",
        platform.machine(),
        *(f"{d} {version(d)}" for d in dists),
    ]
    return "machine: " + ", ".join(parts)


def header(title: str, mode: str, *dists: str) -> None:
    print(f"== {title} ({mode} mode)")
    print(machine(*dists))


def mode_of(args: argparse.Namespace) -> str:
    return "smoke" if args.smoke else "quick" if args.quick else "full"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """A plain-text table (also valid Markdown)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def flush() -> None:
    sys.stdout.flush()
