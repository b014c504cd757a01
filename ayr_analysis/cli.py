"""The ``ayr-analysis`` command line: thin wrappers over the package's functions.

Each subcommand is registered by a small function here; the work itself lives in the package.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__

Handler = Callable[[argparse.Namespace], int]


def _register_version(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("version", help="print the installed version")
    p.set_defaults(handler=lambda args: print(__version__) or 0)


def _register_campaigns(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaigns", help="check a campaigns file and list its campaigns")
    p.add_argument("file", nargs="?", default="data/campaigns.toml", help="the TOML file")

    def handler(args: argparse.Namespace) -> int:
        from .campaigns import CampaignsFileError, load_campaigns

        try:
            campaigns = load_campaigns(args.file)
        except CampaignsFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for c in campaigns:
            rules = [
                f"{k}={v}"
                for k, v in (
                    ("ids", len(c.ids) or None),
                    ("hashtags", " ".join(c.hashtags) or None),
                    ("pattern", c.pattern),
                    ("start", c.start and c.start.date()),
                    ("end", c.end and c.end.date()),
                    ("platforms", ",".join(c.platforms) or None),
                )
                if v
            ]
            print(f"{c.name}: {'; '.join(rules) or 'any post'}")
        print(f"{len(campaigns)} campaign(s) OK in {args.file}")
        return 0

    p.set_defaults(handler=handler)


# Each registrar adds one subcommand (and its handler) to the parser.
REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [
    _register_version,
    _register_campaigns,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ayr-analysis",
        description="Ayrshare post analytics: fetch, track, compare and report.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
