"""Alerts while tracking: ``on_alert`` gets each new crossing once, and its errors never stop
tracking."""

from __future__ import annotations

import logging

import polars as pl
import pytest
from synthetic import wide_frame
from test_expected import T0, H, _take_off, post_rows, regular_posts

from ayr_analysis import AyrshareClient, SnapshotStore, track
from ayr_analysis.errors import ValidationError
from ayr_analysis.sandbox import Demo
from ayr_analysis.tracking import Tracker

EVERY_6H = [1, *range(6, 169, 6)]


def _store(tmp_path, rocket_ages) -> SnapshotStore:
    store = SnapshotStore(tmp_path / "store")
    rows = regular_posts([1000 + 400 * i for i in range(11)])
    rows += post_rows("rocket", T0, _take_off, ages_h=rocket_ages)
    store.append({"wide": wide_frame(rows)}, source="demo")
    return store


def _more(store: SnapshotStore, ages) -> None:
    store.append({"wide": wide_frame(post_rows("rocket", T0, _take_off, ages_h=ages))})


def _tracker(store, on_alert) -> Tracker:
    client = AyrshareClient(demo=Demo())
    return Tracker(client, store, ["rocket"], progress=False, on_alert=on_alert)


def test_each_new_crossing_is_reported_once(tmp_path):
    store = _store(tmp_path, [a for a in EVERY_6H if a <= 30])  # still typical
    got: list[dict] = []
    tracker = _tracker(store, got.append)
    tracker.start()
    tracker.report_alerts()
    assert got == []
    _more(store, [a for a in EVERY_6H if 30 < a <= 48])  # takes off at 36 h
    tracker.report_alerts()
    assert len(got) == 1
    assert (got[0]["post_id"], got[0]["kind"], got[0]["direction"]) == ("rocket", "band", "above")
    assert got[0]["since"] == T0 + 36 * H
    assert got[0]["value"] > got[0]["high"]
    _more(store, [a for a in EVERY_6H if 48 < a <= 72])  # 72 h: its forecast for 7 d is out too
    tracker.report_alerts()
    assert len(got) == 2
    ahead = got[1]
    assert (ahead["kind"], ahead["direction"], ahead["since"]) == ("forecast", "above", T0 + 72 * H)
    assert ahead["forecast"] > ahead["high"] and ahead["horizon"] == "7d"
    _more(store, [a for a in EVERY_6H if a > 72])  # still above: the same crossings
    tracker.report_alerts()
    assert len(got) == 2
    assert tracker.result.alerts == 2
    # a restart on the same store does not report it again
    again: list[dict] = []
    restarted = _tracker(store, again.append)
    restarted.start()
    restarted.report_alerts()
    assert again == []


def test_band_crossings_only_without_alert_forecast(tmp_path):
    store = _store(tmp_path, EVERY_6H)
    got: list[dict] = []
    client = AyrshareClient(demo=Demo())
    tracker = Tracker(client, store, ["rocket"], progress=False, on_alert=got.append,
                      alert_forecast=None)  # fmt: skip
    tracker.report_alerts()
    assert [(a["kind"], a["since"]) for a in got] == [("band", T0 + 36 * H)]


def test_an_error_in_on_alert_is_logged_and_tracking_goes_on(tmp_path, caplog):
    store = _store(tmp_path, [a for a in EVERY_6H if a <= 48])  # one crossing: the band's

    def broken(alert: dict) -> None:
        raise RuntimeError("the chat webhook is down")

    tracker = _tracker(store, broken)
    with caplog.at_level(logging.ERROR, logger="ayr_analysis"):
        tracker.report_alerts()  # no exception
    assert tracker.result.alert_errors == 1
    assert "on_alert raised for post rocket" in caplog.text
    assert "1 alerts (1 raised in on_alert)" in tracker.result.summary()
    tracker.report_alerts()  # the crossing was handed over once: not again
    assert tracker.result.alert_errors == 1
    assert store.read("wide").filter(pl.col("post_id") == "rocket").height == len(
        [a for a in EVERY_6H if a <= 48]
    )


def test_track_runs_a_round_with_on_alert(tmp_path):
    got: list[dict] = []
    run = track(
        last_days=2, store=SnapshotStore(tmp_path / "s"), rounds=1, progress=False,
        on_alert=got.append, alert_metric="likes",
    )  # fmt: skip
    assert run.rounds == 1 and run.snapshots > 0
    assert run.alerts == len(got)  # two days of history: few or no alerts, never a crash


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on_alert": "print"}, "on_alert must be a function"),
        ({"on_alert": print, "alert_metric": "vibes"}, "alert_metric='vibes' is not a metric"),
        ({"on_alert": print, "alert_band": "5-95"}, "alert_band='5-95'"),
        ({"on_alert": print, "alert_forecast": "soon"}, "alert_forecast='soon'"),
        ({"on_alert": print, "alert_forecast": "1h"}, "later than the first age"),
    ],
)
def test_bad_alert_arguments_fail_before_any_request(tmp_path, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        track(["abc123"], store=tmp_path / "s", rounds=1, progress=False, **kwargs)
