"""Structured fuzzing: whole answers and campaigns files built from valid shapes, with random
values and random removals, must come out exactly as built.

tests/test_normalize_hypothesis.py throws arbitrary JSON at the normaliser (it must not break);
tests/test_campaigns.py throws arbitrary text at the parser (only CampaignsFileError). Here the
input is valid and the checks are about values: every number lands in its column with its unit,
a removed field is null (not 0), a failed network is an error row, a campaigns file round-trips.

The default run uses a fixed, derandomised profile (fast, the same examples every time); set
AYR_FUZZ_EXAMPLES=2000 for a longer random search.
"""

from __future__ import annotations

import json
import os
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ayr_analysis import platforms, schema
from ayr_analysis.campaigns import CampaignsFileError, parse_campaigns
from ayr_analysis.normalize import DataQualityWarning, normalize, normalize_history

SAMPLES = Path(__file__).parent / "samples"
FIELDS = json.loads((SAMPLES / "fields.json").read_text(encoding="utf-8"))["platforms"]

_LONG_RUN = int(os.environ.get("AYR_FUZZ_EXAMPLES", "0"))
PROFILE = settings(
    max_examples=_LONG_RUN or 50,
    derandomize=not _LONG_RUN,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: reference unit -> (multiplier, divisor) into our units (as in test_normalize_fields.py)
CONVERSION = {None: (1, 1), "ms": (1, 1000), "min": (60, 1), "s": (1, 1), "percent": (1, 100),
              "fraction": (1, 1)}  # fmt: skip

NUMERIC = {
    plat: [e for e in entries if e["type"] in ("int", "float")] for plat, entries in FIELDS.items()
}


def _value(entry):
    unit = entry.get("unit")
    if entry["type"] == "int":
        return st.integers(0, 10**9)
    top = {"fraction": 1.0, "percent": 100.0}.get(unit, 1e6)
    return st.floats(0, top, allow_nan=False, allow_infinity=False)


def _set(obj: dict, path: str, value) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        obj = obj.setdefault(p, {})
    obj[parts[-1]] = value


@st.composite
def network_objects(draw, plat: str):
    """One network's object: a random subset of its fields.json numbers (some None, some 0)."""
    analytics: dict = {}
    kept = {}
    for entry in NUMERIC[plat]:
        choice = draw(st.sampled_from(["value", "value", "zero", "null", "removed"]))
        if choice == "removed":
            continue
        value = {"zero": 0, "null": None}.get(choice)
        if choice == "value":
            value = draw(_value(entry))
        if any(k.startswith(entry["path"] + ".") for k in kept):
            continue  # a parent path of a field already set (kept as an object)
        _set(analytics, entry["path"], value)
        kept[entry["path"]] = (entry, value)
    obj = {"id": f"S-{plat}", "postUrl": f"https://{plat}.example/p/1", "analytics": analytics,
           "lastUpdated": "2026-06-01T10:00:00.000Z", "nextUpdate": "2026-06-01T11:00:00.000Z"}  # fmt: skip
    for key in draw(st.sets(st.sampled_from(["id", "postUrl", "lastUpdated", "nextUpdate"]))):
        del obj[key]
    return obj, kept


@st.composite
def answers(draw, main: str):
    """An answer holding ``main`` (never failed) and up to three other networks (some failed)."""
    others = draw(st.lists(st.sampled_from(sorted(set(NUMERIC) - {main})), max_size=3,
                           unique=True))  # fmt: skip
    nets = draw(st.permutations([main, *others]))
    failed = draw(st.sets(st.sampled_from(others))) if others else set()
    body: dict = {"status": "success", "id": "AYR-FUZZ"}
    kept = {}
    for plat in nets:
        if plat in failed:
            code = draw(st.sampled_from([156, 283, 419, 485]))
            body[plat] = {"status": "error", "code": code, "message": f"{plat} failed"}
        else:
            body[plat], kept[plat] = draw(network_objects(plat))
    return body, kept, failed


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return fn(*args, **kwargs)


PER_NETWORK = settings(PROFILE, max_examples=_LONG_RUN or 15)


@pytest.mark.parametrize("main", sorted(NUMERIC))
@PER_NETWORK
@given(data=st.data())
def test_whole_answers_from_fields_json_keep_every_value(main, data):
    body, kept, failed = data.draw(answers(main))
    frames = _quiet(normalize, body)
    assert frames.wide.schema == schema.WIDE_SCHEMA and frames.long.schema == schema.LONG_SCHEMA
    # one wide row per network that answered, one error row per network that failed
    assert sorted(frames.wide["platform"].to_list()) == sorted(kept)
    errors = frames.errors.filter(frames.errors["platform"].is_in(sorted(failed)))
    assert sorted(errors["platform"].to_list()) == sorted(failed)
    assert errors["message"].null_count() == 0
    long_fields = set(frames.long.select("platform", "field").iter_rows())
    for plat, fields in kept.items():
        row = frames.wide.filter(frames.wide["platform"] == plat).row(0, named=True)
        assert row["post_id"] == "AYR-FUZZ"
        spec = platforms.get(plat)
        for path, (entry, value) in fields.items():
            if value is not None:  # every number sent is kept in long, mapped or not
                assert (plat, path) in long_fields, (plat, path)
            fs = spec.field_map.get(path)
            metric = fs.metric if fs is not None else None
            if metric is None or spec.metric_sources.get(metric) != (path,):
                continue
            if entry.get("unit") not in CONVERSION or metric == "engagement_rate_reported":
                continue
            if value is None:
                assert row[metric] is None, (plat, path)  # not reported stays null
            else:
                mul, div = CONVERSION[entry.get("unit")]
                assert row[metric] == pytest.approx(value * mul / div), (plat, path, value)
        # a single-source metric whose field was removed is null, never 0
        for metric, sources in spec.metric_sources.items():
            if len(sources) == 1 and sources[0] not in fields and metric in row:
                if any(s.startswith(sources[0] + ".") or sources[0].startswith(s + ".")
                       for s in fields):  # fmt: skip
                    continue
                assert row[metric] is None, (plat, metric)


HISTORY_KEYS = ["errors", "post", "platforms", "postIds", "urls", "type", "notes", "created",
                "status", "scheduleDate", "id", "mediaUrls"]  # fmt: skip
NETS = sorted(n for n in FIELDS if n != "snapchat")


@st.composite
def history_items(draw, index: int):
    nets = draw(st.lists(st.sampled_from(NETS), min_size=1, max_size=4, unique=True))
    with_ids = draw(st.lists(st.sampled_from(nets), unique=True))
    created = draw(st.datetimes(datetime(2019, 1, 1), datetime(2027, 1, 1))).replace(
        microsecond=0, tzinfo=UTC
    )
    item = {
        "errors": [],
        "post": draw(st.text(max_size=40)),
        "platforms": nets,
        "postIds": [{"status": "success", "id": f"{p}-{index}", "platform": p} for p in with_ids],
        "urls": [],
        "type": draw(st.sampled_from(["now", "schedule"])),
        "notes": draw(st.text(max_size=10)),
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": draw(st.sampled_from(["success", "error", "pending", "deleted"])),
        "id": f"AYR{index:04d}",
        "mediaUrls": draw(st.lists(st.just("https://img.example/a.png"), max_size=2)),
    }
    removed = draw(st.sets(st.sampled_from(["errors", "urls", "notes", "mediaUrls", "type",
                                            "status", "post", "created"])))  # fmt: skip
    for key in removed:
        del item[key]
    return item, nets, created if "created" not in removed else None


@PROFILE
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(*[history_items(i) for i in range(n)])))
def test_history_answers_give_one_row_per_post_and_network(items):
    answer = {"history": [item for item, _, _ in items]}
    posts = _quiet(normalize_history, answer)
    assert posts.schema == schema.POSTS_SCHEMA
    expected = [(item["id"], p) for item, nets, _ in items for p in nets]
    # one row per post and network (networks with a social id come first within a post)
    assert sorted(posts.select("post_id", "platform").rows()) == sorted(expected)
    assert posts["post_id"].to_list() == [pid for pid, _ in expected]
    for item, nets, created in items:
        rows = posts.filter(posts["post_id"] == item["id"])
        ids = {e["platform"]: e["id"] for e in item["postIds"]}
        got = dict(rows.select("platform", "social_id").iter_rows())
        assert got == {p: ids.get(p) for p in nets}
        assert rows["created_at"].to_list() == [created] * len(nets)
        # an empty text counts as not given (the normaliser then tries other text keys)
        assert rows["text"].to_list() == [item.get("post") or None] * len(nets)
    # the legacy bare array gives the same rows
    assert _quiet(normalize_history, answer["history"]).equals(posts)


# ------------------------------------------------------------------------------- campaigns
_name = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
_tag = st.from_regex(r"#[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True)
_id = st.from_regex(r"[A-Za-z0-9]{20}", fullmatch=True)
_day = st.dates(date(2020, 1, 1), date(2030, 12, 31))
_PLATFORMS = list(schema.PLATFORMS)


@st.composite
def campaign_specs(draw):
    names = draw(st.lists(_name, min_size=1, max_size=5, unique=True))
    specs = []
    for name in names:
        spec: dict = {"name": name}
        if draw(st.booleans()):
            spec["description"] = draw(st.text(max_size=30))
        if draw(st.booleans()):
            spec["ids"] = draw(st.lists(_id, min_size=1, max_size=3))
        if draw(st.booleans()):
            spec["hashtags"] = draw(st.lists(_tag, min_size=1, max_size=3))
        if draw(st.booleans()):
            spec["pattern"] = draw(st.sampled_from([r"launch|release", r"\bsale\b", "^New"]))
        if draw(st.booleans()):
            a, b = sorted(draw(st.lists(_day, min_size=2, max_size=2)))
            spec["start"], spec["end"] = a, b
        if draw(st.booleans()):
            spec["platforms"] = draw(st.lists(st.sampled_from(_PLATFORMS), min_size=1,
                                              max_size=4, unique=True))  # fmt: skip
        specs.append(spec)
    return specs


def _toml(specs: list[dict]) -> str:
    out = ["# generated"]
    for spec in specs:
        out.append("[[campaign]]")
        for key, value in spec.items():
            if isinstance(value, date):
                out.append(f"{key} = {value.isoformat()}")
            else:
                # JSON strings are TOML basic strings, but for DEL: TOML wants it escaped
                text = json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
                out.append(f"{key} = {text}")
        out.append("")
    return "\n".join(out)


@PROFILE
@given(campaign_specs())
def test_valid_campaigns_files_round_trip(specs):
    parsed = parse_campaigns(_toml(specs), source="gen.toml")
    assert [c.name for c in parsed] == [s["name"] for s in specs]
    for c, s in zip(parsed, specs, strict=True):
        assert c.description == s.get("description")
        assert c.ids == tuple(s.get("ids", ()))
        assert [t.lstrip("#").lower() for t in c.hashtags] == [
            t.lstrip("#").lower() for t in s.get("hashtags", ())
        ]
        assert c.pattern == s.get("pattern")
        assert set(c.platforms) == set(s.get("platforms", ()))
        if "start" in s:
            assert c.start.date() == s["start"] and c.end.date() == s["end"]
            assert c.start <= c.end
        else:
            assert c.start is None and c.end is None


BREAKAGES = {
    "end before start": (lambda s: s.update(start=date(2026, 9, 2), end=date(2026, 9, 1)),
                         "is before start"),
    "unknown platform": (lambda s: s.update(platforms=["myspace"]), "myspace"),
    "empty name": (lambda s: s.update(name=""), "'name' is required"),
    "bad regex": (lambda s: s.update(pattern="(unclosed"), "not a valid regex"),
    "ids not strings": (lambda s: s.update(ids=[1, 2]), "'ids' must be a list"),
    "unknown key": (lambda s: s.update(colour="red"), "unknown key 'colour'"),
    "empty hashtags": (lambda s: s.update(hashtags=[]), "'hashtags' is empty"),
}  # fmt: skip


@PROFILE
@given(campaign_specs(), st.sampled_from(sorted(BREAKAGES)), st.data())
def test_one_broken_field_names_the_campaign_and_the_problem(specs, breakage, data):
    index = data.draw(st.integers(0, len(specs) - 1))
    break_it, words = BREAKAGES[breakage]
    break_it(specs[index])
    with pytest.raises(CampaignsFileError) as info:
        parse_campaigns(_toml(specs), source="gen.toml")
    message = str(info.value)
    assert message.startswith("gen.toml: ")
    assert words in message
    assert f"campaign #{index + 1}" in message
