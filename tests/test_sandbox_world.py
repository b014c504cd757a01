"""The demo world: size, variety, heavy tails, growth curves, campaigns, demo data files."""

from __future__ import annotations

import statistics
from datetime import timedelta
from pathlib import Path

from sandbox_helpers import headers_for, make_client

from ayr_analysis.cli import main
from ayr_analysis.sandbox.analytics import counts_at
from ayr_analysis.sandbox.world import MEDIA_TYPES, NETWORKS, build_world, growth, write_demo_data

REPO = Path(__file__).resolve().parents[1]


def test_world_is_cached_and_deterministic_per_seed():
    w = build_world(7)
    assert build_world(7) is w
    other = build_world(8)
    assert other is not w
    assert [p.id for p in other.ayrshare_posts()] != [p.id for p in w.ayrshare_posts()]
    assert len(w.profiles) == 3 and w.profiles[0].primary
    assert len({p.profile_key for p in w.profiles}) == 3


def test_world_has_enough_varied_posts():
    w = build_world(7)
    posts = w.ayrshare_posts()
    assert len(posts) >= 300
    published = [p for p in posts if p.publish_at <= w.now]
    span = w.now - min(p.created for p in published)
    assert span >= timedelta(days=90)
    assert {n for p in posts for n in p.networks} == set(NETWORKS)
    assert {p.media_type for p in posts} == set(MEDIA_TYPES)
    assert sum(len(p.networks) >= 3 for p in posts) > 50  # multi-network posts
    for p in posts:  # every network of a post has its own social id and URL
        ids = [np_.social_id for np_ in p.networks.values()]
        assert len(set(ids)) == len(ids)
        assert all(np_.url.startswith("https://") for np_ in p.networks.values())
    threads = [p.networks["twitter"] for p in posts if p.media_type == "thread"]
    assert threads and all(1 <= len(t.thread) <= 4 for t in threads)  # 2-5 tweets
    assert {len(t.thread) + 1 for t in threads} >= {2, 5}
    assert any(np_.personal for p in posts for np_ in p.networks.values())  # LinkedIn personal
    assert sum(1 for p in w.posts if p.id is None) >= 10  # made outside Ayrshare


def test_counts_are_heavy_tailed():
    w = build_world(7)
    quality = sorted(np_.quality for p in w.ayrshare_posts() for np_ in p.networks.values())
    top_decile = quality[-len(quality) // 10 :]
    assert sum(top_decile) / sum(quality) > 0.25  # a normal spread would give about 0.15
    assert quality[-1] > 6 * statistics.median(quality)
    assert statistics.mean(quality) > 1.1 * statistics.median(quality)  # right-skewed


def test_growth_curves_differ_by_network():
    assert growth("twitter", 12) > 0.99  # X saturates within hours
    assert growth("instagram", 6) < 0.6 < 0.98 < growth("instagram", 48)
    assert growth("facebook", 48) > 0.98
    assert growth("tiktok", 48) < 0.8 and growth("tiktok", 7 * 24) > 0.95
    for net in ("youtube", "pinterest"):  # still growing after weeks
        assert growth(net, 7 * 24) < 0.5
        assert growth(net, 60 * 24) - growth(net, 30 * 24) > 0.05
    assert growth("twitter", 0) == 0.0 and growth("twitter", -5) == 0.0


def test_counts_never_shrink_with_age():
    w = build_world(7)
    ages = [0.5, 1, 3, 7, 20, 47, 49, 100, 200, 500, 1000, 2000, 4000]
    for post in w.ayrshare_posts()[:120]:
        for np_ in post.networks.values():
            prev = None
            for age in ages:
                cur = counts_at(np_, age)
                if prev is not None:
                    assert all(cur[k] >= prev[k] for k in cur), (np_.platform, age)
                prev = cur


def _likes(entry: dict, net: str) -> int:
    a = entry["analytics"]
    if net == "twitter":
        return a["publicMetrics"]["likeCount"]
    key = {"facebook": None, "reddit": "ups", "pinterest": "totalReactions", "threads": "likes",
           "youtube": "likes"}.get(net, "likeCount")  # fmt: skip
    return a["reactions"]["total"] if key is None else a.get(key, 0)


def test_campaign_ranking_holds_in_the_answers():
    w = build_world(7)
    assert len(w.campaigns) >= 5
    client, _ = make_client()
    medians = {}
    for camp in w.campaigns:
        assert camp.description
        per_post = []
        for post in w.ayrshare_posts():
            if post.campaign != camp.name:
                continue
            assert camp.hashtag.lower() in post.text.lower()
            body = client.post("/analytics/post", json={"id": post.id},
                               headers=headers_for(post.profile)).json()  # fmt: skip
            total = 0
            for net in post.networks:
                entries = body[net] if isinstance(body[net], list) else [body[net]]
                total += sum(_likes(e, net) for e in entries if e.get("status") != "error")
            per_post.append(total)
        medians[camp.name] = statistics.median(per_post)
    ranked = sorted(medians, key=lambda n: -medians[n])
    assert ranked[0] == w.expected_ranking[0] == "reel-rush"
    assert ranked[-1] == w.expected_ranking[-1] == "press-corner"
    values = sorted(medians.values())
    assert values[-1] > 5 * values[-2]  # clearly best
    assert values[0] * 5 < values[1]  # clearly worst


def test_demo_data_regenerates_byte_identical(tmp_path):
    written = write_demo_data(tmp_path, seed=7)
    assert [p.name for p in written] == ["profiles.json", "posts.csv", "campaigns.toml",
                                        "README.md"]  # fmt: skip
    for path in written:
        assert path.read_bytes() == (REPO / "data" / path.name).read_bytes(), path.name


def test_demo_data_cli_and_campaigns_file(tmp_path, capsys):
    import tomllib

    assert main(["demo-data", "--out", str(tmp_path / "d"), "--seed", "7"]) == 0
    assert "campaigns.toml" in capsys.readouterr().out
    doc = tomllib.loads((tmp_path / "d" / "campaigns.toml").read_text())
    names = [c["name"] for c in doc["campaign"]]
    assert names == [c.name for c in build_world(7).campaigns]
    first = doc["campaign"][0]
    assert first["hashtags"] == ["#ReelRush"] and first["start"] < first["end"]
    csv_text = (tmp_path / "d" / "posts.csv").read_text()
    assert csv_text.count("\n") == len(build_world(7).ayrshare_posts()) + 1


def test_module_entry_point_writes_the_same_files(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "m"
    subprocess.run([sys.executable, "-m", "ayr_analysis.sandbox.world", "--out", str(out)],
                   check=True, capture_output=True)  # fmt: skip
    assert (out / "posts.csv").read_bytes() == (REPO / "data" / "posts.csv").read_bytes()
