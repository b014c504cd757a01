"""Metrics: hand-computed rates, equal-age interpolation, growth, intervals and comparisons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from synthetic import T0, snapshots, wide_frame

from ayr_analysis.metrics import (
    at_age,
    best_time_to_post,
    bootstrap_median,
    compare,
    engagement_rate,
    growth,
    half_life,
    parse_duration,
    top_posts,
    wilson,
)

H = timedelta(hours=1)


# --------------------------------------------------------------------------- intervals


def test_wilson_matches_the_textbook_value():
    low, high = wilson(20, 100)
    assert (round(low, 4), round(high, 4)) == (0.1334, 0.2888)
    low, high = wilson(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    assert wilson(20, 100, confidence=0.99)[0] < wilson(20, 100)[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((5, 0), "trials must be positive"),
        ((11, 10), "between 0 and trials"),
        ((1, 10, 1.5), "confidence must be between 0 and 1"),
    ],
)
def test_wilson_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        wilson(*args)


def test_bootstrap_median_is_seeded_and_covers_the_median():
    values = [float(v) for v in range(1, 201)]
    a = bootstrap_median(values, seed=3)
    assert a == bootstrap_median(values, seed=3)
    skewed = [(i * 37 % 101) ** 1.5 / 7 for i in range(60)]
    assert bootstrap_median(skewed, seed=3) != bootstrap_median(skewed, seed=4)
    assert a[0] < 100.5 < a[1]
    assert a[0] > 80 and a[1] < 121  # the median of 200 values is well pinned
    assert bootstrap_median([7.0, None, 7.0], seed=0) == (7.0, 7.0)  # the null is dropped


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400), ("7d", 604800), ("90m", 5400), ("1h30m", 5400), ("1.5h", 5400), ("0s", 0)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("24", "write a number and a unit"),
        ("h", "write a number and a unit"),
        ("24x", "write a number and a unit"),
        ("", "write a number and a unit"),
        ("30m1h", "largest first"),
        ("1h1h", "each unit once"),
        ("-2h", "write a number"),
    ],
)
def test_parse_duration_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


# --------------------------------------------------------------------------- equal age


def _straddling() -> pl.DataFrame:
    a = [  # post A on instagram: snapshots at 2h, 10h, 30h; comments missing at 10h
        (2, 10, 1),
        (10, 50, None),
        (30, 90, 8),
    ]
    b = [(1, 100, 0), (25, 340, 12)]  # post B on tiktok
    rows = []
    for pid, platform, snaps in (("A", "instagram", a), ("B", "tiktok", b)):
        for age, likes, comments in snaps:
            rows.append(
                {
                    "post_id": pid,
                    "platform": platform,
                    "thread_position": 0,
                    "published_at": T0,
                    "observed_at": T0 + age * H,
                    "fetched_at": T0 + age * H,
                    "likes": likes,
                    "comments": comments,
                    "text": f"post {pid}",
                }
            )
    rows.append(  # a post with no publication time: no age, so nothing to align
        {
            "post_id": "C",
            "platform": "twitter",
            "thread_position": 0,
            "published_at": None,
            "observed_at": T0,
            "likes": 4,
        }
    )
    return wide_frame(rows)


def test_at_age_interpolates_between_straddling_snapshots():
    out = at_age(_straddling(), ("1h", "2h", "6h", "24h", "30h", "72h"), ["likes", "comments"])
    got = {(r["post_id"], r["age"]): (r["likes"], r["comments"]) for r in out.iter_rows(named=True)}
    # A: 1h before the first snapshot -> null; 2h exactly on one; 6h between 2h (10) and 10h (50)
    assert got[("A", "1h")] == (None, None)
    assert got[("A", "2h")] == (10.0, 1.0)
    assert got[("A", "6h")] == (30.0, 1 + 7 * 4 / 28)  # comments skip the unreported 10h
    assert got[("A", "24h")] == (50 + 40 * 14 / 20, 1 + 7 * 22 / 28)
    assert got[("A", "30h")] == (90.0, 8.0)
    assert got[("A", "72h")] == (None, None)  # no extrapolation
    # B: 1h exactly, 24h between 1h (100) and 25h (340) -> 100 + 240 * 23/24 = 330
    assert got[("B", "1h")] == (100.0, 0.0)  # a reported 0 stays 0
    assert got[("B", "24h")] == (330.0, 11.5)
    assert got[("B", "30h")] == (None, None)
    assert all(v == (None, None) for k, v in got.items() if k[0] == "C")
    assert out.schema["likes"] == pl.Float64
    assert out.filter(pl.col("post_id") == "A")["text"].unique().to_list() == ["post A"]
    assert out.height == 3 * 6


def test_at_age_needs_the_right_columns():
    with pytest.raises(ValueError, match=r"needs column\(s\) \['published_at'\]"):
        at_age(_straddling().drop("published_at"), "24h")
    with pytest.raises(ValueError, match="ages '24h' and '1d' are the same age"):
        at_age(_straddling(), ["24h", "1d"])
    with pytest.raises(ValueError, match="invalid duration '24 hours'"):
        at_age(_straddling(), "24 hours")


# --------------------------------------------------------------------------- growth, half-life


def test_growth_deltas_and_velocity():
    g = growth(_straddling(), "comments").filter(pl.col("post_id") == "A")
    assert g["value"].to_list() == [1.0, 8.0]  # the unreported snapshot is skipped, not zeroed
    assert g["delta"].to_list() == [None, 7.0]
    assert g["hours"].to_list() == [None, 28.0]
    assert g["per_hour"].to_list() == [None, 0.25]
    assert g["age_h"].to_list() == [2.0, 30.0]


def test_half_life():
    hl = half_life(_straddling(), "likes")
    got = dict(zip(hl["post_id"], hl["half_life_h"], strict=True))
    # A: latest 90, half 45, between 2h (10) and 10h (50): 2 + 8 * 35/40 = 9
    assert got["A"] == pytest.approx(9.0)
    # B: latest 340, half 170, first snapshot (1h, 100) is below, next (25h, 340): 1 + 24*70/240
    assert got["B"] == pytest.approx(8.0)
    assert got["C"] is None  # no publication time
    assert hl.filter(pl.col("post_id") == "A")["half_life"].item() == timedelta(hours=9)
    # a first snapshot already past half: from publication (0 at 0h) or not observed
    early = _straddling().filter(pl.col("post_id") == "B", pl.col("observed_at") < T0 + 2 * H)
    early = pl.concat(
        [early, early.with_columns(observed_at=T0 + 5 * H, likes=pl.lit(120, pl.Int64))]
    )
    assert half_life(early, "likes")["half_life_h"].item() == pytest.approx(0.6)  # 60 of 100/1h
    assert half_life(early, "likes", from_publication=False)["half_life_h"].item() is None


# --------------------------------------------------------------------------- engagement rate


def _rates() -> pl.DataFrame:
    rows = [
        ("a", "instagram", 10, 100, 50),
        ("b", "instagram", 30, 200, 60),
        ("c", "instagram", 5, None, 40),  # impressions not reported
        ("d", "tiktok", 8, 0, 20),  # reported zero impressions
        ("e", "tiktok", None, 400, 10),  # engagements not reported
        ("f", "tiktok", 40, 400, 0),
    ]
    return wide_frame(
        [
            {
                "post_id": p,
                "platform": pf,
                "thread_position": 0,
                "observed_at": T0,
                "engagements": e,
                "impressions": i,
                "reach": r,
            }
            for p, pf, e, i, r in rows
        ]
    )


def test_engagement_rate_ratio_of_sums():
    out = engagement_rate(_rates(), by="impressions", form="ratio")
    r = out.row(0, named=True)
    assert r["definition"] == "engagements / impressions, ratio of sums"
    assert (r["n"], r["excluded"]) == (3, 3)
    assert (r["numerator"], r["denominator"]) == (80.0, 700.0)
    assert r["rate"] == pytest.approx(80 / 700)
    assert (r["low"], r["high"]) == pytest.approx(wilson(80, 700))
    assert r["interval"] == "wilson"


def test_engagement_rate_mean_of_post_rates_by_group():
    out = engagement_rate(_rates(), form="mean", group_by="platform", seed=1).sort("platform")
    ig, tt = out.rows(named=True)
    assert ig["definition"] == "engagements / impressions, mean of post rates"
    assert ig["rate"] == pytest.approx((0.10 + 0.15) / 2)
    assert (ig["n"], ig["excluded"]) == (2, 1)
    assert 0.10 <= ig["low"] <= ig["rate"] <= ig["high"] <= 0.15
    assert (tt["rate"], tt["n"], tt["excluded"]) == (0.1, 1, 2)
    # deterministic for a seed, whatever the order of the rows
    shuffled = _rates().reverse()
    again = engagement_rate(shuffled, form="mean", group_by="platform", seed=1).sort("platform")
    assert again.equals(out)


def test_engagement_rate_per_reach_and_followers():
    reach = engagement_rate(_rates(), by="reach").row(0, named=True)
    # f has reach 0 -> excluded; e has no engagements -> excluded
    assert (reach["numerator"], reach["denominator"]) == (53.0, 170.0)
    followers = pl.DataFrame({"platform": ["instagram", "tiktok"], "followers": [1000, None]})
    per_f = engagement_rate(_rates(), by="followers", followers=followers, group_by="platform")
    per_f = per_f.sort("platform")
    assert per_f["definition"][0] == "engagements / followers, ratio of sums"
    assert per_f["rate"].to_list() == [45 / 3000, None]  # tiktok followers not reported
    assert per_f["excluded"].to_list() == [0, 3]
    with pytest.raises(ValueError, match="by='likes': choose one of"):
        engagement_rate(_rates(), by="likes")
    with pytest.raises(ValueError, match="followers"):
        engagement_rate(_rates(), by="followers")


def test_engagement_rate_refuses_to_mix_post_ages():
    aligned = at_age(_campaign_snapshots(), ["12h", "24h"], ["engagements", "impressions"])
    with pytest.raises(ValueError, match=r"several post ages \['12h', '24h'\]"):
        engagement_rate(aligned)
    one = engagement_rate(aligned.filter(pl.col("age") == "24h")).row(0, named=True)
    assert one["n"] == 36


def test_engagement_rate_uses_the_latest_snapshot_per_post():
    snaps = snapshots(n_posts=1, ages_h=(1, 30), platforms=("twitter",))
    latest = snaps.filter(pl.col("observed_at") == pl.col("observed_at").max())
    out = engagement_rate(snaps).row(0, named=True)
    assert out["n"] == 1
    assert out["numerator"] == latest["engagements"].item()


# --------------------------------------------------------------------------- comparisons


def _campaign_snapshots() -> pl.DataFrame:
    """Three campaigns with clearly different rates, observed at 12h and 30h."""
    rows = []
    rates = {"strong": 0.12, "middle": 0.06, "weak": 0.02}
    k = 0
    for campaign, rate in rates.items():
        for i in range(12):
            k += 1
            pub = T0 + k * H
            jitter = 1 + ((i * 7) % 5 - 2) / 20
            for age, share in ((12, 0.6), (30, 1.0)):
                imp = int(2000 * share * (1 + i / 10))
                rows.append(
                    {
                        "post_id": f"{campaign}-{i}",
                        "platform": "instagram",
                        "thread_position": 0,
                        "published_at": pub,
                        "observed_at": pub + age * H,
                        "impressions": imp,
                        "engagements": int(imp * rate * jitter),
                        "likes": int(imp * rate * jitter),
                    }
                )
    return wide_frame(rows).with_columns(campaign=pl.col("post_id").str.split("-").list.first())


def test_compare_ranks_the_clearly_best_group_first():
    c = compare(_campaign_snapshots(), by="campaign", at_age="24h", seed=0)
    table = c.table
    assert table["group"].to_list() == ["strong", "middle", "weak"]
    assert table["rank"].to_list() == [1, 2, 3]
    best, worst = table.row(0, named=True), table.row(2, named=True)
    assert best["low"] > worst["high"]  # intervals do not overlap
    assert best["n"] == 12 and best["excluded"] == 0
    assert best["estimate"] == pytest.approx(best["numerator"] / best["denominator"])
    p = c.beats.filter((pl.col("group_a") == "strong") & (pl.col("group_b") == "weak"))
    assert p["p_a_beats_b"].item() == 1.0
    m = c.matrix()
    assert m.columns == ["group_a", "strong", "middle", "weak"]
    assert m["strong"].to_list()[0] is None and m["weak"].to_list()[0] == 1.0
    assert c.at_age == "24h" and "Beta" in c.method
    # deterministic for a seed
    again = compare(_campaign_snapshots(), by="campaign", at_age="24h", seed=0)
    assert again.table.equals(c.table) and again.beats.equals(c.beats)


def test_compare_counts_with_bootstrap_medians():
    c = compare(_campaign_snapshots(), by="campaign", metric="likes", at_age="30h", seed=5)
    assert c.table["group"].to_list() == ["strong", "middle", "weak"]
    best, worst = c.table.row(0, named=True), c.table.row(2, named=True)
    assert best["low"] > worst["high"]
    expected = (
        _campaign_snapshots()
        .filter(
            pl.col("campaign") == "weak", pl.col("observed_at") - pl.col("published_at") == 30 * H
        )["likes"]
        .median()
    )
    assert worst["estimate"] == expected
    pab = dict(
        zip(
            zip(c.beats["group_a"], c.beats["group_b"], strict=True),
            c.beats["p_a_beats_b"],
            strict=True,
        )
    )
    assert pab[("strong", "weak")] == 1.0
    assert pab[("weak", "strong")] == 0.0
    assert pab[("middle", "weak")] + pab[("weak", "middle")] == pytest.approx(1.0)
    assert "bootstrap" in c.method


def test_compare_labels_unassigned_posts_and_checks_the_metric():
    f = _campaign_snapshots().with_columns(
        campaign=pl.when(pl.col("campaign") == "weak").then(None).otherwise(pl.col("campaign"))
    )
    assert "(none)" in compare(f, at_age=None).table["group"].to_list()
    with pytest.raises(ValueError, match="unknown metric 'karma'"):
        compare(f, metric="karma")


# --------------------------------------------------------------------------- best time, top posts


def test_best_time_to_post_cells():
    rows = []
    for pid, day, hour, likes in [
        ("a", 0, 9, 10),
        ("b", 7, 9, 30),
        ("c", 7, 9, None),
        ("d", 1, 18, 5),
    ]:
        rows.append(
            {
                "post_id": pid,
                "platform": "instagram",
                "thread_position": 0,
                "observed_at": T0 + timedelta(days=9),
                "published_at": T0.replace(hour=hour) + timedelta(days=day),
                "likes": likes,
            }
        )
    out = best_time_to_post(wide_frame(rows), "likes", at_age=None, tz="UTC", relative_to=None)
    assert out.select("weekday", "weekday_name", "hour", "n", "median").rows() == [
        (1, "Mon", 9, 2, 20.0),
        (2, "Tue", 18, 1, 5.0),
    ]
    assert out["rank"].to_list() == [None, None]  # below min_n=3: shown, not ranked
    ranked = best_time_to_post(wide_frame(rows), "likes", at_age=None, tz="UTC", min_n=1)
    assert ranked["rank"].to_list() == [1, 2]
    paris = best_time_to_post(wide_frame(rows), "likes", at_age=None, tz="Europe/Paris")
    assert paris["hour"].to_list() == [11, 20]


def test_top_posts_leaves_out_unreported_values():
    f = _rates()
    top = top_posts(f, "engagement_rate", n=3)
    assert top["post_id"].to_list() == ["b", "a", "f"]
    assert top["value"].to_list() == pytest.approx([0.15, 0.10, 0.10])
    per = top_posts(f, "reach", n=1, by="platform")
    assert dict(zip(per["platform"], per["post_id"], strict=True)) == {
        "instagram": "b",
        "tiktok": "d",
    }
    at = top_posts(_straddling(), "likes", n=5, at_age="24h")
    assert at["post_id"].to_list() == ["B", "A"]
    assert at["value"].to_list() == [330.0, 78.0]
    assert datetime(2026, 8, 3, tzinfo=UTC) <= at["published_at"][0]
