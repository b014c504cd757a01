"""Seams: the package plugs its parts together through public names, and the demo through one
object.

The scan reads the source (no import) of every module outside the client package and the sandbox
(which own their private state) and fails on ``something._name`` where ``something`` is not
``self`` or ``cls``: reaching into another object's private state ties two modules together
behind their public interface. Dunder names and IPython's display protocol (``_repr_*_``) are
public by convention; any other exception is listed in :data:`ALLOWED` with the reason.
"""

from __future__ import annotations

import ast
import time
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from ayr_analysis import AyrshareClient, SnapshotStore, history, track
from ayr_analysis.sandbox import UNLIMITED, Demo, VirtualClock

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "ayr_analysis"

#: Packages that own the private state they touch: the client (its faces share one core) and
#: the sandbox (the simulated server behind :class:`~ayr_analysis.sandbox.Demo`).
EXEMPT: tuple[str, ...] = ("ayr_analysis/client/", "ayr_analysis/sandbox/")

#: ``(the expression before the dot, the private name) -> why it is allowed``.
ALLOWED: dict[tuple[str, str], str] = {
    ("argparse", "_SubParsersAction"): (
        "the type add_subparsers() returns; argparse gives it no public name (annotations only)"
    ),
    ("super()", "_async_launch_kernel"): (
        "jupyter_client's KernelManager documents this method as the one to override in a "
        "subclass to launch kernels differently (reports: the kernel's stderr sent nowhere)"
    ),
}


def _display_protocol(name: str) -> bool:
    """IPython's rich display methods (``_repr_html_``, ``_repr_mimebundle_``, ...)."""
    return name.startswith("_repr_") and name.endswith("_") and len(name) > len("_repr__")


def private_reaches(source: str, filename: str = "<source>") -> list[str]:
    """``"file:line: expr._name"`` for every access of another object's private attribute."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        name = node.attr
        if name.startswith("__") and name.endswith("__"):
            continue
        if _display_protocol(name):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        if (ast.unparse(owner), name) in ALLOWED:
            continue
        found.append((node.lineno, f"{filename}:{node.lineno}: {ast.unparse(node)}"))
    return [text for _, text in sorted(found)]


def scanned_files() -> list[str]:
    files = (p.relative_to(REPO).as_posix() for p in sorted(PACKAGE.rglob("*.py")))
    return [f for f in files if not f.startswith(EXEMPT)]


def test_the_scan_finds_reaches_and_ignores_the_rest():
    code = '''
"""A docstring may say client._transport freely."""
import argparse

def f(client, widget, sub: argparse._SubParsersAction) -> None:
    # a comment about x._private is fine too
    clock = client._transport.clock
    widget._repr_mimebundle_()
    client.__class__
    return self._mine, cls._theirs, other._value
'''
    assert private_reaches(code, "x.py") == ["x.py:7: client._transport", "x.py:10: other._value"]


def test_every_exemption_exists():
    for prefix in EXEMPT:
        assert (REPO / prefix).is_dir(), f"{prefix} is gone: update EXEMPT in {__file__}"


@pytest.mark.parametrize("path", scanned_files())
def test_no_module_reaches_into_another_objects_private_state(path):
    found = private_reaches((REPO / path).read_text(encoding="utf-8"), path)
    assert not found, (
        f"{path} uses private attributes of other objects; use (or add) a public property or "
        "function instead (for demo time: client.demo.clock):\n" + "\n".join(found)
    )


# --------------------------------------------------------------------------- the demo seam


def test_a_client_given_a_demo_paces_to_its_limits():
    demo = Demo(rate_limit=2, rate_window=0.5)
    client = AyrshareClient(demo=demo)
    assert client.demo is demo and client.is_demo
    assert (client.rate_limiter.limit, client.rate_limiter.window) == (2, 0.5)
    start = time.monotonic()
    for _ in range(5):  # 5 requests at 2 per 0.5 s: at least two full windows
        client.history(limit=1)
    assert time.monotonic() - start >= 0.9
    stats = demo.transport().app.stats()
    assert stats["requests"] == 5 and stats["rate_limited"] == 0
    client.close()


def test_tracking_runs_on_the_demos_clock(tmp_path):
    clock = VirtualClock(speed=0.0)  # frozen: nothing becomes due after the first round
    demo = Demo(clock=clock)
    client = AyrshareClient(demo=demo)
    assert client.demo.clock is clock
    posts = history(client=client, last_days=3).filter(pl.col("status") == "success")
    ids = posts["post_id"].unique(maintain_order=True).head(2).to_list()
    store = SnapshotStore(tmp_path / "snaps")
    first = track(ids, store=store, client=client, progress=False)
    assert first.requests == len(ids) and "frozen" in first.stopped
    assert track(ids, store=store, client=client, progress=False).requests == 0
    # moving the demo's clock past the next updates makes the posts due again
    clock.advance(timedelta(hours=7))
    assert track(ids, store=store, client=client, rounds=1, progress=False).requests == len(ids)
    # and another clock is one argument
    later = VirtualClock(start=clock.now() + timedelta(hours=7))
    again = track(ids, store=store, client=client, rounds=1, progress=False, clock=later)
    assert again.requests == len(ids)


def test_a_frozen_demos_headers_are_believed_without_a_warning(caplog):
    # its "no limit" is the highest limit a client believes: a larger x-ratelimit-max would be
    # ignored with a warning on every report and dashboard run on demo data
    client = AyrshareClient(demo=Demo.frozen())
    with caplog.at_level("WARNING", logger="ayr_analysis"):
        client.history(limit=1)
    assert not [r for r in caplog.records if "ignored the server" in r.getMessage()]
    assert client.rate_limiter.limit == UNLIMITED
    client.close()


def test_clients_of_one_demo_share_its_world_and_clock():
    demo = Demo.frozen()
    a, b = AyrshareClient(demo=demo), AyrshareClient(demo=demo)
    assert a.demo.transport() is b.demo.transport()
    demo.clock.advance(timedelta(days=1))
    assert b.demo.clock.now() == demo.world.now + timedelta(days=1)
    assert Demo.default() is not demo and AyrshareClient(source="demo").demo is Demo.default()


# --------------------------------------------------------------------------- the tracking scheduler


def test_track_return_type_follows_background():
    import typing

    overloads = [o.__annotations__ for o in typing.get_overloads(track)]
    returns = {o["background"]: o["return"] for o in overloads}
    assert returns == {
        "Literal[False]": "TrackResult",
        "Literal[True]": "TrackHandle",
        "bool": "TrackResult | TrackHandle",
    }


def test_a_tracker_schedules_on_the_clock_it_is_given(tmp_path):
    from ayr_analysis.tracking import Tracker

    client = AyrshareClient(demo=Demo.frozen())
    posts = history(client=client, last_days=3).filter(pl.col("status") == "success")
    ids = posts["post_id"].unique(maintain_order=True).head(3).to_list()
    real = [0.0]  # the tracker's clock: 60 simulated seconds per real second, moved by hand
    at = VirtualClock(start=client.demo.clock.now(), speed=60.0, monotonic=lambda: real[0])
    store = SnapshotStore(tmp_path / "s")
    tracker = Tracker(client, store, ids, posts=posts, clock=at, progress=False)
    tracker.start()
    assert tracker.speed == 60.0 and tracker.due(at.now()) == {None: ids}
    assert tracker.run_round(at.now()) and tracker.result.requests == len(ids)
    assert tracker.due(at.now()) == {}  # every network answered with a later nextUpdate
    earliest = tracker.earliest()
    assert earliest is not None and earliest > at.now()
    assert tracker.wait() == ((earliest - at.now()).total_seconds() / 60.0, "")
    real[0] += tracker.wait()[0]  # that many real seconds later, something is due
    assert abs((at.now() - earliest).total_seconds()) < 0.001
    assert tracker.due(earliest)
