"""Campaigns file parsing (with specific errors) and assignment of posts to campaigns."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import T0, wide_frame

from ayr_analysis import schema as S
from ayr_analysis.campaigns import (
    Campaign,
    CampaignsFileError,
    assign_campaigns,
    load_campaigns,
    parse_campaigns,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "campaigns.example.toml"


def test_example_file_parses():
    campaigns = load_campaigns(EXAMPLE)
    assert [c.name for c in campaigns][:2] == ["spring-launch", "creator-collab"]
    launch = campaigns[0]
    assert launch.hashtags == ("#SpringLaunch",)
    assert launch.start == datetime(2026, 8, 1, tzinfo=UTC)
    assert launch.end == datetime(2026, 8, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_fields_are_read():
    (c,) = parse_campaigns(
        """
[[campaign]]
name = "collab"
description = "creator posts"
ids = ["A1", "A2"]
pattern = "(?i)with @\\\\w+"
start = 2026-08-01T12:00:00Z
platforms = ["tiktok", "instagram"]
"""
    )
    assert c.ids == ("A1", "A2")
    assert c.pattern == r"(?i)with @\w+"
    assert c.start == datetime(2026, 8, 1, 12, tzinfo=UTC) and c.end is None
    assert c.platforms == ("tiktok", "instagram")
    assert parse_campaigns("") == []


BAD = [
    ('[[campaign]]\nname = "a\nids = ["x"]\n', r"c.toml: not valid TOML: .*line 2"),
    ('[[campaign]]\nname = "a"\nhashtags = ["#x"\n', r"not valid TOML: Unclosed array"),
    ('[[campaign]]\nname = "a"\ncolour = "red"\n', r"campaign #1 \(line 1\): unknown key 'colour'"),
    ('[[campaign]]\ndescription = "no name"\n', r"campaign #1 \(line 1\): 'name' is required"),
    ('[[campaign]]\nname = "a"\npattern = "(unclosed"\n', r"'a': 'pattern' is not a valid regex"),
    ('[[campaign]]\nname = "a"\nstart = "August"\n', r"'start' = 'August' is not a date"),
    (
        '[[campaign]]\nname = "a"\nstart = 2026-08-10\nend = 2026-08-01\n',
        r"end 2026-08-01 is before start 2026-08-10",
    ),
    (
        '[[campaign]]\nname = "a"\n\n[[campaign]]\nname = "A"\n',
        r"campaign #2 \(line 4\): duplicate name 'A' \(also campaign #1\)",
    ),
    (
        '[[campaign]]\nname = "a"\nplatforms = ["fb"]\n',
        r"unknown platform 'fb' \(did you mean 'facebook'\?\)",
    ),
    (
        '[[campaign]]\nname = "a"\nplatforms = ["myspace"]\n',
        r"unknown platform 'myspace'; valid platforms: bluesky",
    ),
    (
        '[[campaign]]\nname = "a"\nhashtags = ["#two words"]\n',
        r"hashtag '#two words' is not a single tag",
    ),
    ('[[campaign]]\nname = "a"\nids = []\n', r"'ids' is empty"),
    ('[[campaign]]\nname = "a"\nids = [1, 2]\n', r"'ids' must be a list of non-empty strings"),
    ('[campaign]\nname = "a"\n', r"must be written as \[\[campaign\]\] tables"),
    ('title = "mine"\n[[campaign]]\nname = "a"\n', r"unknown top-level key\(s\) \['title'\]"),
    ('[[campaign]]\nname = "a"\nstart = 12\n', r"'start' must be a date"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_files_get_specific_errors(text, message):
    with pytest.raises(CampaignsFileError, match=message):
        parse_campaigns(text, source="c.toml")


def test_unknown_key_message_names_the_campaign_and_line():
    text = '[[campaign]]\nname = "ok"\n\n[[campaign]]\nname = "b"\ncolour = "red"\n'
    with pytest.raises(CampaignsFileError) as info:
        parse_campaigns(text, source="c.toml")
    assert str(info.value) == (
        "c.toml: campaign #2 (line 4): unknown key 'colour' "
        "(allowed: name, description, ids, hashtags, pattern, start, end, platforms)"
    )


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(CampaignsFileError, match=r"'.*nope.toml' not found"):
        load_campaigns(tmp_path / "nope.toml")
    with pytest.raises(CampaignsFileError, match="is a folder"):
        load_campaigns(tmp_path)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(CampaignsFileError, match="not UTF-8"):
        load_campaigns(binary)


_FRAGMENTS = st.sampled_from(
    [
        "[[campaign]]\n",
        "[campaign]\n",
        "name = ",
        "ids = ",
        "hashtags = ",
        "pattern = ",
        "start = ",
        "end = ",
        "platforms = ",
        "description = ",
        '"a"',
        '"#Tag"',
        '["tiktok"]',
        '["#a", "#b"]',
        "[",
        "]",
        "2026-08-01",
        "2026-02-30",
        "1979-05-27T07:32:00Z",
        '"(?P<x"',
        '"[a-"',
        "\n",
        "=",
        "{",
        "}",
        "'''",
        '"""',
        "1e999",
        "nan",
        "true",
        ",",
        "#",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=8)), max_size=30))
def test_arbitrary_text_only_raises_campaigns_file_error(parts):
    try:
        result = parse_campaigns("".join(parts))
    except CampaignsFileError:
        return
    assert all(isinstance(c, Campaign) for c in result)


def _posts() -> pl.DataFrame:
    rows = [
        ("P1", "tiktok", "Big news #SpringLaunch today", 1),
        ("P2", "instagram", "Big news #springlaunch", 2),
        ("P3", "instagram", "#SpringLaunched is a different tag", 3),
        ("P4", "tiktok", "with @maker on set", 4),
        ("P5", "twitter", "#SpringLaunch but in September", 40),
        ("P6", "tiktok", "nothing to see", 5),
        ("P7", "linkedin", None, 6),
    ]
    return wide_frame(
        [
            {
                "post_id": pid,
                "platform": platform,
                "thread_position": 0,
                "observed_at": T0,
                "published_at": datetime(2026, 8, day, tzinfo=UTC)
                if day <= 31
                else datetime(2026, 9, day - 31, tzinfo=UTC),
                "text": text,
            }
            for pid, platform, text, day in rows
        ]
    )


def test_assign_first_match_wins_and_rules_combine():
    campaigns = parse_campaigns(
        """
[[campaign]]
name = "launch"
hashtags = ["SpringLaunch"]
start = 2026-08-01
end = 2026-08-31

[[campaign]]
name = "collab"
pattern = "with @\\\\w+"
platforms = ["tiktok"]

[[campaign]]
name = "picked"
ids = ["P1", "P6"]

[[campaign]]
name = "linkedin-anything"
platforms = ["linkedin"]
"""
    )
    out = assign_campaigns(_posts(), campaigns)
    assert out.columns == [*S.WIDE_SCHEMA.names(), "campaign"]
    assert dict(zip(out["post_id"], out["campaign"], strict=True)) == {
        "P1": "launch",  # also in "picked", but launch comes first
        "P2": "launch",  # hashtags are case-insensitive
        "P3": None,  # whole tags only
        "P4": "collab",
        "P5": None,  # outside the window
        "P6": "picked",
        "P7": "linkedin-anything",  # no content rule: any post on the network
    }


def test_assign_uses_history_for_text_and_time():
    long_like = pl.DataFrame({"post_id": ["P1", "P2", "P3"], "platform": ["tiktok"] * 3})
    posts = pl.DataFrame(
        {
            "post_id": ["P1", "P2"],
            "text": ["#Launch", "#Launch"],
            "created_at": [datetime(2026, 8, 2, tzinfo=UTC), datetime(2026, 7, 2, tzinfo=UTC)],
        }
    )
    launch = [Campaign("launch", hashtags=("#launch",), start=datetime(2026, 8, 1, tzinfo=UTC))]
    out = assign_campaigns(long_like, launch, posts=posts)
    assert out["campaign"].to_list() == ["launch", None, None]
    assert out["post_id"].to_list() == ["P1", "P2", "P3"]
    # a campaign file path works too, and an existing campaign column is replaced
    again = assign_campaigns(out, EXAMPLE, posts=posts)
    assert again.columns.count("campaign") == 1


def test_cli_checks_a_campaigns_file(tmp_path, capsys):
    from ayr_analysis.cli import main

    assert main(["campaigns", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "spring-launch: hashtags=#SpringLaunch; start=2026-08-01; end=2026-08-31" in out
    assert "4 campaign(s) OK" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[[campaign]]\nname = "a"\nplatforms = ["fb"]\n')
    assert main(["campaigns", str(bad)]) == 2
    assert "did you mean 'facebook'" in capsys.readouterr().err
