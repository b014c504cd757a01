"""The report helpers: parameter checks and parsing, demo snapshots, analysis helpers, the CLI's
errors, offline HTML. (Running whole notebooks is in test_notebooks.py.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from ayr_analysis import analysis, cli, reports
from ayr_analysis.reports import ReportParameterError, check_parameters, parse_parameter

UTC = dt.UTC


# --------------------------------------------------------------------------- parameters


def test_defaults_are_valid_and_normalised():
    p = check_parameters()
    assert (p.source, p.metric, p.rate_by, p.rate_form, p.at_age) == (
        "demo", "likes", "impressions", "ratio", "24h",
    )  # fmt: skip
    assert p.platforms is None and p.start_date is None and p.is_demo


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"metric": "lieks"}, "metric 'lieks' is not a canonical metric; choose one of likes"),
        ({"source": "prod"}, "source 'prod' is not allowed; choose 'demo' or 'live'"),
        ({"rate_by": "clicks"}, "rate_by 'clicks' is not an engagement-rate base; choose one of "
                                "impressions, reach, views, followers"),
        ({"rate_form": "median"}, "rate_form 'median' is not allowed; choose 'ratio'"),
        ({"at_age": "a day"}, "at_age 'a day' is not a post age; write it like '24h'"),
        ({"at_age": "0h"}, "at_age '0h' must be above 0"),
        ({"platforms": ["tiktok", "myspace"]}, "platforms: unknown platform 'myspace'; valid platforms:"),
        ({"start_date": "01/09/2026"}, "start_date '01/09/2026' is not a date; write it as "
                                       "YYYY-MM-DD"),
        ({"start_date": "2026-10-02", "end_date": "2026-10-01"}, "start_date 2026-10-02 is after"),
        ({"campaigns_file": "/no/such/file.toml"}, "campaigns_file '/no/such/file.toml' does not"),
        ({"colour": "red"}, "unknown parameter 'colour'; the parameters are source, profile_key"),
        ({"profile_key": 5}, "profile_key must be None (the primary profile), a Profile-Key"),
        ({"source": "live", "profile_key": "all"}, "profile_key 'all' only works on the demo"),
    ],
)  # fmt: skip
def test_bad_values_say_what_is_allowed(params, message):
    with pytest.raises(ReportParameterError) as info:
        check_parameters(**params)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_text_values_are_parsed_like_the_cli_gives_them():
    p = check_parameters(
        networks="TikTok, x", start_date="2026-09-01", end_date="none", at_age="7d",
        metric="engagement_rate", campaigns_file="null",
    )  # fmt: skip
    assert p.platforms == ("tiktok", "twitter")
    assert p.start_date == dt.date(2026, 9, 1) and p.end_date is None
    assert p.at_age == "7d" and p.metric == "engagement_rate" and p.campaigns_file is None
    assert check_parameters(platforms='["youtube", "tiktok", "youtube"]').platforms == (
        "youtube", "tiktok",
    )  # fmt: skip
    assert check_parameters(platforms=[]).platforms is None


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("platforms", '["tiktok","youtube"]', ["tiktok", "youtube"]),
        ("platforms", "tiktok,youtube", ["tiktok", "youtube"]),
        ("platforms", "tiktok", ["tiktok"]),
        ("metric", "views", "views"),
        ("start_date", "2026-09-01", "2026-09-01"),
        ("profile_key", "None", None),
        ("at_age", "'24h'", "24h"),
        ("output_dir", "", None),
    ],
)
def test_parse_parameter(name, text, value):
    assert parse_parameter(name, text) == value


def test_parameter_table_hides_the_profile_key():
    table = check_parameters(profile_key="PK-secret-value").table()
    assert "PK-secret-value" not in str(table.to_dicts())
    assert table.filter(pl.col("parameter") == "profile_key")["value"].item() == (
        "(1 profile(s) set)"
    )


def test_campaigns_file_defaults_to_the_demo_worlds_campaigns(tmp_path, monkeypatch):
    from ayr_analysis.campaigns import load_campaigns
    from ayr_analysis.sandbox.world import build_world

    monkeypatch.chdir(tmp_path)  # whatever the working folder holds, nothing is looked up there
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "campaigns.toml").write_text('[[campaign]]\nname = "not-this"\n')
    out = tmp_path / "out"
    path = reports.resolve_campaigns_file(check_parameters(output_dir=str(out)))
    assert path == out / "campaigns.toml"
    names = [c.name for c in load_campaigns(path)]
    assert sorted(names) == sorted(build_world(7).expected_ranking)
    own = tmp_path / "c.toml"
    own.write_text('[[campaign]]\nname = "x"\n')
    assert reports.resolve_campaigns_file(check_parameters(campaigns_file=str(own))) == own


def test_the_planned_ranking_is_the_demo_worlds_with_its_own_campaigns_only(monkeypatch, tmp_path):
    from ayr_analysis.campaigns import load_campaigns
    from ayr_analysis.sandbox.world import build_world, campaigns_toml

    planned = build_world(7).expected_ranking
    p = check_parameters(output_dir=str(tmp_path / "out"))
    demo_campaigns = load_campaigns(reports.resolve_campaigns_file(p))
    assert reports.demo_campaign_ranking(p, demo_campaigns) == planned
    assert planned[0] == "reel-rush" and planned[-1] == "press-corner"
    # the same campaigns in a file of the user's (as `ayr-analysis demo-data` writes it)
    copy = tmp_path / "copy.toml"
    copy.write_text(campaigns_toml(build_world(7)))
    mine = check_parameters(campaigns_file=str(copy), output_dir=str(tmp_path / "out"))
    assert reports.demo_campaign_ranking(mine, load_campaigns(copy)) == planned
    # campaigns of the user's own: other names, or the demo's names grouping other posts
    own = tmp_path / "own.toml"
    own.write_text('[[campaign]]\nname = "words"\nhashtags = ["#DevTips", "#PressCorner"]\n')
    mine = check_parameters(campaigns_file=str(own), output_dir=str(tmp_path / "out"))
    assert reports.demo_campaign_ranking(mine, load_campaigns(own)) is None
    renamed = [c for c in demo_campaigns if c.name != "dev-tips"]
    assert reports.demo_campaign_ranking(p, renamed) is None
    # live data: never, even with the demo world's campaigns file
    monkeypatch.setenv("AYRSHARE_API_KEY", "live-key-123456")
    live = check_parameters(source="live", campaigns_file=str(copy), output_dir=str(tmp_path))
    assert reports.demo_campaign_ranking(live, load_campaigns(copy)) is None


def test_live_reports_have_no_default_campaigns_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AYRSHARE_API_KEY", "live-key-123456")
    p = check_parameters(source="live", output_dir=str(tmp_path))
    with pytest.raises(ReportParameterError, match="campaigns_file is needed for live data"):
        reports.resolve_campaigns_file(p)
    assert reports.resolve_campaigns_file(p, required=False) is None
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- demo data


def test_demo_snapshots_are_at_the_asked_ages_and_deterministic(tmp_path):
    p = check_parameters(platforms="twitter,tiktok", start_date="2026-11-10",
                         output_dir=str(tmp_path))  # fmt: skip
    client = reports.report_client(p)
    posts = reports.load_posts(p, client)
    assert posts.height > 0 and set(posts["platform"]) <= {"twitter", "tiktok"}
    clock = client.demo.clock
    before = clock.now()
    store = reports.collect_snapshots(p, client, posts, ages=["1h", "24h"])
    assert clock.now() == before  # the clock is put back
    wide = store.read("wide")
    assert set(wide["platform"]) <= {"twitter", "tiktok"}
    age_h = (wide["observed_at"] - wide["published_at"]).dt.total_seconds() / 3600
    assert age_h.min() <= 1.0  # asked at 1 h (lastUpdated may be a little earlier)
    per_post = wide.group_by("post_id", "platform").len()
    assert per_post["len"].min() >= 2  # at least the early snapshot and the latest
    # same parameters, fresh folder: the same numbers
    p2 = check_parameters(platforms="twitter,tiktok", start_date="2026-11-10",
                          output_dir=str(tmp_path / "again"))  # fmt: skip
    c2 = reports.report_client(p2)
    again = reports.collect_snapshots(p2, c2, reports.load_posts(p2, c2), ages=["1h", "24h"])
    cols = ["post_id", "platform", "observed_at", "likes", "views"]
    assert again.read("wide").select(cols).sort(cols).equals(wide.select(cols).sort(cols))


def test_date_window_is_inclusive():
    every = reports.load_posts(check_parameters(), reports.report_client(check_parameters()))
    day = every["created_at"].sort()[every.height // 2].date()
    on_day = every.filter(pl.col("created_at").dt.date() == day)
    p = check_parameters(start_date=day.isoformat(), end_date=day.isoformat())
    posts = reports.load_posts(p, reports.report_client(p))
    assert posts["created_at"].dt.date().unique().to_list() == [day]
    assert posts.height == on_day.height


# --------------------------------------------------------------------------- helpers

T0 = dt.datetime(2026, 8, 1, tzinfo=UTC)
H = dt.timedelta(hours=1)


def test_distribution_uses_the_latest_snapshot_and_keeps_nulls_apart():
    f = pl.DataFrame({
        "post_id": ["a", "a", "b", "c", "d"],
        "platform": ["x", "x", "x", "x", "x"],
        "thread_position": [0] * 5,
        "media_type": ["image", "image", "image", None, "image"],
        "observed_at": [T0, T0 + H, T0, T0, T0],
        "likes": [1, 9, 3, 4, None],
    })  # fmt: skip
    d = analysis.distribution(f, "likes")
    img = d.filter(pl.col("media_type") == "image").row(0, named=True)
    assert (img["n"], img["excluded"], img["median"], img["max"]) == (2, 1, 6.0, 9.0)
    assert img["why_excluded"] == "1 not reported by the network"
    assert d.filter(pl.col("media_type") == "(unknown)")["n"].item() == 1


def test_growth_table_interpolates_over_one_cohort():
    f = pl.DataFrame({
        "post_id": ["a", "a", "b", "b"], "platform": ["x"] * 4, "published_at": [T0] * 4,
        "observed_at": [T0 + H, T0 + 5 * H, T0 + H, T0 + 5 * H], "likes": [0, 40, 10, 10],
    })  # fmt: skip
    g = analysis.growth_curves(f, "likes", ages=["1h", "3h", "9h"], min_posts=2)
    # none at 9 h; no caveat column in the snapshots: no caveat
    assert g.table(["1h", "3h", "9h"]).row(0) == ("x", 2, "3h", 5.0, 15.0, None, [], [])


def test_rate_definitions_side_by_side():
    f = pl.DataFrame({
        "post_id": ["a", "b"], "platform": ["x", "x"], "engagements": [10, 90],
        "impressions": [100, 100], "reach": [50, 10], "views": [None, None],
    })  # fmt: skip
    followers = pl.DataFrame({"platform": ["x"], "followers": [1000.0]})
    r = analysis.rate_definitions(f, followers)
    got = dict(zip(r["definition"], r["rate"], strict=True))
    assert got["engagements / impressions, ratio of sums"] == pytest.approx(0.5)
    assert got["engagements / reach, ratio of sums"] == pytest.approx(100 / 60)
    assert got["engagements / reach, mean of post rates"] == pytest.approx((0.2 + 9.0) / 2)
    assert got["engagements / followers, ratio of sums"] == pytest.approx(0.05)
    assert r.filter(pl.col("definition").str.contains("views"))["n"].to_list() == [0, 0]


def test_followers_from_the_demo_account():
    import ayr_analysis as ayr

    p = check_parameters()
    f = ayr.followers(["tiktok", "youtube"], client=reports.report_client(p))
    assert f["platform"].to_list() == ["tiktok", "youtube"]
    assert (f["followers"] > 1000).all()


def test_network_mix_and_summary():
    from ayr_analysis.charts import network_mix as network_mix_chart

    f = pl.DataFrame({
        "post_id": ["a", "a", "b", "c", "d", "e"],
        "platform": ["x", "y", "x", "y", "y", "y"],
        "campaign": ["A", "A", "A", "B", "B", None],
        "likes": [10, 12, 11, 1, 2, 50],
    })  # fmt: skip
    mix = analysis.network_mix(f)
    assert mix.rows() == [("A", "x", 2, 2 / 3), ("A", "y", 1, 1 / 3), ("B", "y", 2, 1.0)]
    comp = analysis.compare(f.filter(pl.col("campaign").is_not_null()), metric="likes", at_age=None)
    s = analysis.campaign_summary(comp, mix)
    assert s["campaign"].to_list() == ["A", "B"]
    assert s["main_network"].to_list() == ["x", "y"]
    assert s["p_beats_next"][0] == pytest.approx(1.0)
    spec = network_mix_chart(mix, demo=True).to_dict()
    assert "demo" in str(spec["title"]).lower()
    assert spec["layer"][0]["encoding"]["color"]["field"] == "platform"


def test_offline_html_drops_remote_scripts():
    html = (
        '<head><script src="https://cdnjs.cloudflare.com/require.min.js"></script>'
        '<script src=""> </script><script type="module">await import("https://cdn/x.mjs")'
        "</script><script>var keep = 1;</script></head>"
    )
    assert reports._offline(html) == "<head><script>var keep = 1;</script></head>"


# --------------------------------------------------------------------------- CLI


def test_cli_unknown_report_lists_the_available_ones(capsys):
    assert cli.main(["report", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown report 'nope'; available: " in err
    for name in ("quickstart", "engagement_analysis", "campaign_comparison", "post_performance"):
        assert name in err


def test_cli_bad_parameter_stops_before_running(capsys, tmp_path):
    assert cli.main(["report", "quickstart", "-o", str(tmp_path), "-p", "rate_by", "likes"]) == 2
    err = capsys.readouterr().err
    assert "rate_by 'likes' is not an engagement-rate base" in err
    assert not (tmp_path / "quickstart.html").exists()


def test_run_report_rejects_unknown_names_and_bad_values(tmp_path):
    with pytest.raises(ValueError, match="unknown report 'nope'; available: "):
        reports.run_report("nope", {}, tmp_path)
    with pytest.raises(ReportParameterError, match="at_age"):
        reports.run_report("quickstart", {"at_age": "soon"}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_snapshot_frames_return_only_the_posts_asked_for(tmp_path):
    p = check_parameters(start_date="2026-11-12", output_dir=str(tmp_path))
    client = reports.report_client(p)
    posts = reports.load_posts(p, client)
    store = reports.collect_snapshots(p, client, posts, ages=["6h"])
    some = posts.filter(pl.col("platform") == "tiktok")
    assert some.height > 0
    frames = reports.snapshot_frames(store, some, ["tiktok"])
    assert set(frames.wide["post_id"]) == set(some["post_id"])
    assert set(frames.wide["platform"]) == {"tiktok"}
    assert frames.source == "demo" and frames.long.height > frames.wide.height
    everything = reports.snapshot_frames(store)
    assert everything.wide.height > frames.wide.height
    assert reports.snapshot_frames(store, posts.clear()).wide.height == 0


@pytest.mark.slow
def test_every_demo_profile_with_profile_key_all(tmp_path):
    from ayr_analysis.sandbox.world import build_world

    world = build_world(7)
    p = check_parameters(profile_key="all", start_date="2026-11-01", output_dir=str(tmp_path))
    assert p.profile_key == tuple(prof.profile_key for prof in world.profiles)
    client = reports.report_client(p)
    posts = reports.load_posts(p, client)
    assert posts["profile_key"].n_unique() == 3
    primary = reports.load_posts(check_parameters(start_date="2026-11-01"), client)
    assert posts["post_id"].n_unique() > primary["post_id"].n_unique()
    # each post is asked with its own profile's key: none fails
    store = reports.collect_snapshots(p, client, posts, ages=["24h"])
    assert store.read("errors").filter(pl.col("http_status").is_in([403, 404])).height == 0
    published = set(posts.filter(pl.col("status") == "success")["post_id"])
    seen = set(store.read("wide")["post_id"]) | set(store.read("errors")["post_id"])
    assert published <= seen and len(published) > 20


def test_live_source_needs_a_key_and_uses_the_settings(monkeypatch, tmp_path):
    for var in [v for v in __import__("os").environ if v.startswith("AYRSHARE_")]:
        monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)  # .env is read from the working folder, and only from there
    with pytest.raises(ReportParameterError, match="source 'live' needs an Ayrshare API key"):
        check_parameters(source="live")
    (tmp_path / ".env").write_text("AYRSHARE_API_KEY=live-key-123456\n")
    p = check_parameters(source="live", profile_key="PK-1")
    client = reports.report_client(p)
    assert not client.is_demo
    assert client.settings.profile_key.get_secret_value() == "PK-1"
    assert "live-key-123456" not in repr(p) + str(p.table().to_dicts())


def test_cli_all_means_the_curated_reports(capsys, tmp_path):
    # a bad value stops before anything runs, also for 'all' (and 'all' is a known name)
    assert cli.main(["report", "all", "-o", str(tmp_path), "-p", "metric", "lieks"]) == 2
    assert "metric 'lieks' is not a canonical metric" in capsys.readouterr().err
    assert reports.CURATED_REPORTS == (
        "quickstart",
        "engagement_analysis",
        "campaign_comparison",
        "post_performance",
    )
    assert set(reports.CURATED_REPORTS) <= set(reports.available_reports())
    makefile = Path(__file__).resolve().parent.parent / "Makefile"
    assert "ayr-analysis report all -o reports" in makefile.read_text()


# --------------------------------------------------------------------------- shipped notebooks

REPO = Path(__file__).resolve().parent.parent
#: What ipykernel and jupyter_client print when a kernel's channel is not encrypted or its
#: connection file is not private: none of it may reach the user's terminal. (Not checked: an
#: ERROR "KeyboardInterrupt caught in kernel." that a loaded machine may show at the end of a
#: report, when papermill's closing kernel_info request is still being handled as
#: jupyter_client interrupts the kernel before shutting it down.)
KERNEL_WARNINGS = ("without encryption", "insecure", "[IPKernelApp] WARNING")


def test_the_shipped_notebooks_are_the_repository_notebooks():
    shipped = reports.notebooks_dir()
    assert shipped.resolve() == (REPO / "notebooks").resolve()  # an editable install: one source
    assert reports.available_reports() == sorted(p.stem for p in shipped.glob("*.ipynb"))
    assert set(reports.CURATED_REPORTS) | {"live_monitor"} <= set(reports.available_reports())


def test_notebooks_from_a_zipped_package_are_copied_to_a_real_folder(monkeypatch, tmp_path):
    """Where the package is not plain files (imported from a zip), the notebooks are still
    listed, copied out and given to papermill as real files."""
    import importlib.resources
    import zipfile

    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in (REPO / "notebooks").glob("*.ipynb"):
            z.write(p, f"ayr_analysis/notebooks/{p.name}")
        z.writestr("ayr_analysis/notebooks/__init__.py", "")
    root = zipfile.Path(archive, "ayr_analysis/notebooks/")
    monkeypatch.setattr(importlib.resources, "files", lambda package: root)
    assert reports.available_reports() == sorted(
        p.stem for p in (REPO / "notebooks").glob("*.ipynb")
    )
    folder = reports.notebooks_dir.__wrapped__()  # not the cached answer of the real package
    assert folder.is_dir() and REPO not in folder.parents
    assert (folder / "quickstart.ipynb").read_bytes() == (
        REPO / "notebooks" / "quickstart.ipynb"
    ).read_bytes()
    written = reports.copy_notebooks(tmp_path / "mine")
    assert [p.name for p in written] == [f"{n}.ipynb" for n in reports.available_reports()]


def test_cli_notebooks_copies_them_out_and_overwrites_only_with_force(capsys, tmp_path):
    dest = tmp_path / "my notebooks"
    assert cli.main(["notebooks", str(dest)]) == 0
    out = capsys.readouterr().out
    names = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in dest.iterdir()) == names
    for name in names:
        assert str(dest / name) in out
        assert (dest / name).read_bytes() == (REPO / "notebooks" / name).read_bytes()
    assert f"{len(names)} notebook(s) written to {dest}" in out

    (dest / "quickstart.ipynb").write_text("my edits")
    (dest / "campaign_comparison.ipynb").unlink()
    assert cli.main(["notebooks", str(dest)]) == 2
    captured = capsys.readouterr()
    assert "already in" in captured.err and "quickstart.ipynb" in captured.err
    assert "--force" in captured.err and captured.out == ""
    assert (dest / "quickstart.ipynb").read_text() == "my edits"  # nothing written
    assert not (dest / "campaign_comparison.ipynb").exists()

    assert cli.main(["notebooks", str(dest), "--force"]) == 0
    assert (dest / "quickstart.ipynb").read_bytes() == (
        REPO / "notebooks" / "quickstart.ipynb"
    ).read_bytes()
    assert (dest / "campaign_comparison.ipynb").exists()
    (tmp_path / "a-file").write_text("")
    assert cli.main(["notebooks", str(tmp_path / "a-file")]) == 2
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_report_runs_in_the_working_folder_without_kernel_warnings(tmp_path):
    """A report run from some folder reads that folder's .env (live data from a local HTTP
    sandbox here) and relative paths from there, and its stderr holds no kernel warning."""
    import os
    import subprocess
    import sys

    from ayr_analysis.sandbox import (
        DEMO_API_KEY,
        DEMO_X_API_KEY,
        DEMO_X_API_SECRET,
        serve_in_thread,
    )

    work = tmp_path / "work"
    work.mkdir()
    (work / "mine.toml").write_text('[[campaign]]\nname = "reels"\nhashtags = ["reels"]\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AYRSHARE_")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    with serve_in_thread(port=0) as server:
        (work / ".env").write_text(
            f"AYRSHARE_API_KEY={DEMO_API_KEY}\nAYRSHARE_BASE_URL={server.base_url}\n"
            f"AYRSHARE_X_API_KEY={DEMO_X_API_KEY}\nAYRSHARE_X_API_SECRET={DEMO_X_API_SECRET}\n"
        )
        proc = subprocess.run(
            [sys.executable, "-m", "ayr_analysis", "report", "quickstart", "-o", "out",
             "-p", "source", "live", "-p", "campaigns_file", "mine.toml"],
            cwd=work, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    for warning in KERNEL_WARNINGS:
        assert warning not in proc.stderr, proc.stderr[-3000:]
    executed = (work / "out" / "quickstart.ipynb").read_text()
    assert "(live data)" in executed  # the kernel read the .env of the working folder
    assert "mine.toml" in executed and "DEMO data" not in executed
    assert (work / "out" / "quickstart.html").stat().st_size > 10_000
    assert sorted(p.name for p in work.iterdir()) == [".env", "mine.toml", "out"]


def test_post_performance_parameters_are_checked_before_anything_runs(capsys, tmp_path):
    """The report's own parameters (days, post, horizon, band, lookback) are checked by the CLI
    with the common ones: a wrong value stops before any notebook runs."""
    cases = [
        (["-p", "days", "0"], "days 0 must be a whole number from 1 to 365"),
        (["-p", "band", "5-95"], "band '5-95' is not allowed; choose '10-90'"),
        (["-p", "horizon", "soon"], "horizon 'soon' is not a duration"),
        (["-p", "horizon", "40d"], "horizon '40d' must be above 0 and at most 30 days"),
        (["-p", "post", "abc:myspace"], "post: unknown platform 'myspace'"),
        (["-p", "metric", "engagement_rate"], "metric 'engagement_rate' is a rate"),
        (["-p", "profile_key", "all"], "post_performance judges one account"),
    ]
    for args, message in cases:
        assert cli.main(["report", "post_performance", "-o", str(tmp_path), *args]) == 2, args
        err = capsys.readouterr().err
        assert message in err, (args, err)
    # 'all' includes it: its parameters are checked too
    assert cli.main(["report", "all", "-o", str(tmp_path), "-p", "days", "-3"]) == 2
    assert "days -3 must be a whole number" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.html")) and not list(tmp_path.glob("*.ipynb"))
    with pytest.raises(reports.ReportParameterError, match="lookback 'ever' is not a duration"):
        reports.run_report("post_performance", {"lookback": "ever"}, tmp_path)


def test_post_performance_parameters_are_normalised():
    p = reports.check_parameters(platforms="x,tiktok", metric="views")
    q = reports.check_performance_parameters(
        p, days="14", post="0123:X", horizon="72h", band="25-75", lookback="none"
    )
    assert (q.days, q.post, q.post_platform, q.horizon, q.band, q.lookback) == (
        14, "0123", "twitter", "72h", "25-75", None,
    )  # fmt: skip
    assert reports.check_performance_parameters(p, post="0123").post == "0123"  # stays text
    assert dict(q.table().rows()) == {
        "source": "demo", "profile_key": "(none)", "platforms": "twitter, tiktok",
        "metric": "views", "days": "14", "post": "0123:twitter", "horizon": "72h",
        "band": "25-75", "lookback": "(none)",
    }  # fmt: skip
    defaults = reports.check_performance_parameters(p)
    assert (defaults.days, defaults.post, defaults.horizon, defaults.band, defaults.lookback) == (
        7, None, "7d", "10-90", "90d",
    )  # fmt: skip
    with pytest.raises(reports.ReportParameterError, match="unknown parameter"):
        reports.check_performance_parameters(p, dayz=3)
    with pytest.raises(reports.ReportParameterError, match="is not a post id"):
        reports.check_performance_parameters(p, post="two words")


# --------------------------------------------------------------------------- report parameters
# (names from the notebook's parameters cell, values as data, paths, secrets)


def test_an_unknown_name_is_an_error_that_suggests_the_close_one(tmp_path):
    with pytest.raises(ReportParameterError) as info:
        reports.check_report_parameters("quickstart", {"metrc": "views"}, tmp_path)
    message = str(info.value)
    assert "unknown parameter 'metrc' (did you mean 'metric'?)" in message
    assert "the parameters of quickstart are source, profile_key, campaigns_file" in message
    # a notebook's own parameters are its own: live_monitor has store_path, quickstart has not
    assert (
        reports.check_report_parameters("live_monitor", {"tracking_seconds": 5}, tmp_path)[
            "tracking_seconds"
        ]
        == 5
    )
    with pytest.raises(ReportParameterError, match="unknown parameter 'store_path'"):
        reports.check_report_parameters("quickstart", {"store_path": "x"}, tmp_path)
    # earlier names still stand for today's
    got = reports.check_report_parameters("quickstart", {"networks": "tiktok"}, tmp_path)
    assert got["platforms"] == "tiktok" and "networks" not in got
    assert reports.notebook_parameters("live_monitor")["demo_speed"] == 3600.0


def test_cli_typo_in_a_parameter_name_stops_before_running(capsys, tmp_path):
    assert cli.main(["report", "quickstart", "-o", str(tmp_path), "-p", "metrc", "views"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'metric'?" in err
    assert list(tmp_path.iterdir()) == []


def test_a_crafted_name_runs_no_code(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = 'x\nopen("pwned", "w").close()\ny'
    with pytest.raises(ReportParameterError, match=r"unknown parameter 'x\\nopen"):
        reports.run_report("quickstart", {name: 1}, tmp_path / "out")
    assert cli.main(["report", "quickstart", "-o", "out", "-p", name, "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'x\\nopen" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # no pwned, no out


def test_crafted_values_reach_the_notebook_as_data(tmp_path, monkeypatch):
    """What papermill writes into the notebook, executed: the values come back as they were
    given, and nothing else runs."""
    import nbformat
    import papermill as pm

    monkeypatch.chdir(tmp_path)
    crafted = 'c"\nopen("pwned", "w").close()\n#\'\\'
    (tmp_path / f"{crafted}.toml").write_text('[[campaign]]\nname = "a"\nhashtags = ["a"]\n')
    given = {
        "campaigns_file": f"{crafted}.toml",
        "store_path": crafted,
        "metric": "views",
        "demo_speed": 7,
    }
    params = reports.check_report_parameters("live_monitor", given, "out")
    source = reports.notebooks_dir() / "live_monitor.ipynb"
    pm.execute_notebook(str(source), str(tmp_path / "prepared.ipynb"), parameters=params,
                        prepare_only=True, progress_bar=False)  # fmt: skip
    nb = nbformat.read(tmp_path / "prepared.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    exec(compile(injected.source, "injected", "exec"), namespace)
    assert namespace["campaigns_file"] == str(tmp_path / f"{crafted}.toml")  # made absolute
    assert namespace["store_path"] == str(tmp_path / crafted)
    assert namespace["metric"] == "views" and namespace["demo_speed"] == 7
    assert not (tmp_path / "pwned").exists()


def test_values_are_checked_against_the_notebooks_defaults(tmp_path):
    with pytest.raises(ReportParameterError, match="demo_speed 'fast' is a str; the notebook's"):
        reports.check_report_parameters("live_monitor", {"demo_speed": "fast"}, tmp_path)
    with pytest.raises(ReportParameterError, match="tracking_seconds True is a bool"):
        reports.check_report_parameters("live_monitor", {"tracking_seconds": True}, tmp_path)

    class Sneaky(str):
        def __repr__(self) -> str:
            return "__import__('os').system('touch pwned')"

    with pytest.raises(
        ReportParameterError, match="tz: a value of type object cannot be a report parameter"
    ):
        reports.check_report_parameters("quickstart", {"tz": object()}, tmp_path)
    with pytest.raises(ReportParameterError, match="must be a finite number"):
        reports.check_report_parameters("live_monitor", {"demo_speed": float("nan")}, tmp_path)
    got = reports.check_report_parameters("live_monitor", {"store_path": Sneaky("s")}, tmp_path)
    assert type(got["store_path"]) is str


def test_relative_paths_are_resolved_against_the_working_folder(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "mine.toml").write_text('[[campaign]]\nname = "a"\nhashtags = ["a"]\n')
    monkeypatch.chdir(work)
    got = reports.check_report_parameters(
        "campaign_comparison", {"campaigns_file": "mine.toml"}, "out"
    )
    assert got["campaigns_file"] == str(work / "mine.toml")
    assert got["output_dir"] == str(work / "out")
    got = reports.check_report_parameters("live_monitor", {"store_path": "snaps"}, "out")
    assert got["store_path"] == str(work / "snaps")
    assert (
        reports.check_report_parameters("live_monitor", {"store_path": "s3://b/x"}, "o")[
            "store_path"
        ]
        == "s3://b/x"
    )


def test_profile_keys_reach_the_kernel_by_its_environment_not_as_parameters(tmp_path, monkeypatch):
    key = "PK-ZQ7-SECRET-4411"
    got = reports.check_report_parameters("quickstart", {"profile_key": key}, tmp_path)
    assert got["profile_key"] is None and key not in repr(got)
    assert reports.check_report_parameters("campaign_comparison", {"profile_key": "all"},
                                           tmp_path)["profile_key"] == "all"  # fmt: skip
    # inside the kernel: profile_key None, the keys from the environment
    monkeypatch.setenv(reports.PROFILE_KEYS_ENV, f'["{key}", "PK-2"]')
    p = check_parameters(profile_key=None)
    assert p.profile_key == (key, "PK-2")
    assert key not in str(p.table().to_dicts())
    monkeypatch.setenv(reports.PROFILE_KEYS_ENV, "not json")
    with pytest.raises(ReportParameterError, match="must be a JSON list"):
        check_parameters()


def test_posts_name_their_profile_by_a_label_never_the_key():
    from ayr_analysis.sandbox.world import build_world

    keys = [p.profile_key for p in build_world(7).profiles]
    p = check_parameters(profile_key=",".join(keys[1:]), start_date="2026-11-10")
    posts = reports.load_posts(p, reports.report_client(p))
    assert sorted(posts["profile_key"].unique()) == ["profile 1", "profile 2"]
    assert not set(keys) & set(posts["profile_key"])


def test_a_report_error_is_one_line_naming_the_notebook():
    err = reports.ReportError(
        "quickstart", "CampaignsFileError", "bad file\n  line 2", Path("/o/q.ipynb"), 5
    )
    assert str(err) == (
        "report quickstart failed at In [5]: CampaignsFileError: bad file line 2 "
        "(executed notebook kept: /o/q.ipynb)"
    )
    import pickle

    assert str(pickle.loads(pickle.dumps(err))) == str(err)


def test_one_set_of_parameters_for_several_reports_goes_to_the_reports_that_take_it(
    capsys, tmp_path
):
    split = reports.split_parameters(
        ["quickstart", "post_performance"], {"days": 14, "metric": "views", "networks": "tiktok"}
    )
    assert split == {
        "quickstart": {"metric": "views", "networks": "tiktok"},
        "post_performance": {"days": 14, "metric": "views", "networks": "tiktok"},
    }
    # a name that no report of 'all' takes stops everything, with the closest names
    assert cli.main(["report", "all", "-o", str(tmp_path), "-p", "dayz", "14"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'dayz' (did you mean 'days'?)" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    # checked values come back in their checked form
    got = reports.check_report_parameters("post_performance", {"days": "14", "post": "a:X"})
    assert (got["days"], got["post"]) == (14, "a:twitter")


# --------------------------------------------------------------------------- demo history once


def _files(folder: Path) -> dict[str, int]:
    return {str(f.relative_to(folder)): f.stat().st_mtime_ns for f in folder.rglob("*.parquet")}


@pytest.mark.slow
def test_a_history_recorded_once_is_read_by_the_reports_not_recorded_again(tmp_path, monkeypatch):
    monkeypatch.delenv(reports.DEMO_HISTORY_ENV, raising=False)
    history = reports.record_demo_history(tmp_path / "out", platforms=["tiktok", "linkedin"])
    assert history.store == str((tmp_path / "out" / "snapshots-demo").resolve())
    assert history.platforms == ("tiktok", "linkedin") and history.ages == reports.SNAPSHOT_AGES
    recorded = _files(Path(history.store))
    assert recorded  # written once, here

    def snapshots(out: Path, **params):
        p = check_parameters(output_dir=str(out), **params)
        client = reports.report_client(p)
        posts = reports.load_posts(p, client)
        store = reports.collect_snapshots(p, client, posts)
        return store, reports.snapshot_frames(store, posts, p.platforms, tables=["wide"]).wide

    cases = [{"platforms": "tiktok"}, {"platforms": "tiktok,linkedin", "profile_key": "all"}]
    for params in cases:
        # alone, as before: each report records what it needs
        _, alone = snapshots(tmp_path / "alone", **params)
        # with the history handed to the kernel: read, and nothing written
        monkeypatch.setenv(reports.DEMO_HISTORY_ENV, history.to_json())
        store, shared = snapshots(tmp_path / "out", **params)
        monkeypatch.delenv(reports.DEMO_HISTORY_ENV)
        assert store.path == history.store and _files(Path(history.store)) == recorded
        # the same rows, number for number
        assert alone.height > 100 and set(alone["platform"]) <= {"tiktok", "linkedin"}
        key = ["post_id", "platform", "thread_position", "observed_at"]
        assert shared.sort(key).equals(alone.sort(key)), params
    # a network the history does not hold: the report records it itself, as alone
    monkeypatch.setenv(reports.DEMO_HISTORY_ENV, history.to_json())
    store, youtube = snapshots(tmp_path / "out", platforms="youtube")
    assert youtube.height > 0 and set(youtube["platform"]) == {"youtube"}
    assert _files(Path(history.store)).keys() > recorded.keys()


def test_a_recorded_history_covers_its_own_store_ages_networks_and_profiles(tmp_path, monkeypatch):
    from ayr_analysis.sandbox.world import build_world
    from ayr_analysis.store import SnapshotStore

    folder = tmp_path / "snapshots-demo"
    folder.mkdir()
    keys = tuple(p.profile_key for p in build_world(7).profiles)
    h = reports.DemoHistory(
        store=str(folder), seed=7, now="2026-11-20T12:00:00+00:00", ages=("1h", "24h"),
        platforms=("tiktok", "x"), profiles=keys,
    )  # fmt: skip
    store = SnapshotStore(folder)
    ok = {"ages": ["24h", "1h"], "platforms": ["tiktok"], "profiles": [None, keys[2]]}
    assert h.covers(store, **ok)
    assert not h.covers(SnapshotStore(tmp_path / "other"), **ok)  # another store
    assert not h.covers(store, **{**ok, "ages": ["1h", "24h", "7d"]})  # other ages
    assert not h.covers(store, **{**ok, "platforms": None})  # every network: not recorded
    assert not h.covers(store, **{**ok, "platforms": ["youtube"]})
    assert not h.covers(store, **{**ok, "profiles": ["PK-unknown"]})
    every = dataclasses.replace(h, platforms=None)
    assert every.covers(store, **{**ok, "platforms": None})
    assert not dataclasses.replace(h, seed=8).covers(store, **ok)  # another demo world
    # handed to the kernel as JSON: the same history comes back; a broken value is no history
    monkeypatch.setenv(reports.DEMO_HISTORY_ENV, h.to_json())
    assert reports.DemoHistory.from_environment() == h
    monkeypatch.setenv(reports.DEMO_HISTORY_ENV, '{"store": "x"}')
    assert reports.DemoHistory.from_environment() is None


@pytest.mark.slow
def test_the_history_is_recorded_once_only_for_several_reports_that_record_it(tmp_path):
    from ayr_analysis.store import SnapshotStore

    said = []
    one = reports.shared_demo_history(
        ["quickstart", "engagement_analysis"], {}, tmp_path, on_record=lambda: said.append(1)
    )
    assert one is None and said == [] and not (tmp_path / "snapshots-demo").exists()
    own = {
        "engagement_analysis": {"platforms": "bluesky"},
        "campaign_comparison": {"platforms": ["linkedin", "bluesky"]},
    }
    h = reports.shared_demo_history(
        ["quickstart", *own], own, tmp_path, on_record=lambda: said.append(1)
    )
    assert said == [1] and h is not None
    assert h.platforms == ("bluesky", "linkedin")  # the union of the reports' networks
    assert h.store == str((tmp_path / "snapshots-demo").resolve())
    wide = SnapshotStore(h.store).read("wide")
    assert set(wide["platform"]) == {"bluesky", "linkedin"} and wide["post_id"].n_unique() > 10
