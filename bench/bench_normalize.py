"""Benchmark: normalising N analytics answers, against pandas and against JSON decoding alone.

    .venv/bin/python bench/bench_normalize.py [--quick] [--sizes 10000 100000]

The answers are the sandbox world's raw ``/analytics/post`` answers (every network, X threads,
failed networks), varied: each copy gets its own post id and its counts scaled by a random
factor (shares of a whole, TikTok's breakdowns, are kept as sent: scaled, they would pass 100%). Three ways over the same bodies, in one run:

* floor: ``json.loads`` of every body, as text (the standard library's reading of the JSON);
* pandas: ``json.loads`` + ``pandas.json_normalize`` of every network entry + ``melt`` to a long
  table of numeric fields (a typical hand-written pipeline; it does not map fields to canonical
  metrics, convert units, or split reactions, breakdowns and errors as ours does);
* ours: every body decoded as the client decodes an answer (bytes, through
  ``ayr_analysis.client.bounds.decode_json``: msgspec, with ``json.loads`` for what msgspec
  refuses, and the nesting check) + ``ayr_analysis.normalize(answers)`` (all six frames).

Each way runs once per round, the rounds interleaved, and its best time is kept; freeing the
decoded answers is timed for none of them (see ``rounds``). An extra row times ``normalize``
alone, on answers decoded beforehand, and another the client's decoding alone.

With ``--cpu`` every way is timed in CPU seconds of the process (``time.process_time``: polars'
worker threads included) instead of wall-clock seconds: on a shared machine whose other work
takes the cores, wall-clock times measure the neighbours as much as the code.

Each is reported as a ratio to the floor. Target: ours within 3x of the floor, faster than pandas.
Needs pandas (``pip install -e '.[bench]'``, done by ``make bench``); without it that line says so.
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

FETCHED_AT = datetime(2026, 11, 20, 12, tzinfo=UTC)
#: what times every way: wall-clock seconds, or CPU seconds with --cpu
clock = time.perf_counter


def raw_answers() -> list[dict]:
    """Every Ayrshare post's raw answer from the sandbox (as the primary or its own profile)."""
    from ayr_analysis.sandbox import DEMO_API_KEY, DEMO_X_API_KEY, DEMO_X_API_SECRET, SandboxApp
    from ayr_analysis.sandbox.app import ApiRequest

    app = SandboxApp()
    world = app.world
    answers = []
    for post in world.ayrshare_posts():
        if post.publish_at > world.now:
            continue
        headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
        profile = world.profiles[post.profile]
        if not profile.primary:
            headers["Profile-Key"] = profile.profile_key
        if len(answers) % 5:  # most with the X keys, some without (X answers an error then)
            headers["X-Twitter-OAuth1-Api-Key"] = DEMO_X_API_KEY
            headers["X-Twitter-OAuth1-Api-Secret"] = DEMO_X_API_SECRET
        body = json.dumps({"id": post.id}).encode()
        answer = app.handle(ApiRequest.build("POST", "/api/analytics/post", "", headers, body))
        if answer.status == 200:
            answers.append(answer.json())
    return answers


def _scaled(value, factor: float):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value * factor)
    if isinstance(value, float):
        return value * factor
    if isinstance(value, dict):
        if "percentage" in value:  # a share of a whole (TikTok's breakdowns): not a count
            return value
        return {k: _scaled(v, factor) for k, v in value.items()}
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    return value


def bodies(n: int, seed: int = 7) -> list[str]:
    """``n`` JSON bodies: the raw answers, varied (new ids, counts scaled), mixed in order."""
    rng = random.Random(seed)
    templates = raw_answers()
    variants = []
    for k in range(max(1, min(n, 2000) // len(templates))):  # a few thousand distinct variants
        for t in templates:
            v = _scaled(t, rng.uniform(0.5, 2.0)) if k else t
            variants.append((t["id"], json.dumps(v, separators=(",", ":"))))
    rng.shuffle(variants)
    out = []
    for i in range(n):
        pid, text = variants[i % len(variants)]
        out.append(text.replace(f'"{pid}"', f'"{pid}-{i}"', 1))
    return out


def floor(texts: list[str]) -> list[dict]:
    return [json.loads(t) for t in texts]


class Bodies(list):
    """The bodies as text, and as the bytes the client receives (``raw``), encoded once,
    outside every timing."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__(texts)
        self.raw = [t.encode() for t in texts]


def client_decode(texts: list[str]) -> list[dict]:
    """The bodies decoded as the client decodes answers (from the bytes it receives)."""
    from ayr_analysis.client.bounds import decode_json

    raw = texts.raw if isinstance(texts, Bodies) else [t.encode() for t in texts]
    return [decode_json(b) for b in raw]


def ours(texts: list[str]):
    answers = client_decode(texts)
    return answers, normalize_only(answers)


def pandas_pipeline(texts: list[str]):
    import pandas as pd

    from ayr_analysis.schema import PLATFORMS

    networks = set(PLATFORMS)
    rows = []
    answers = [json.loads(t) for t in texts]
    for answer in answers:
        for net, entry in answer.items():
            if net not in networks:
                continue
            for pos, item in enumerate(entry if isinstance(entry, list) else [entry]):
                if isinstance(item, dict) and isinstance(item.get("analytics"), dict):
                    rows.append(
                        {
                            "post_id": answer.get("id"),
                            "platform": net,
                            "thread_position": pos,
                            "social_id": item.get("id"),
                            "observed_at": item.get("lastUpdated"),
                            "analytics": item["analytics"],
                        }
                    )
    wide = pd.json_normalize(rows, sep=".")
    wide["observed_at"] = pd.to_datetime(wide["observed_at"], utc=True, format="ISO8601")
    ids = ["post_id", "platform", "thread_position", "social_id", "observed_at"]
    long = wide.melt(id_vars=ids, var_name="field", value_name="raw_value")
    long["raw_value"] = pd.to_numeric(long["raw_value"], errors="coerce")
    long = long.dropna(subset=["raw_value"])
    long["field"] = long["field"].str.removeprefix("analytics.")
    return answers, long


def rounds(
    ways: dict[str, object], texts: list[str], repeat: int
) -> tuple[dict[str, float], dict[str, str]]:
    """The best time of each way over ``repeat`` rounds, and the rows its result had; in each
    round every way runs once, one after the other (so a busy moment of a shared machine hits
    them all alike, not one).

    Every way hands back the answers it decoded with its result, so that freeing them (tens
    of milliseconds for 10,000 answers) falls outside the timing for all three alike: the
    floor's own result is the decoded answers, never freed inside its timing."""
    best = dict.fromkeys(ways, float("inf"))
    row_counts: dict[str, str] = {}
    for _ in range(repeat):
        for name, fn in ways.items():
            gc.collect()
            t0 = clock()
            result = fn(texts)
            best[name] = min(best[name], clock() - t0)
            row_counts[name] = _size(result)
            result = None  # freed before the next way runs
    return best, row_counts


def _size(result: object) -> str:
    if isinstance(result, list):
        return "-"
    if isinstance(result, tuple):  # (the decoded answers, the result)
        result = result[-1]
    long, wide = getattr(result, "long", result), getattr(result, "wide", None)
    return f"long {len(long):,}" + (f", wide {len(wide):,}" if wide is not None else "")


def normalize_only(answers: list[dict]):
    from ayr_analysis.normalize import normalize

    return normalize(answers, fetched_at=FETCHED_AT)


def timed_normalize_only(texts: list[str], repeat: int) -> float:
    """``normalize`` alone, on answers decoded beforehand (as the client does; not timed)."""
    best = float("inf")
    for _ in range(repeat):
        answers = client_decode(texts)
        gc.collect()
        t0 = clock()
        normalize_only(answers)
        best = min(best, clock() - t0)
        answers = None
    return best


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", help="numbers of answers (full: 10000 100000)")
    p.add_argument(
        "--repeat", type=int, help="rounds per size, best kept (10,000 answers: 5; 100,000: 2)"
    )
    p.add_argument(
        "--cpu", action="store_true", help="time in CPU seconds of the process, not wall-clock"
    )
    args = p.parse_args(argv)
    global clock
    clock = time.process_time if args.cpu else time.perf_counter
    mode = _common.mode_of(args)
    if args.smoke:
        sizes = args.sizes or [200]
    elif args.quick:
        sizes = args.sizes or [10_000]
    else:
        sizes = args.sizes or [10_000, 100_000]

    def repeat_for(n: int) -> int:
        if args.repeat:
            return args.repeat
        return 1 if args.smoke else 5 if n <= 20_000 else 2

    _common.header("normalise: answers to frames", mode, "polars", "pandas")
    try:
        import pandas  # noqa: F401

        have_pandas = True
    except ImportError:
        have_pandas = False
        print("pandas: not installed (pip install -e '.[bench]'); its line is skipped")
    ours(bodies(50))  # warm up imports (polars, the platform modules)
    if have_pandas:
        pandas_pipeline(bodies(50))
    rows = []
    verdicts = []
    for n in sizes:
        texts = Bodies(bodies(n))
        repeat = repeat_for(n)
        mb = sum(map(len, texts)) / 1e6
        ways = {"floor": floor, "ours": ours, "decode": client_decode}
        if have_pandas:
            ways["pandas"] = pandas_pipeline
        best, row_counts = rounds(ways, texts, repeat)
        t_floor, t_ours = best["floor"], best["ours"]
        t_alone = timed_normalize_only(texts, repeat)
        rows.append([f"{n:,}", "floor: json.loads", repeat, f"{t_floor:.2f}", "1.00", "-"])
        if have_pandas:
            t_pd = best["pandas"]
            rows.append(
                [f"{n:,}", "pandas: json.loads + json_normalize + melt", repeat, f"{t_pd:.2f}",
                 f"{t_pd / t_floor:.2f}", row_counts["pandas"]]
            )  # fmt: skip
        rows.append(
            [f"{n:,}", "ours: decode as the client + normalize", repeat, f"{t_ours:.2f}",
             f"{t_ours / t_floor:.2f}", row_counts["ours"]]
        )  # fmt: skip
        rows.append(
            [f"{n:,}", "(ours: normalize alone, answers decoded)", repeat, f"{t_alone:.2f}",
             f"{t_alone / t_floor:.2f}", "-"]
        )  # fmt: skip
        t_dec = best["decode"]
        rows.append(
            [f"{n:,}", "(ours: the client's decoding alone)", repeat, f"{t_dec:.2f}",
             f"{t_dec / t_floor:.2f}", "-"]
        )  # fmt: skip
        print(f"{n:,} answers: {mb:.0f} MB of JSON", flush=True)
        ok = t_ours <= 3 * t_floor and (not have_pandas or t_ours < best["pandas"])
        verdicts.append(f"{n:,}: {'met' if ok else 'MISSED'} ({t_ours / t_floor:.2f}x)")
    unit = "best, CPU s" if args.cpu else "best, s"
    print(_common.table(rows, ["answers", "way", "rounds", unit, "x floor", "rows"]))
    if not args.smoke:
        print(
            "target (decode + normalize <= 3x json.loads, and faster than pandas): "
            + "; ".join(verdicts)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
