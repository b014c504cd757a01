"""Other engines read the snapshot store as it lies on disk and find the same numbers.

A store recorded from the demo world by ``demo_store`` (written by ``SnapshotStore.append``) is
read by DuckDB and by Apache Spark (pyspark in local mode), straight from its Hive-style Parquet
folders. Both must give the aggregates ``SnapshotStore`` gives: the latest observation of each
post and network, and per platform and day the sums of the count metrics. Integers are compared
exactly and a metric a network does not report stays null (a sum over nothing reported is null,
never 0).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import polars as pl
import pytest

from ayr_analysis import schema as S
from ayr_analysis.sandbox.history import demo_store

#: count metrics compared: reported by some networks and not by others, so both values and
#: nulls are checked
METRICS = ("likes", "comments", "shares", "saves", "impressions", "reach", "views", "clicks")
KEY = list(S.UNIT_KEY)

#: recording the demo profile takes tens of seconds; Spark starts in about as long
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two ages of every demo post of the primary profile: small, with every network."""
    return demo_store(
        tmp_path_factory.mktemp("engines") / "store", profiles=[None], ages=["1h", "24h"],
        progress=False,
    )  # fmt: skip


def _expected_latest(store) -> pl.DataFrame:
    return (
        store.latest("wide")
        .select(
            *KEY,
            pl.col("observed_at").dt.epoch("us").alias("observed_us"),
            *(pl.col(m).cast(pl.Int64) for m in METRICS),
        )
        .sort(KEY)
    )


def _expected_sums(store) -> pl.DataFrame:
    return (
        store.scan("wide")
        .group_by("platform", pl.col("observed_at").dt.date().alias("day"))
        .agg(
            pl.len().alias("rows"),
            # a sum over values none of which was reported is null, as in SQL
            *(
                pl.when(pl.col(m).count() > 0).then(pl.col(m).sum()).cast(pl.Int64).alias(m)
                for m in METRICS
            ),
        )
        .sort("platform", "day")
        .collect()
    )


def _check_store_is_interesting(latest: pl.DataFrame, sums: pl.DataFrame) -> None:
    # the comparison means something: several networks and days, values and nulls both present
    assert latest["platform"].n_unique() >= 6 and latest.height >= 100
    assert sums["day"].n_unique() >= 10
    assert latest["likes"].drop_nulls().sum() > 0
    assert latest["impressions"].null_count() > 0 and latest["impressions"].drop_nulls().len() > 0
    assert latest["thread_position"].max() > 0  # X threads: one row per tweet


LATEST_SQL = """
SELECT {key}, {epoch} AS observed_us, {metrics}
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY post_id, platform, thread_position
        ORDER BY observed_at DESC, fetched_at DESC
    ) AS n
    FROM wide
) AS ranked
WHERE n = 1
ORDER BY post_id, platform, thread_position
"""

SUMS_SQL = """
SELECT platform, {day} AS day, count(*) AS rows, {sums}
FROM wide
GROUP BY platform, {day}
ORDER BY platform, day
"""


def _sql(template: str, *, epoch: str = "", day: str = "") -> str:
    return template.format(
        key=", ".join(KEY),
        epoch=epoch,
        metrics=", ".join(f"CAST({m} AS BIGINT) AS {m}" for m in METRICS),
        day=day,
        sums=", ".join(f"CAST(sum({m}) AS BIGINT) AS {m}" for m in METRICS),
    )


def _same(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    got = got.cast(dict(expected.schema))
    assert got.columns == expected.columns
    assert got.height == expected.height
    assert got.equals(expected), (
        got.join(expected, on=got.columns, how="anti").head(5),
        expected.join(got, on=got.columns, how="anti").head(5),
    )


def test_duckdb_reads_the_same_numbers(store):
    import duckdb

    latest, sums = _expected_latest(store), _expected_sums(store)
    _check_store_is_interesting(latest, sums)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE VIEW wide AS SELECT * FROM read_parquet("
        f"'{store.path}/wide/**/*.parquet', hive_partitioning = true)"
    )
    got_latest = con.sql(_sql(LATEST_SQL, epoch="epoch_us(observed_at)")).pl()
    got_sums = con.sql(_sql(SUMS_SQL, day="CAST(observed_at AS DATE)")).pl()
    _same(got_latest, latest)
    _same(got_sums, sums)
    # the partition column `date` is the UTC day of observed_at, as the store writes it
    mismatched = con.execute("SELECT count(*) FROM wide WHERE date <> CAST(observed_at AS DATE)")
    assert mismatched.fetchone() == (0,)


# --------------------------------------------------------------------------- Spark


def _java() -> str | None:
    return shutil.which("java") or (
        os.path.join(os.environ["JAVA_HOME"], "bin", "java") if "JAVA_HOME" in os.environ else None
    )


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the test session: no UI, few shuffle partitions, UTC."""
    pyspark = pytest.importorskip("pyspark")
    if _java() is None:
        pytest.skip("Apache Spark needs Java: apt-get install openjdk-17-jre-headless")
    session = (
        pyspark.sql.SparkSession.builder.master("local[2]")
        .appName("ayr-analysis-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_reads_the_same_numbers(store, spark):
    latest, sums = _expected_latest(store), _expected_sums(store)
    _check_store_is_interesting(latest, sums)
    # Spark discovers the Hive partitions (platform, date) from the folder names
    spark.read.parquet(f"{store.path}/wide").createOrReplaceTempView("wide")
    got_latest = spark.sql(_sql(LATEST_SQL, epoch="unix_micros(observed_at)"))
    got_sums = spark.sql(_sql(SUMS_SQL, day="to_date(observed_at)"))

    def to_polars(df, schema: pl.Schema) -> pl.DataFrame:
        return pl.DataFrame([r.asDict() for r in df.collect()], schema=schema)

    _same(to_polars(got_latest, latest.schema), latest)
    _same(to_polars(got_sums, sums.schema), sums)
    days = spark.sql("SELECT DISTINCT date FROM wide ORDER BY date").collect()
    assert [r["date"] for r in days] == sums["day"].unique().sort().to_list()
    assert all(isinstance(r["date"], dt.date) for r in days)
