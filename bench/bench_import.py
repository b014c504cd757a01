"""Benchmark: import time of the package, against importing its two core dependencies.

    .venv/bin/python bench/bench_import.py [--quick]

Each case runs in a fresh interpreter (``python -c ...``), several times, alternating cases; the
median wall time of the whole subprocess is kept, and the bare interpreter start-up (``python -c
pass``) is subtracted. Cases:

* baseline: ``import polars, httpx``;
* ours: ``import ayr_analysis``;
* ours, first use: ``import ayr_analysis; ayr_analysis.normalize; ayr_analysis.AyrshareClient``.

It also checks which heavy modules each case loaded: charts and widgets (altair, ipywidgets)
and the rest (pandas, pyarrow, duckdb) must not be imported until used. Target: ours within 1.5x
of polars + httpx. ``python -X importtime -c "import ayr_analysis"`` shows where the time goes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

HEAVY = ("altair", "ipywidgets", "pandas", "pyarrow", "duckdb", "IPython", "tqdm")
REPORT = f"import sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"

CASES = {
    "start-up: python -c pass": "pass",
    "baseline: import polars, httpx": "import polars, httpx",
    "ours: import ayr_analysis": "import ayr_analysis",
    "ours: + first use (normalize, AyrshareClient)": (
        "import ayr_analysis; ayr_analysis.normalize; ayr_analysis.AyrshareClient"
    ),
}


def run(code: str, report: bool = False) -> tuple[float, list[str]]:
    full = f"{code}; {REPORT}" if report else code
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", full], check=True, capture_output=True, text=True
    ).stdout
    wall = time.perf_counter() - t0
    return wall, (json.loads(out.strip().splitlines()[-1]) if report else [])


def main(argv: list[str] | None = None) -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, help="runs per case (full 15, quick 7)")
    args = p.parse_args(argv)
    mode = _common.mode_of(args)
    repeat = args.repeat or (1 if args.smoke else 7 if args.quick else 15)
    _common.header("import time in a fresh interpreter", mode, "polars", "httpx")
    for code in CASES.values():  # warm the file cache once
        run(code)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(repeat):
        for name, code in CASES.items():
            times[name].append(run(code)[0])
    base = _common.median(times["start-up: python -c pass"])
    loaded = {name: run(code, report=True)[1] for name, code in CASES.items()}
    med = {name: _common.median(v) - base for name, v in times.items()}
    ref = med["baseline: import polars, httpx"]
    rows = []
    for name in CASES:
        if name.startswith("start-up"):
            rows.append([name, f"{base * 1000:.0f} (subtracted below)", "-", "-"])
            continue
        ms = med[name] * 1000
        rows.append(
            [
                name,
                f"{ms:.0f}" if ms >= 10 else f"{ms:.0f} (within start-up noise)",
                f"{med[name] / ref:.2f}",
                ", ".join(loaded[name]) or "none",
            ]  # fmt: skip
        )
    print(_common.table(rows, [f"case (median of {repeat})", "ms", "x baseline", "heavy modules"]))
    ours = med["ours: import ayr_analysis"] / ref
    first_use = med["ours: + first use (normalize, AyrshareClient)"] / ref
    lazy = not {"altair", "ipywidgets"} & set(
        loaded["ours: + first use (normalize, AyrshareClient)"]
    )
    if not args.smoke:
        print(
            f"target (import within 1.5x of polars+httpx): {'met' if ours <= 1.5 else 'MISSED'} "
            f"({ours:.2f}x; first use {first_use:.2f}x); charts/widgets not imported until used: "
            f"{'yes' if lazy else 'NO'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
