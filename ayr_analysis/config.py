"""Settings from arguments, then the environment, then a ``.env`` file in the working folder.

Each setting takes the first value found, in this order:

1. a keyword argument (``load_settings(api_key=...)``, ``AyrshareClient(api_key=...)``);
2. its ``AYRSHARE_*`` environment variable (:data:`ENV_VARS`);
3. the same variable in ``.env`` of the working folder (the folder the script, command or
   notebook kernel runs in), or in the file given as ``env_file``.

No other place is searched: not the package's folder, not a repository checkout. The API key and
the other credentials are held as :class:`Secret`, which never prints.

>>> s = load_settings(env_file=None, api_key="k-123", timeout="12.5")
>>> s.timeout, s.api_key, s.is_demo
(12.5, '**********', False)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from .errors import ValidationError

__all__ = ["DEFAULT_BASE_URL", "ENV_VARS", "Secret", "Settings", "load_settings"]

DEFAULT_BASE_URL = "https://api.ayrshare.com/api"
_MASK = "**********"

Source = Literal["auto", "demo", "live"]
_SOURCES = ("auto", "demo", "live")


class Secret:
    """A string that never shows itself: ``str()`` and ``repr()`` give ``'**********'``.

    >>> key = Secret("abc")
    >>> key, str(key), key.get_secret_value()
    ('**********', '**********', 'abc')
    >>> key == Secret("abc")
    True
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.get_secret_value()
        if not isinstance(value, str):
            raise TypeError(f"Secret wraps a str, got {type(value).__name__}")
        self._value = value

    def get_secret_value(self) -> str:
        """The wrapped value. Use it only to build a request header."""
        return self._value

    def __str__(self) -> str:
        return _MASK

    def __repr__(self) -> str:
        return repr(_MASK)

    def __format__(self, spec: str) -> str:
        return format(_MASK, spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other.get_secret_value()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled; pass the value through the environment")

    def __getstate__(self) -> Any:
        raise TypeError("a Secret cannot be pickled; pass the value through the environment")


@dataclass(frozen=True)
class Settings:
    """Everything the client needs to know. Build it with :func:`load_settings`.

    ``is_demo`` is true when there is no API key and live data was not required
    (``source="auto"``), or when ``source="demo"``.

    >>> Settings().is_demo, Settings(api_key=Secret("k")).is_demo
    (True, False)
    """

    api_key: Secret | None = None
    profile_key: Secret | None = None
    base_url: str = DEFAULT_BASE_URL
    x_api_key: Secret | None = None
    x_api_secret: Secret | None = None
    timeout: float = 30.0
    max_retries: int = 4
    rate_limit: int = 300
    rate_window: float = 300.0
    source: Source = "auto"
    # limits of one exchange and of the client's reach (see docs/RELIABILITY.md)
    deadline: float | None = None
    max_response_bytes: int = 50_000_000
    allow_insecure_http: bool = False
    pacing_dir: str | None = None

    def __post_init__(self) -> None:
        for name in ("api_key", "profile_key", "x_api_key", "x_api_secret"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Secret(value) if value else None)
            elif value is not None and not isinstance(value, Secret):
                raise ValidationError(f"{name} must be a string or a Secret")
            elif isinstance(value, Secret) and not value:
                object.__setattr__(self, name, None)
        if not isinstance(self.base_url, str) or not self.base_url.startswith(
            ("http://", "https://")
        ):
            raise ValidationError(
                f"base_url must start with http:// or https://, got {self.base_url!r}"
            )
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if not _is_seconds(self.timeout):
            raise ValidationError(
                f"timeout must be a number of seconds > 0 and at most {MAX_SECONDS}, "
                f"got {self.timeout!r}"
            )
        if not _is_int(self.max_retries) or self.max_retries < 0:
            raise ValidationError(f"max_retries must be an integer >= 0, got {self.max_retries!r}")
        if not _is_int(self.rate_limit) or self.rate_limit < 1:
            raise ValidationError(f"rate_limit must be an integer >= 1, got {self.rate_limit!r}")
        if not _is_seconds(self.rate_window):
            raise ValidationError(
                f"rate_window must be a number of seconds > 0 and at most {MAX_SECONDS}, "
                f"got {self.rate_window!r}"
            )
        if self.deadline is not None and not _is_seconds(self.deadline):
            raise ValidationError(
                f"deadline must be a number of seconds > 0 and at most {MAX_SECONDS}, "
                f"got {self.deadline!r}"
            )
        if not _is_int(self.max_response_bytes) or self.max_response_bytes < 1:
            raise ValidationError(
                f"max_response_bytes must be a whole number >= 1, got {self.max_response_bytes!r}"
            )
        if not isinstance(self.allow_insecure_http, bool):
            raise ValidationError(
                f"allow_insecure_http must be True or False, got {self.allow_insecure_http!r}"
            )
        if self.pacing_dir is not None and not isinstance(self.pacing_dir, str):
            object.__setattr__(self, "pacing_dir", os.fspath(self.pacing_dir))
        if self.source not in _SOURCES:
            raise ValidationError(f"source must be one of {_SOURCES}, got {self.source!r}")

    @property
    def is_demo(self) -> bool:
        """True when requests go to the built-in demo sandbox."""
        return self.source == "demo" or (self.api_key is None and self.source != "live")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: the longest timeout, deadline or rate window accepted: a day
MAX_SECONDS = 86_400


def _is_seconds(value: Any) -> bool:
    """A finite number of seconds > 0 and at most :data:`MAX_SECONDS` (not inf or nan)."""
    return _is_number(value) and 0 < value <= MAX_SECONDS


#: field name -> environment variable
ENV_VARS: dict[str, str] = {
    "api_key": "AYRSHARE_API_KEY",
    "profile_key": "AYRSHARE_PROFILE_KEY",
    "base_url": "AYRSHARE_BASE_URL",
    "x_api_key": "AYRSHARE_X_API_KEY",
    "x_api_secret": "AYRSHARE_X_API_SECRET",
    "timeout": "AYRSHARE_TIMEOUT",
    "max_retries": "AYRSHARE_MAX_RETRIES",
    "rate_limit": "AYRSHARE_RATE_LIMIT",
    "rate_window": "AYRSHARE_RATE_WINDOW",
    "source": "AYRSHARE_SOURCE",
    "deadline": "AYRSHARE_DEADLINE",
    "max_response_bytes": "AYRSHARE_MAX_RESPONSE_BYTES",
    "allow_insecure_http": "AYRSHARE_ALLOW_INSECURE_HTTP",
    "pacing_dir": "AYRSHARE_PACING_DIR",
}
_FLOATS = {"timeout", "rate_window", "deadline"}
_INTS = {"max_retries", "rate_limit", "max_response_bytes"}
_BOOLS = {"allow_insecure_http"}
_SECRETS = {"api_key", "profile_key", "x_api_key", "x_api_secret"}


def _convert(name: str, value: Any, origin: str) -> Any:
    """Turn a raw value into the field's type; ``origin`` names where it came from."""
    if name in _SECRETS:
        if isinstance(value, Secret):
            return value
        if not isinstance(value, str):
            raise ValidationError(f"{origin} must be a string, got {type(value).__name__}")
        return Secret(value.strip())
    if name in _FLOATS or name in _INTS:
        if isinstance(value, bool):
            raise ValidationError(f"{origin} must be a number, got {value!r}")
        if isinstance(value, str):
            text = value.strip()
            try:
                number: float | int = int(text) if name in _INTS else float(text)
            except ValueError:
                kind = "a whole number" if name in _INTS else "a number of seconds"
                raise ValidationError(f"{origin} must be {kind}, got {value!r}") from None
            return number
        if name in _INTS and isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if name in _BOOLS and isinstance(value, str):
        text = value.strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValidationError(f"{origin} must be true or false (1/0, yes/no), got {value!r}")
    if name == "source" and isinstance(value, str):
        return value.strip().lower()
    if name == "base_url" and isinstance(value, str):
        return value.strip()
    return value


def load_settings(
    *, env_file: str | os.PathLike[str] | None = ".env", **overrides: Any
) -> Settings:
    """Build :class:`Settings`: keyword arguments first, then ``AYRSHARE_*`` environment
    variables, then the ``.env`` file (read with python-dotenv, never copied into ``os.environ``).

    ``env_file`` is ``.env`` of the working folder by default (a relative path is taken from
    the working folder at the time of the call); no other folder is searched.

    Empty values count as unset. ``env_file=None`` skips the file. A value that is not a valid
    number raises :class:`~ayr_analysis.errors.ValidationError` naming the variable.

    >>> load_settings(env_file=None, rate_limit=150, source="demo").rate_limit
    150
    """
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValidationError(
            f"unknown setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}"
        )
    file_values: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        file_values = dict(dotenv_values(env_file))

    values: dict[str, Any] = {}
    for name, var in ENV_VARS.items():
        given = overrides.get(name)
        if given is not None and given != "":
            values[name] = _convert(name, given, f"argument {name}")
            continue
        env_value = os.environ.get(var)
        if env_value is not None and env_value.strip() != "":
            values[name] = _convert(name, env_value, f"environment variable {var}")
            continue
        file_value = file_values.get(var)
        if file_value is not None and file_value.strip() != "":
            values[name] = _convert(name, file_value, f"{var} in {os.fspath(env_file or '.env')}")
    try:
        return Settings(**values)
    except ValidationError as exc:
        # name the variable the bad value came from
        field = str(exc).split(" ", 1)[0]
        named = ENV_VARS.get(field)
        if named and field not in overrides and named not in str(exc):
            raise ValidationError(f"{named}: {exc}") from None
        raise
