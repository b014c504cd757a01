"""The ``ayr-analysis`` command line: thin wrappers over the package's functions.

Each subcommand is registered by a small function here; the work itself lives in the package.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__

Handler = Callable[[argparse.Namespace], int]


# -- values checked while the command line is read (argparse reports them as usage errors) -----
def _port(text: str) -> int:
    """A TCP port, 0-65535 (0: a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: a whole number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is not between 0 and 65535")
    return port


#: the fastest simulated clock: about 11.5 simulated days per real second
MAX_SPEED = 1_000_000.0


def _speed(text: str) -> float:
    """Simulated seconds per real second: a finite number from 0 to :data:`MAX_SPEED`."""
    try:
        speed = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid speed {text!r}: a number") from None
    if not 0 <= speed <= MAX_SPEED:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"speed {text} is not between 0 and {MAX_SPEED:,.0f}")
    return speed


def _span(text: str, longest_days: int) -> str:
    """A duration such as 30m or 2h, more than 0 and at most ``longest_days`` days."""
    from datetime import timedelta

    from .analysis import parse_duration

    try:
        span = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    except OverflowError:
        raise argparse.ArgumentTypeError(f"duration {text!r} is too long") from None
    if span <= timedelta(0):
        raise argparse.ArgumentTypeError(f"duration {text!r} must be more than 0 s")
    if span > timedelta(days=longest_days):
        raise argparse.ArgumentTypeError(f"duration {text!r} is over {longest_days} days")
    return text


def _store(text: str) -> str:
    """A snapshot store folder or URL: not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the store path must not be empty")
    return text


def _shard(text: str) -> str:
    """``i/N``: this tracker's shard of N (i from 0 to N-1)."""
    from .errors import ValidationError
    from .tracking import parse_shard

    try:
        parse_shard(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _keys(values: Sequence[str] | None) -> list[str]:
    """Profile-Keys given as ``A,B`` and/or ``A B`` (empty parts dropped)."""
    return [k.strip() for v in values or () for k in v.split(",") if k.strip()]


def _register_version(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("version", help="print the installed version")
    p.set_defaults(handler=lambda args: print(__version__) or 0)


def _register_sandbox(sub: argparse._SubParsersAction) -> None:
    """``sandbox`` (serve the simulated API over HTTP) and ``demo-data`` (write data/)."""
    p = sub.add_parser("sandbox", help="serve the simulated Ayrshare API on 127.0.0.1")
    p.add_argument("--port", type=_port, default=8787, help="port (0: a free one); default 8787")
    p.add_argument("--seed", type=int, default=7, help="demo world seed; default 7")
    p.add_argument(
        "--speed",
        type=_speed,
        default=0.0,
        help="simulated seconds per real second (3600: an hour a second); default 0",
    )
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p.add_argument("--error-rate", type=float, default=0.0, help="share of 500/502/503/504")
    p.add_argument("--timeout-rate", type=float, default=0.0, help="share of stalled requests")
    p.add_argument("--timeout-s", type=float, default=35.0, help="how long a stall lasts")
    p.add_argument("--malformed-rate", type=float, default=0.0, help="share of non-JSON bodies")
    p.add_argument("--truncated-rate", type=float, default=0.0, help="share of cut JSON bodies")
    p.add_argument("--fault-seed", type=int, default=0, help="seed of the fault RNG")
    p.add_argument("--rate-limit", type=int, default=300, help="requests per window per profile")
    p.add_argument("--rate-window", type=float, default=300.0, help="window in real seconds")
    p.add_argument("--verbose", action="store_true", help="log every request")

    def run_sandbox(args: argparse.Namespace) -> int:
        from .sandbox.faults import Faults
        from .sandbox.server import serve_forever

        try:
            faults = Faults(
                latency_s=args.latency, error_rate=args.error_rate,
                timeout_rate=args.timeout_rate, malformed_rate=args.malformed_rate,
                truncated_rate=args.truncated_rate, seed=args.fault_seed, timeout_s=args.timeout_s,
            )  # fmt: skip
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        serve_forever(args.port, seed=args.seed, speed=args.speed, faults=faults,
                      rate_limit=args.rate_limit, rate_window=args.rate_window,
                      verbose=args.verbose)  # fmt: skip
        return 0

    p.set_defaults(handler=run_sandbox)

    d = sub.add_parser("demo-data", help="write the demo world's profiles, posts and campaigns")
    d.add_argument("--out", default="data", help="output directory; default data")
    d.add_argument("--seed", type=int, default=7, help="demo world seed; default 7")

    def run_demo_data(args: argparse.Namespace) -> int:
        from .sandbox.world import write_demo_data

        for path in write_demo_data(args.out, seed=args.seed):
            print(path)
        return 0

    d.set_defaults(handler=run_demo_data)


def _register_demo_store(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo-store",
        help="record the demo world's history into a snapshot store (equal-age snapshots)",
        description=(
            "Record the demo world into a snapshot store as a tracker running since the first "
            "post would have: every post asked at publication + each age (moving the sandbox's "
            "virtual clock) and once at the world's now, with the post history. Deterministic; "
            "running it again on the same folder adds nothing."
        ),
    )
    p.add_argument("dir", metavar="DIR", help="snapshot store folder (or URL)")
    p.add_argument("--seed", type=int, default=7, help="demo world seed; default 7")
    p.add_argument("--ages", nargs="+", metavar="AGE", default=None,
                   help="post ages to ask at; default 1h 6h 24h 72h 7d 30d")  # fmt: skip
    p.add_argument("--profiles", nargs="+", metavar="KEY", default=None,
                   help="only these Profile-Keys (default: every demo profile)")  # fmt: skip
    p.add_argument("--platforms", nargs="+", metavar="NAME", help="only these networks")
    p.add_argument("--ids", nargs="+", metavar="ID", help="only these Ayrshare post ids")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    def handler(args: argparse.Namespace) -> int:
        from .sandbox.history import DEFAULT_AGES, demo_store

        store = demo_store(
            args.dir,
            seed=args.seed,
            ages=args.ages or DEFAULT_AGES,
            profiles=args.profiles or "all",
            post_ids=args.ids,
            platforms=args.platforms,
            progress=False if args.quiet else None,
        )
        rows = ", ".join(f"{t} {n}" for t, n in store.summary().select("table", "rows").rows())
        print(f"demo store {args.dir}: {rows} rows")
        return 0

    p.set_defaults(handler=handler)


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


def _register_track(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "track",
        help="poll posts into a snapshot store until stopped (Ctrl-C stops cleanly)",
        description=(
            "Poll posts into a snapshot store, asking each post and network only after its "
            "nextUpdate and within the rate limit. Ctrl-C finishes the batch in flight, writes "
            "it and stops; running the same command again continues without duplicates."
        ),
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--ids", nargs="+", metavar="ID", help="Ayrshare post ids")
    what.add_argument("--campaign", metavar="NAME", help="a campaign of --campaigns")
    what.add_argument("--last-days", type=int, metavar="N", help="everything posted in N days")
    p.add_argument("--campaigns", metavar="FILE", help="campaigns file (TOML) for --campaign")
    p.add_argument("--store", required=True, type=_store, metavar="PATH",
                   help="snapshot store folder or URL")  # fmt: skip
    p.add_argument("--platforms", nargs="+", metavar="NAME", help="only these networks")
    p.add_argument("--rounds", type=int, help="stop after N rounds")
    p.add_argument("--duration", type=lambda t: _span(t, 3650),
                   help="stop after this much real time (e.g. 30m, 2h)")  # fmt: skip
    p.add_argument("--min-interval", default="1h", type=lambda t: _span(t, 365),
                   help="re-ask networks without nextUpdate")  # fmt: skip
    p.add_argument("--max-interval", default="1d", type=lambda t: _span(t, 3650),
                   help="settled posts are asked less and less often, at least this often")  # fmt: skip
    p.add_argument("--no-thrift", action="store_true",
                   help="ask every network at each nextUpdate, errors and schedules aside")  # fmt: skip
    p.add_argument("--demo-speed", type=_speed, metavar="X",
                   help="demo sandbox only: simulated seconds per real second (e.g. 3600)")  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--profiles", nargs="+", metavar="KEY",
                   help="Profile-Keys to track, each at its own rate limit, in one process "
                   "(KEY,KEY or KEY KEY); default: AYRSHARE_PROFILE_KEY, else the primary "
                   "profile")  # fmt: skip
    p.add_argument("--shard", type=_shard, metavar="I/N",
                   help="track only shard I of N of the posts (I from 0): run N trackers, "
                   "0/N to N-1/N, on one store")  # fmt: skip

    def handler(args: argparse.Namespace) -> int:
        from .client import AyrshareClient
        from .tracking import track

        keys = _keys(args.profiles)
        clients = [AyrshareClient(profile_key=k) for k in keys] or [AyrshareClient()]
        if args.demo_speed is not None:
            for client in clients:
                if client.demo is None:
                    print("--demo-speed only applies to the demo sandbox", file=sys.stderr)
                    return 2
                client.demo.clock.set_speed(args.demo_speed)

        def report(result: object) -> None:
            if not args.quiet:
                print(f"  {result.summary()}", flush=True)  # type: ignore[attr-defined]

        options = dict(
            store=args.store, campaign=args.campaign, campaigns=args.campaigns,
            last_days=args.last_days, platforms=args.platforms, rounds=args.rounds,
            duration=args.duration, min_interval=args.min_interval,
            max_interval=args.max_interval, thrift=not args.no_thrift,
            progress=False if args.quiet else None, on_batch=report, shard=args.shard,
        )  # fmt: skip
        if len(clients) == 1:
            result = track(args.ids, client=clients[0], **options)  # type: ignore[call-overload]
            print(f"tracking ended: {result.summary()}; store: {args.store}")
            return 0
        # one tracker per profile, each in its thread at its profile's own rate limit
        handles = [
            track(args.ids, client=client, background=True, **options)  # type: ignore[call-overload]
            for client in clients
        ]
        try:
            while any(h.running for h in handles):
                handles[0].join(0.2)
                for h in handles:
                    h.join(0.01)
        except KeyboardInterrupt:
            print("stopping after the batches in flight", file=sys.stderr)
            for h in handles:
                h.stop(wait=False)
            for h in handles:
                h.join()
        failed = 0
        for n, h in enumerate(handles, 1):
            print(f"profile {n} of {len(handles)}: tracking ended: {h.result.summary()}")
            failed += h.error is not None
        print(f"store: {args.store}")
        return 1 if failed else 0

    p.set_defaults(handler=handler)


def _register_compact(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compact",
        help="merge the small files of each partition of a snapshot store into one",
        description=(
            "Merge each partition's files (platform and day) into one file, then delete the "
            "merged ones. Safe while trackers write to the store: files younger than --min-age "
            "are left for the next run, and reads count each row once meanwhile."
        ),
    )
    p.add_argument("store", type=_store, metavar="STORE", help="snapshot store folder or URL")
    p.add_argument("--tables", nargs="+", metavar="TABLE", help="only these tables")
    p.add_argument("--min-age", type=float, default=None, metavar="SECONDS",
                   help="leave files written less than this long ago; default 60")  # fmt: skip
    p.add_argument("--min-files", type=int, default=2, metavar="N",
                   help="merge a partition once it has at least N files; default 2")  # fmt: skip

    def handler(args: argparse.Namespace) -> int:
        from .store import COMPACT_MIN_AGE_S, SnapshotStore

        store = SnapshotStore(args.store)
        before = store.summary().select("table", "files").rows()
        merged = store.compact(
            args.tables,
            min_age=COMPACT_MIN_AGE_S if args.min_age is None else args.min_age,
            min_files=args.min_files,
        )
        after = dict(store.summary().select("table", "files").rows())
        for table, files in before:
            if table in merged:
                print(f"{table}: {files} -> {after[table]} files ({merged[table]} merged away)")
        return 0

    p.set_defaults(handler=handler)


def _register_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="run a curated notebook headless into reports/<name>.ipynb and .html",
        description=(
            "Execute a curated notebook (shipped with the package) with parameters (papermill), "
            "in the working folder, and write the executed notebook and a self-contained HTML "
            "report (code hidden, charts as inline SVG). "
            'Values of -p are text: lists as JSON (\'["tiktok","youtube"]\') or comma lists '
            "(tiktok,youtube); none/null means None."
        ),
    )
    p.add_argument(
        "name", nargs="+", help="report name(s), e.g. quickstart; 'all' runs the curated ones"
    )
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                   metavar=("KEY", "VALUE"), help="a notebook parameter (repeatable)")  # fmt: skip
    p.add_argument("-o", "--output", default="reports", help="output folder; default reports")

    def handler(args: argparse.Namespace) -> int:
        from .reports import (
            CURATED_REPORTS,
            ReportError,
            ReportParameterError,
            available_reports,
            check_report_parameters,
            parse_parameter,
            run_report,
            shared_demo_history,
            split_parameters,
        )

        names = list(CURATED_REPORTS) if args.name == ["all"] else args.name
        unknown = [n for n in names if n not in available_reports()]
        if unknown:
            print(
                f"ayr-analysis report: error: unknown report {unknown[0]!r}; available: "
                f"{', '.join(available_reports())} (or all)",
                file=sys.stderr,
            )
            return 2
        params: dict[str, object] = {}
        try:
            for key, value in args.parameter:
                if key in params:
                    raise ReportParameterError(f"-p {key} is given twice: give it once")
                params[key] = parse_parameter(key, value)
            # each report gets the parameters its notebook takes (one set for 'all'), and
            # every report is checked before the first one runs
            own = split_parameters(names, params) if len(names) > 1 else {names[0]: params}
            for name in names:
                check_report_parameters(name, own[name], args.output)
        except ReportParameterError as exc:
            print(f"ayr-analysis report: error: {exc}", file=sys.stderr)
            return 2
        # the demo world's history, recorded once for the reports that read it
        history = shared_demo_history(
            names, own, args.output,
            on_record=lambda: print("recording the demo world's history once ...", flush=True),
        )  # fmt: skip
        for name in names:
            print(f"running {name} ...", flush=True)
            try:
                nb, html = run_report(name, own[name], args.output, demo_history=history)
            except ReportError as exc:  # one line; the executed notebook holds the traceback
                print(f"ayr-analysis report: error: {exc}", file=sys.stderr)
                return 1
            print(f"  {html}\n  {nb}", flush=True)
        return 0

    p.set_defaults(handler=handler)


def _register_notebooks(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "notebooks",
        help="copy the curated notebooks into a folder, to edit or run them in JupyterLab",
        description=(
            "Copy the curated notebooks shipped with the package (the reports and the live "
            "monitor) into DIR (made if missing). Existing files are left alone, and nothing is "
            "written, unless --force is given."
        ),
    )
    p.add_argument("dir", metavar="DIR", help="the folder to copy them into")
    p.add_argument("--force", action="store_true", help="overwrite notebooks already in DIR")

    def handler(args: argparse.Namespace) -> int:
        from .reports import copy_notebooks

        written = copy_notebooks(args.dir, force=args.force)  # FileExistsError: main says so
        for path in written:
            print(path)
        print(f"{len(written)} notebook(s) written to {args.dir}")
        return 0

    p.set_defaults(handler=handler)


# Each registrar adds one subcommand (and its handler) to the parser.
REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [
    _register_version,
    _register_sandbox,
    _register_demo_store,
    _register_campaigns,
    _register_track,
    _register_compact,
    _register_report,
    _register_notebooks,
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
    from .errors import AyrshareError

    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (AyrshareError, ValueError, OSError) as exc:  # clear message, no traceback
        print(f"ayr-analysis {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
