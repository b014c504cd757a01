"""ayr-analysis: Ayrshare post analytics as tidy polars frames, snapshots, charts and reports.

Nothing happens at import: no network, no disk writes, no chart theme enabled. Submodules that
pull heavy dependencies (charts, widgets, reports) load only when first used.

>>> import ayr_analysis
>>> ayr_analysis.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
import sys
import types
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
    "followers": "api",
    # snapshots and tracking
    "SnapshotStore": "store",
    "track": "tracking",
    "demo_store": "sandbox.history",
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


class _Package(types.ModuleType):
    """The package module, keeping ``ayr_analysis.normalize`` the function.

    ``normalize`` is both a public function and the submodule that defines it. Whenever Python
    imports a submodule (``from .normalize import ...`` inside the package, or a user's ``from
    ayr_analysis.normalize import AnalyticsFrames``) it binds the submodule onto the package under
    its name, which would hide the function: ``ayr.normalize(answer)`` would then call a module.
    The module ``__getattr__`` above cannot help, since it only runs for names that are not set.
    So the package keeps the public object when the import system binds a submodule whose name is
    also an export of that submodule. The submodule stays importable by its path (``from
    ayr_analysis.normalize import X``, ``importlib.import_module("ayr_analysis.normalize")``, its
    ``sys.modules`` entry); only the attribute form (``import ayr_analysis.normalize as m``) gives
    the function. Renaming the submodule would not avoid this (importing the old path would bind
    it again), and importing it eagerly here would load polars at ``import ayr_analysis``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, types.ModuleType)
            and _EXPORTS.get(name) == name
            and value.__name__ == f"{__name__}.{name}"
            and hasattr(value, name)
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # pragma: no cover  # static view of the lazy exports above
    from .api import (  # noqa: F401
        account_analytics,
        fetch_post_analytics,
        followers,
        history,
        post_analytics,
        social_post_analytics,
    )
    from .client import ApiResponse, AsyncAyrshareClient, AyrshareClient, BulkResult  # noqa: F401
    from .config import Settings, load_settings  # noqa: F401
    from .errors import AyrshareError  # noqa: F401
    from .normalize import AnalyticsFrames, DataQualityWarning, normalize  # noqa: F401
    from .sandbox.history import demo_store  # noqa: F401
    from .store import SnapshotStore  # noqa: F401
    from .tracking import track  # noqa: F401
    from .widgets import Dashboard  # noqa: F401
