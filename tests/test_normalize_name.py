"""``ayr_analysis.normalize`` is the function, also once the submodule of that name is imported."""

from __future__ import annotations

import importlib
import subprocess
import sys

import ayr_analysis as ayr

ANSWER = {"status": "success", "id": "AYR1", "bluesky": {"analytics": {"likeCount": 3}}}


def test_normalize_is_the_function_after_history_in_a_fresh_process(tmp_path):
    code = (
        "import ayr_analysis as ayr\n"
        "ayr.history()\n"  # imports the normalize submodule (normalize_history)
        f"frames = ayr.normalize({ANSWER!r})\n"
        "print(type(frames).__name__, frames.wide['likes'].to_list())\n"
        "from ayr_analysis.normalize import AnalyticsFrames\n"
        "print(AnalyticsFrames is type(frames), callable(ayr.normalize))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == ["AnalyticsFrames [3]", "True True"]


def test_normalize_is_the_function_when_the_submodule_is_imported_first(tmp_path):
    code = (
        "from ayr_analysis.normalize import AnalyticsFrames, normalize_history\n"
        "import ayr_analysis\n"
        "import ayr_analysis.normalize\n"
        "module = __import__('sys').modules['ayr_analysis.normalize']\n"
        "print(ayr_analysis.normalize is module.normalize, module.__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True ayr_analysis.normalize"


def test_the_submodule_stays_importable_by_its_path():
    module = importlib.import_module("ayr_analysis.normalize")
    from ayr_analysis.normalize import AnalyticsFrames, normalize

    assert module.AnalyticsFrames is AnalyticsFrames
    assert ayr.normalize is normalize is module.normalize
    frames = ayr.normalize(ANSWER)
    assert isinstance(frames, AnalyticsFrames)
    assert frames.wide.select("post_id", "platform", "likes").row(0) == ("AYR1", "bluesky", 3)
    # other names of the package are set as usual
    assert ayr.AnalyticsFrames is AnalyticsFrames
