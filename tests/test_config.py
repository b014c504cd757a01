"""Settings: arguments, then environment, then .env; secrets never print."""

import copy
import os
import pickle

import pytest

from ayr_analysis.config import ENV_VARS, Secret, Settings, load_settings
from ayr_analysis.errors import ValidationError

KEY = "sk-config-SECRET-9f8e7d"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_env(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_anything_are_demo():
    s = load_settings()
    assert s == Settings()
    assert s.api_key is None
    assert s.base_url == "https://api.ayrshare.com/api"
    assert (s.timeout, s.max_retries, s.rate_limit, s.rate_window) == (30.0, 4, 300, 300.0)
    assert s.source == "auto"
    assert s.is_demo is True


def test_arguments_beat_environment_which_beats_dotenv(monkeypatch, tmp_path):
    write_env(
        tmp_path / ".env",
        "AYRSHARE_API_KEY=from-file\nAYRSHARE_TIMEOUT=11\nAYRSHARE_RATE_LIMIT=150\n"
        "AYRSHARE_PROFILE_KEY=profile-from-file\n",
    )
    monkeypatch.setenv("AYRSHARE_API_KEY", "from-env")
    monkeypatch.setenv("AYRSHARE_TIMEOUT", "22")
    s = load_settings(timeout=33)
    assert s.api_key.get_secret_value() == "from-env"
    assert s.timeout == 33
    assert s.rate_limit == 150  # only the file sets it
    assert s.profile_key.get_secret_value() == "profile-from-file"
    assert s.is_demo is False

    s2 = load_settings()
    assert s2.timeout == 22.0


def test_dotenv_is_never_copied_into_the_environment(tmp_path):
    write_env(tmp_path / ".env", f"AYRSHARE_API_KEY={KEY}\n")
    s = load_settings()
    assert s.api_key.get_secret_value() == KEY
    assert "AYRSHARE_API_KEY" not in os.environ


def test_env_file_none_skips_the_file_and_a_custom_path_is_read(tmp_path):
    write_env(tmp_path / ".env", "AYRSHARE_RATE_WINDOW=60\n")
    assert load_settings(env_file=None).rate_window == 300.0
    other = write_env(tmp_path / "other.env", "AYRSHARE_RATE_WINDOW=120\n")
    assert load_settings(env_file=other).rate_window == 120.0


def test_empty_values_count_as_unset(monkeypatch, tmp_path):
    # as in .env.example, where most values are blank
    write_env(tmp_path / ".env", "AYRSHARE_API_KEY=\nAYRSHARE_BASE_URL=\nAYRSHARE_TIMEOUT=\n")
    monkeypatch.setenv("AYRSHARE_PROFILE_KEY", "")
    s = load_settings()
    assert s.api_key is None and s.profile_key is None
    assert s.base_url == "https://api.ayrshare.com/api"
    assert s.timeout == 30.0


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("AYRSHARE_TIMEOUT", "thirty"),
        ("AYRSHARE_MAX_RETRIES", "2.5"),
        ("AYRSHARE_RATE_LIMIT", "lots"),
        ("AYRSHARE_RATE_WINDOW", "5min"),
    ],
)
def test_invalid_number_in_environment_names_the_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError) as info:
        load_settings()
    assert var in str(info.value)
    assert repr(value) in str(info.value)


def test_invalid_number_in_dotenv_names_variable_and_file(tmp_path):
    write_env(tmp_path / ".env", "AYRSHARE_MAX_RETRIES=many\n")
    with pytest.raises(ValidationError, match=r"AYRSHARE_MAX_RETRIES in \.env must be a whole"):
        load_settings()


def test_out_of_range_values_are_rejected_with_the_variable_name(monkeypatch):
    monkeypatch.setenv("AYRSHARE_RATE_LIMIT", "0")
    with pytest.raises(ValidationError, match="AYRSHARE_RATE_LIMIT: rate_limit must be"):
        load_settings()
    with pytest.raises(ValidationError, match="timeout must be a number of seconds > 0"):
        load_settings(timeout=-1)


def test_bad_source_and_unknown_setting_and_bad_url():
    with pytest.raises(ValidationError, match="source must be one of"):
        load_settings(source="production")
    with pytest.raises(ValidationError, match="unknown setting"):
        load_settings(apikey="x")
    with pytest.raises(ValidationError, match="base_url must start with http"):
        load_settings(base_url="api.ayrshare.com")


def test_source_and_url_are_normalised(monkeypatch):
    monkeypatch.setenv("AYRSHARE_SOURCE", " LIVE ")
    monkeypatch.setenv("AYRSHARE_BASE_URL", "http://127.0.0.1:8787/api/")
    s = load_settings(api_key=KEY)
    assert s.source == "live"
    assert s.base_url == "http://127.0.0.1:8787/api"


@pytest.mark.parametrize(
    ("api_key", "source", "demo"),
    [(None, "auto", True), (None, "demo", True), (KEY, "auto", False), (KEY, "demo", True)],
)
def test_is_demo(api_key, source, demo):
    assert Settings(api_key=api_key, source=source).is_demo is demo
    # source="live" without a key is not demo: the client then refuses to start
    assert Settings(source="live").is_demo is False


def test_secret_never_shows_its_value():
    secret = Secret(KEY)
    assert str(secret) == "**********"
    assert repr(secret) == "'**********'"
    assert f"{secret}" == "**********"
    assert f"{secret!r}" == "'**********'"
    assert secret.get_secret_value() == KEY
    assert secret == Secret(KEY) and secret != Secret("other")
    assert hash(secret) == hash(Secret(KEY))
    assert copy.deepcopy(secret) is secret
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_settings_repr_and_str_hide_every_credential():
    s = load_settings(
        api_key=KEY, profile_key="pk-SECRET-1", x_api_key="xk-SECRET-2", x_api_secret="xs-SECRET-3"
    )
    for text in (repr(s), str(s)):
        for value in (KEY, "pk-SECRET-1", "xk-SECRET-2", "xs-SECRET-3"):
            assert value not in text
    assert "api_key='**********'" in repr(s)
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_settings_accept_plain_strings_and_wrap_them():
    s = Settings(api_key=KEY)
    assert isinstance(s.api_key, Secret)
    assert s.api_key.get_secret_value() == KEY
    assert Settings(api_key="").api_key is None
