"""ayr-analysis: Ayrshare post analytics as tidy polars frames, snapshots, charts and reports.

Nothing happens at import: no network, no disk writes, no chart theme enabled. Submodules that
pull heavy dependencies (charts, widgets, reports) load only when first used.

>>> import ayr_analysis
>>> ayr_analysis.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> submodule that defines it; resolved on first access (PEP 562)
_EXPORTS: dict[str, str] = {
    # config
    "Settings": "config",
    "load_settings": "config",
    # client
    "AyrshareClient": "client",
    "AsyncAyrshareClient": "client",
    "ApiResponse": "client",
    "BulkResult": "client",
    # errors
    "AyrshareError": "errors",
    # normalisation
    "AnalyticsFrames": "normalize",
    "normalize": "normalize",
    "DataQualityWarning": "normalize",
    # public functions
    "fetch_post_analytics": "api",
    "post_analytics": "api",
    "social_post_analytics": "api",
    "history": "api",
    "account_analytics": "api",
    # snapshots and tracking
    "SnapshotStore": "store",
    "track": "tracking",
    # dashboard (loads ipywidgets on first use)
    "Dashboard": "widgets",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ayr_analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover  # static view of the lazy exports above
    from .api import (  # noqa: F401
        account_analytics,
        fetch_post_analytics,
        history,
        post_analytics,
        social_post_analytics,
    )
    from .client import ApiResponse, AsyncAyrshareClient, AyrshareClient, BulkResult  # noqa: F401
    from .config import Settings, load_settings  # noqa: F401
    from .errors import AyrshareError  # noqa: F401
    from .normalize import AnalyticsFrames, DataQualityWarning, normalize  # noqa: F401
    from .store import SnapshotStore  # noqa: F401
    from .tracking import track  # noqa: F401
    from .widgets import Dashboard  # noqa: F401
