"""Export: a chart rendered in memory or written to ``.png``, ``.svg`` or ``.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, overload

import altair as alt


def _vl_convert() -> Any:
    try:
        import vl_convert
    except ImportError as exc:
        raise ImportError(
            "Saving charts needs vl-convert-python: pip install 'ayr-analysis[notebooks]' "
            "(or pip install vl-convert-python)"
        ) from exc
    return vl_convert


def _vl_version(vlc: Any) -> str | None:
    parts = alt.SCHEMA_VERSION.lstrip("v").split(".")
    wanted = f"{parts[0]}.{parts[1]}"
    try:
        available = list(vlc.get_vegalite_versions())
    except Exception:  # pragma: no cover - very old vl-convert
        return None
    return f"v{wanted.replace('.', '_')}" if wanted in available else None


_FORMATS = (".png", ".svg", ".html")


@overload
def chart_to_image(
    chart: alt.TopLevelMixin, format: Literal["svg", "html"] = "svg", *, scale: float = 2
) -> str: ...
@overload
def chart_to_image(
    chart: alt.TopLevelMixin, format: Literal["png"], *, scale: float = 2
) -> bytes: ...
@overload
def chart_to_image(chart: alt.TopLevelMixin, format: str, *, scale: float = 2) -> str | bytes: ...
def chart_to_image(
    chart: alt.TopLevelMixin, format: str = "svg", *, scale: float = 2
) -> str | bytes:
    """Render ``chart`` in memory: ``"svg"`` (str), ``"png"`` (bytes) or ``"html"`` (str, with
    the JavaScript bundled in so that it opens offline).

    >>> import altair as alt
    >>> svg = chart_to_image(alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().encode(x="a:Q"))
    >>> svg.startswith("<svg")
    True
    """
    fmt = format.lower().lstrip(".")
    if f".{fmt}" not in _FORMATS:
        raise ValueError(f"format must be one of png, svg, html, not {format!r}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    vlc = _vl_convert()
    spec = chart.to_dict()
    version = _vl_version(vlc)
    if fmt == "png":
        return vlc.vegalite_to_png(spec, vl_version=version, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec, vl_version=version)
    return vlc.vegalite_to_html(spec, vl_version=version, bundle=True)


def save_chart(chart: alt.TopLevelMixin, path: str | Path, *, scale: float = 2) -> Path:
    """Write ``chart`` to ``path``: ``.png`` (at ``scale`` times its size), ``.svg`` or ``.html``
    (self-contained: opens offline). Needs vl-convert-python (the ``notebooks`` extra).

    >>> import altair as alt, tempfile, pathlib
    >>> chart = alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().encode(x="a:Q")
    >>> out = save_chart(chart, pathlib.Path(tempfile.mkdtemp()) / "chart.svg")
    >>> out.read_text().startswith("<svg")
    True
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in _FORMATS:
        raise ValueError(
            f"save_chart() writes .png, .svg or .html files; {str(path)!r} has "
            f"{'extension ' + repr(ext) if ext else 'no extension'}"
        )
    out = chart_to_image(chart, ext[1:], scale=scale)
    if isinstance(out, bytes):
        path.write_bytes(out)
    else:
        path.write_text(out, encoding="utf-8")
    return path
