"""Benchmark: what each attack of a hostile HTTP server costs the client.

    .venv/bin/python bench/bench_hostile.py [--quick] [--smoke] [--repeat N]

Serves each attack of ``tests/hostile_server.py`` on 127.0.0.1 (an endless body, a trickle, a
huge body, a gzip bomb, absurd rate-limit headers, nested JSON, a byte that is not UTF-8) and
points a live client at it in a fresh interpreter, which reports the error it ended with, the
wall time of the call and the growth of its peak resident memory (VmHWM from /proc/self/status,
read before and after the call). The server counts the requests it was sent. The settings are
the defaults (response cap 50 MB, deadline four timeouts), except where the table says: the
trickles run with a 1 s timeout and a 3 s deadline, the 429 attacks with a 1 s rate window (so
that a bulk fetch of 20 posts runs in seconds instead of 5-minute windows).

The baseline is the client as it was before these limits, measured by the same harness
(docs/RELIABILITY.md gives both); this script measures the current client only. Full mode runs
each attack ``--repeat`` times (3) and keeps the median time and the largest memory growth;
quick mode once; smoke mode two fast attacks once.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import _common  # noqa: E402
from hostile_server import HostileServer, run_client  # noqa: E402

FAST = {"AYRSHARE_TIMEOUT": "1", "AYRSHARE_DEADLINE": "3"}
WINDOW_1S = {"AYRSHARE_RATE_WINDOW": "1"}

#: (attack, call, extra settings, what the row shows)
CASES = [
    ("endless", "post", {}, "endless body (no length)"),
    ("huge", "post", {}, "200 MB body, length announced"),
    ("huge_unannounced", "post", {}, "200 MB body, no length"),
    ("gzip_bomb", "post", {}, "gzip bomb: 0.4 MB -> 400 MB"),
    ("trickle", "post", FAST, "1 byte every 0.5 s (body)"),
    ("trickle_headers", "post", FAST, "1 byte every 0.5 s (headers)"),
    ("nested", "post", {}, "JSON nested 100,000 deep"),
    ("nested_error", "post", {"AYRSHARE_MAX_RETRIES": "0"}, "503 body nested 100,000 deep"),
    ("bad_utf8", "post", {}, "one byte not UTF-8 in a 200"),
    ("retry_after_huge", "bulk20", WINDOW_1S, "429 Retry-After: 999999999, 20 posts"),
    ("retry_after_inf", "bulk20", WINDOW_1S, "429 Retry-After: inf, 20 posts"),
    ("retry_after_2100", "bulk20", WINDOW_1S, "429 Retry-After: a date in 2100, 20 posts"),
    ("reset_huge", "bulk20", WINDOW_1S, "429 x-ratelimit-reset: 99999999999, 20 posts"),
    ("count_huge", "bulk3", {}, "x-ratelimit-count: 100000000, 3 posts"),
]
SMOKE = ("nested", "bad_utf8")


def outcome(out: dict) -> str:
    if "error" in out:
        return out["error"]
    text = out.get("result", "")
    errors = out.get("errors") or []
    return text.split(";")[0] + (f" ({', '.join(errors)})" if errors else "")


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3, help="runs per attack in full mode")
    args = p.parse_args()
    mode = _common.mode_of(args)
    _common.header("hostile server", mode, "httpx", "httpcore")
    repeat = args.repeat if mode == "full" else 1
    cases = [c for c in CASES if mode != "smoke" or c[0] in SMOKE]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, call, env, label in cases:
            runs, requests = [], 0
            for _ in range(repeat):
                with HostileServer(name) as srv:
                    full = {"AYRSHARE_PACING_DIR": str(Path(tmp) / "pacing"), **env}
                    runs.append(run_client(srv.base_url, call, env=full, timeout=180))
                    requests = max(requests, srv.requests)
            seconds = statistics.median(r["seconds"] for r in runs)
            peaks = [r["peak_mb"] for r in runs if r.get("peak_mb") is not None]
            rows.append(
                [
                    label,
                    outcome(runs[-1]),
                    f"{seconds:.2f}",
                    f"{max(peaks):.1f}" if peaks else "?",
                    requests,
                ]  # fmt: skip
            )
            _common.flush()
    print(_common.table(rows, ["attack", "the client ends with", "time s", "peak +MB", "requests"]))


if __name__ == "__main__":
    main()
