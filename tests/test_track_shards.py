"""Sharding the tracking work: a stable split of the posts (``shard_of``), ``track(shard=...)``
and ``ayr-analysis track --shard i/N --profiles ...`` on the in-process demo sandbox."""

from __future__ import annotations

import pytest

from ayr_analysis import AyrshareClient, SnapshotStore, history, track
from ayr_analysis.cli import main
from ayr_analysis.errors import ValidationError
from ayr_analysis.sandbox import Demo
from ayr_analysis.sandbox.world import build_world
from ayr_analysis.tracking import parse_shard, shard_of


def test_shard_of_is_a_fixed_function_of_the_post_id():
    # the SHA-256 of the id, first 8 bytes big-endian, modulo N: the same on every machine
    import hashlib

    for pid in ("Hx2AbC9", "post-1", "ÄÖ"):
        digest = int.from_bytes(hashlib.sha256(pid.encode()).digest()[:8], "big")
        assert [shard_of(pid, n) for n in (1, 2, 7)] == [0, digest % 2, digest % 7]
    counts = [0, 0, 0, 0]
    for i in range(4000):
        counts[shard_of(f"p{i}", 4)] += 1
    assert min(counts) > 900  # an even split


@pytest.mark.parametrize("bad", ["1", "a/b", "2/2", "-1/3", "0/0", "1/ 0", (3, 2)])
def test_a_bad_shard_is_refused(bad):
    with pytest.raises(ValidationError, match="shard"):
        parse_shard(bad)


def test_shards_split_the_posts_without_overlap_or_gap(tmp_path):
    client = AyrshareClient(demo=Demo())
    every = set(history(client=client, last_days=30)["post_id"].drop_nulls())
    seen = []
    for i in range(3):
        store = SnapshotStore(tmp_path / f"s{i}")
        track(last_days=30, store=store, client=client, shard=f"{i}/3", rounds=1, progress=False)
        mine = {p for p in every if shard_of(p, 3) == i}
        # the shard's history rows, and snapshots of its posts only
        assert set(store.read("posts")["post_id"]) == mine
        asked = set(store.read("wide")["post_id"]) | set(store.read("errors")["post_id"])
        assert asked and asked <= mine
        seen.append(mine)
    assert not (seen[0] & seen[1]) and not (seen[1] & seen[2]) and not (seen[0] & seen[2])
    assert set().union(*seen) == every


def test_the_cli_tracks_several_profiles_in_one_process(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AYRSHARE_API_KEY", raising=False)
    monkeypatch.delenv("AYRSHARE_PROFILE_KEY", raising=False)
    world = build_world(7)
    keys = [p.profile_key for p in world.profiles[1:]]
    store = tmp_path / "store"
    code = main(["track", "--last-days", "10", "--store", str(store), "--rounds", "1",
                 "--quiet", "--profiles", ",".join(keys), "--shard", "0/1"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "profile 1 of 2" in out and "profile 2 of 2" in out
    assert not any(k in out for k in keys)  # Profile-Keys are secrets: never printed
    stored = set(SnapshotStore(store).read("posts")["post_id"])
    owners = {p.id: p.profile for p in world.ayrshare_posts()}
    assert stored and {owners[p] for p in stored} == {1, 2}


def test_the_cli_refuses_a_bad_shard_before_any_request(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["track", "--last-days", "3", "--store", str(tmp_path / "s"), "--shard", "3/3"])
    assert exit_.value.code == 2
    assert "i must be from 0 to N-1" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()
