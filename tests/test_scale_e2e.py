"""Many trackers, one store on object storage: four ``ayr-analysis track`` processes on disjoint
shards of the sandbox's profiles write one ``s3://`` store (moto's S3 server on 127.0.0.1) while
``ayr-analysis compact`` runs; one tracker is killed with SIGKILL mid-run and started again.
Every observation the sandbox served is stored once: none lost, none twice, on read and in the
files themselves.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import polars as pl
import pytest

from ayr_analysis.config import ENV_VARS
from ayr_analysis.normalize import normalize
from ayr_analysis.sandbox.server import serve_in_thread
from ayr_analysis.sandbox.world import build_world
from ayr_analysis.store import TABLE_KEYS, SnapshotStore

pytestmark = pytest.mark.slow

WIDE_KEY = list(TABLE_KEYS["wide"])
BATCH = 50  # the tracker's batch size: what one killed process may hold unwritten


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _aws_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing-secret",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def _env(base: dict[str, str], api_key: str, base_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ENV_VARS.values() and not k.startswith("AWS_")
    }
    env.update(base)
    env.update(
        {"AYRSHARE_API_KEY": api_key, "AYRSHARE_BASE_URL": base_url, "PYTHONUNBUFFERED": "1"}
    )
    return env


def test_four_sharded_trackers_one_killed_and_a_compaction_lose_and_double_nothing(
    s3_endpoint, tmp_path, monkeypatch
):
    import boto3

    aws = _aws_env(s3_endpoint)
    for k, v in aws.items():
        monkeypatch.setenv(k, v)
    bucket = f"scale{uuid.uuid4().hex[:10]}"
    boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="testing",
        aws_secret_access_key="testing-secret", region_name="us-east-1",
    ).create_bucket(Bucket=bucket)  # fmt: skip
    url = f"s3://{bucket}/snapshots"
    profiles = [p.profile_key for p in build_world(7).profiles]
    assert len(profiles) == 3
    # four shards: the big primary profile split in two by post, the other two whole
    shards = [
        (profiles[0], "0/2"),
        (profiles[0], "1/2"),
        (profiles[1], "0/1"),
        (profiles[2], "0/1"),
    ]
    lives = [f"life-{n}" for n in range(5)]  # one API key per process life: who got what
    answered: dict[str, list[dict]] = {k: [] for k in lives}
    lock = threading.Lock()

    def on_answer(req, answer) -> None:
        if answer.status != 200 or not req.path.endswith("/analytics/post"):
            return
        key = req.headers.get("authorization", "")[7:]
        with lock:
            answered[key].append(answer.json())

    server = serve_in_thread(
        speed=900.0, rate_limit=1_000_000, api_keys=lives, seed=7
    )  # 15 simulated minutes a second: the cached numbers move during the run
    server.app.on_answer = on_answer
    started = time.monotonic()

    def start(n: int, profile: str, shard: str, duration: str) -> subprocess.Popen:
        argv = [
            sys.executable, "-m", "ayr_analysis", "track", "--last-days", "30", "--store", url,
            "--profiles", profile, "--shard", shard, "--min-interval", "2s",
            "--duration", duration, "--quiet",
        ]  # fmt: skip
        return subprocess.Popen(
            argv,
            cwd=tmp_path,
            env=_env(aws, lives[n], server.base_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    try:
        procs = [start(n, p, s, "15s") for n, (p, s) in enumerate(shards)]
        victim = procs[0]
        me = "".join(c for c in socket.gethostname() if c.isalnum())[:16]
        probe = SnapshotStore(url)

        def victim_files() -> int:
            return sum(1 for u, _ in probe._url_files("wide") if f"-{me}{victim.pid}-" in u)

        deadline = time.monotonic() + 60
        while victim_files() < 2:  # it has written: kill it in the middle of its run
            assert victim.poll() is None, victim.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the tracker wrote nothing in 60 s"
            time.sleep(0.1)
        time.sleep(0.3)
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
        assert victim.returncode == -signal.SIGKILL
        killed_at = sum(len(v) for v in answered.values())
        restarted = start(4, *shards[0], "8s")
        # compaction runs while the four trackers write
        compactions = []
        while any(p.poll() is None for p in (*procs[1:], restarted)):
            c = subprocess.run(
                [sys.executable, "-m", "ayr_analysis", "compact", url, "--min-age", "0"],
                cwd=tmp_path, env=_env(aws, lives[0], server.base_url),
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert c.returncode == 0, c.stderr[-2000:]
            compactions.append(c.stdout)
        for p in (*procs[1:], restarted):
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err[-2000:]
            assert "tracking ended" in out
    finally:
        server.stop()
        for p in (*procs, restarted) if "restarted" in locals() else procs:
            if p.poll() is None:
                p.kill()
    assert compactions and any("merged away" in c for c in compactions)

    store = SnapshotStore(url)
    wide = store.read("wide")
    # never twice on read
    assert wide.height == wide.n_unique(WIDE_KEY) > 0
    # what the sandbox served, per process life, as the tracker's normaliser reads it
    served = {
        life: pl.concat([normalize(a).wide.select(WIDE_KEY) for a in answers]).unique()
        if answers
        else pl.DataFrame(schema=wide.select(WIDE_KEY).schema)
        for life, answers in answered.items()
    }
    stored = wide.select(WIDE_KEY)
    lost = {
        life: s.join(stored, on=WIDE_KEY, how="anti", nulls_equal=True).height
        for life, s in served.items()
    }
    # every life that ended cleanly stored all it was served
    assert [lost[k] for k in lives[1:]] == [0, 0, 0, 0], lost
    # the killed one can only miss the batch it held when killed (and a later run re-asked it)
    missed = served[lives[0]].join(stored, on=WIDE_KEY, how="anti", nulls_equal=True)
    assert missed["post_id"].n_unique() <= BATCH, missed
    # nothing stored that was not served
    everything = pl.concat(list(served.values())).unique()
    assert stored.join(everything, on=WIDE_KEY, how="anti", nulls_equal=True).height == 0
    # every shard's posts are only its own: four trackers, disjoint keys
    assert served[lives[1]].join(served[lives[2]], on="post_id", how="semi").height == 0
    # never twice in the files either, once the last compaction is done
    store.compact(min_age=0)
    for table in ("wide", "long", "posts"):
        sources = store._sources(table) or []
        raw = pl.scan_parquet(sources, hive_partitioning=False).collect()
        assert raw.height == raw.n_unique(list(TABLE_KEYS[table])), table
    print(
        f"\nserved {sum(s.height for s in served.values())} observations "
        f"({killed_at} answers before the kill), stored {stored.height}; "
        f"missed by the killed tracker: {missed.height}; lost by the others: 0; "
        f"{len(compactions)} compactions; {time.monotonic() - started:.0f} s"
    )
