"""``AnalyticsFrames.to_pandas()``: the six frames as pandas DataFrames with nullable types, and a
clear message naming the extra to install when pandas is missing."""

from __future__ import annotations

import sys

import pandas as pd
import polars as pl
import pytest

import ayr_analysis as ayr
from ayr_analysis import schema
from ayr_analysis.normalize import AnalyticsFrames

NAMES = ["long", "wide", "reactions", "breakdowns", "errors", "posts"]


@pytest.fixture(scope="module")
def frames() -> AnalyticsFrames:
    posts = ayr.history(last_days=0)
    ids = posts["post_id"].unique(maintain_order=True).head(6).to_list()
    return ayr.fetch_post_analytics([*ids, "no-such-post"], progress=False, posts=posts)


def test_every_frame_becomes_a_pandas_frame_with_the_same_rows_and_columns(frames):
    dfs = frames.to_pandas()
    assert list(dfs) == NAMES
    for name in NAMES:
        polars_frame = getattr(frames, name)
        assert isinstance(dfs[name], pd.DataFrame)
        assert list(dfs[name].columns) == polars_frame.columns
        assert len(dfs[name]) == polars_frame.height
    assert len(dfs["wide"]) > 5 and len(dfs["posts"]) > 0
    errors = dfs["errors"].set_index("post_id")
    assert int(errors.loc["no-such-post", "code"]) == 186
    assert int(errors.loc["no-such-post", "http_status"]) == 404


def test_not_reported_stays_missing_and_counts_stay_integers(frames):
    wide = frames.wide
    df = frames.to_pandas()["wide"]
    assert str(df["likes"].dtype) == "Int64" and str(df["platform"].dtype) == "string"
    assert str(df["watch_time_s"].dtype) == "Float64"
    assert str(df["observed_at"].dtype) == "datetime64[us, UTC]"
    for metric in ("likes", "views", "shares"):  # each has nulls and zeros in these posts
        values = wide[metric].to_list()
        assert None in values and 0 in values
        assert df[metric].isna().tolist() == [v is None for v in values]
        assert [None if pd.isna(v) else int(v) for v in df[metric]] == values
    # the same values as polars, row by row
    back = pl.from_pandas(df[["post_id", "platform", "likes"]])
    assert back.rows() == wide.select("post_id", "platform", "likes").rows()


def test_empty_frames_keep_their_columns():
    dfs = AnalyticsFrames.empty().to_pandas()
    assert all(len(df) == 0 for df in dfs.values())
    assert list(dfs["wide"].columns) == schema.WIDE_SCHEMA.names()
    assert str(dfs["wide"]["likes"].dtype) == "Int64"


@pytest.mark.parametrize("missing", ["pandas", "pyarrow"])
def test_a_missing_pandas_names_the_extra_to_install(monkeypatch, missing):
    frames = AnalyticsFrames.empty()
    monkeypatch.setitem(sys.modules, missing, None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'ayr-analysis\[pandas\]'") as caught:
        frames.to_pandas()
    assert f"{missing} is not installed" in str(caught.value)
