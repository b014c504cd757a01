"""The collector: one walk over raw ``/analytics/post`` answers into plain Python lists.

For each observation (a post on a network, a tweet of an X thread) it keeps one row tuple (in the
order of :data:`ayr_analysis.normalize.frames.OBS_COLUMNS`), the code of every numeric field met
with its raw value, reaction counts, breakdown shares and error rows; values of the wrong type
become warnings. The frames are built from these lists afterwards, once, by
:mod:`ayr_analysis.normalize.frames`. Nothing here builds a frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import repeat
from typing import Any

from .. import platforms
from ..errors import is_retryable
from ..platforms import PlatformSpec
from ._values import (
    _BAD,
    _ENVELOPE,
    _MAX_COUNT,
    _MAX_DEPTH,
    _SENTINELS,
    _dig,
    _int,
    _kind,
    _media_type,
    _Notes,
    _number,
    _str_id,
    _text_us,
    _to_us,
)

_SPECS: dict[str, PlatformSpec] = dict(platforms.REGISTRY)  # a plain dict: quicker look-ups

#: The message of a ``missing_from_answer`` error row.
MISSING_MESSAGE = (
    "asked for but absent from the answer: the network filtered the post (TikTok drops videos "
    "removed for violations, e.g. music copyright) or the post was not sent there"
)


def _look(obj: dict[str, Any], analytics: dict[str, Any] | None, path: str) -> Any:
    """``path`` on the network object, else inside ``analytics``."""
    if "." in path:
        v = _dig(obj, path)
        return _dig(analytics, path) if v is None and analytics is not None else v
    v = obj.get(path)
    return analytics.get(path) if v is None and analytics is not None else v


def _path(prefix: str, key: Any) -> str:
    return prefix + (key if type(key) is str else str(key))


# where a metadata path is found, for objects of one shape (see _meta_plan)
_ON_OBJECT, _IN_ANALYTICS, _ON_BOTH, _DOTTED = 0, 1, 2, 3


def _meta_plan(
    spec: PlatformSpec, obj_keys: tuple[Any, ...], analytics_keys: tuple[Any, ...] | None
) -> tuple[tuple[tuple[str, int], ...], ...]:
    """For network objects with these keys (and analytics with these), the metadata paths
    worth looking at, in order: url, published time, media type, text. A path on neither
    object is left out (it would give None); dotted paths are always looked at."""
    on_obj = set(obj_keys)
    in_analytics = set(analytics_keys or ())

    def where(paths: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        out = []
        for p in paths:
            if "." in p:
                out.append((p, _DOTTED))
            elif p in on_obj:
                out.append((p, _ON_BOTH if p in in_analytics else _ON_OBJECT))
            elif p in in_analytics:
                out.append((p, _IN_ANALYTICS))
        return tuple(out)

    return (
        where(spec.url_paths),
        where(spec.published_paths),
        where(spec.media_type_paths),
        where(spec.text_paths),
    )


def _meta(obj: dict[str, Any], analytics: dict[str, Any] | None, path: str, where: int) -> Any:
    """``path`` on the network object, else inside ``analytics`` (``where``: see _meta_plan)."""
    if where == _ON_OBJECT:
        return obj[path]
    if where == _IN_ANALYTICS:
        return analytics[path]  # type: ignore[index]
    if where == _ON_BOTH:
        v = obj[path]
        return analytics[path] if v is None else v  # type: ignore[index]
    return _look(obj, analytics, path)


class _Place:
    """What the walk learnt of the keys met at one place (network, prefix, depth): the field
    code of each numeric key, the keys whose values are metadata (text, lists, booleans), and
    the places of the objects found under keys."""

    __slots__ = ("children", "codes", "depth", "dull", "lookups", "prefix")

    def __init__(self, prefix: str, depth: int) -> None:
        self.prefix = prefix
        self.depth = depth
        self.codes: dict[str, int] = {}
        self.dull: set[str] = set()
        self.children: dict[str, _Place] = {}
        self.lookups = (self.codes.get, self.dull, self.children)  # bound once, for the walk


# ---------------------------------------------------------------------------------------------
# the one-pass collector


class _Collector(_Notes):
    """Walks answers once and collects row tuples and flat value lists."""

    def __init__(self) -> None:
        super().__init__()
        # one tuple per observation (post x network x tweet) in the order of frames.OBS_COLUMNS;
        # transposed into columns once, at the end
        self.obs: list[tuple[Any, ...]] = []
        self.counts: list[int] = []  # long rows per observation
        self.codes: list[int] = []  # per long row: index into the field table
        self.raws: list[int | float] = []  # per long row: the raw value
        self.appends = (self.codes.append, self.raws.append)  # bound once, for the walk
        # reactions as columns: observation index, reaction, count
        self.r_obs: list[int] = []
        self.r_key: list[str] = []
        self.r_count: list[int] = []
        self.reaction_keys: dict[str, str] = {}  # label as sent -> reaction
        # side rows: (index of the observation, then the columns of their own)
        self.breakdowns: list[tuple[Any, ...]] = []
        # (post, network, reason, code, message, http status, retryable, fetched): ERROR_COLUMNS
        self.errors: list[tuple[Any, ...]] = []
        self.error_at: dict[tuple[Any, ...], int] = {}  # (post, network, fetched) -> row index
        self.asked: dict[str, int] = {}  # post id -> fetch time, for every post answered or failed
        # field table: one entry per (platform, path) seen in this call
        self.pcodes: dict[str, dict[str, int]] = {}
        self.t_platform: list[str] = []
        self.t_field: list[str] = []
        self.t_metric: list[str | None] = []
        self.t_unit: list[str | None] = []
        self.t_mul: list[float] = []
        self.t_div: list[float] = []
        self.t_prio: list[int] = []
        self.adhoc: dict[str, PlatformSpec] = {}
        # (network, prefix, depth) -> what the walk learnt of the keys met there
        self.places: dict[tuple[str, str, int], _Place] = {}
        # (network, keys of the network object, keys of analytics) -> where its metadata is
        # (and the place of its analytics objects)
        self.meta_plans: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def release(self) -> None:
        """Drop the collected rows (the frames are built): only the warnings are kept."""
        for name, value in vars(self).items():
            if name != "warned" and isinstance(value, (list, dict, set)):
                value.clear()

    # -- ids -----------------------------------------------------------------------------------
    def post_id(self, platform: str | None, value: Any) -> str | None:
        """An id that is not plain text: a number as text, None for a sentinel or null, and
        None with a warning for anything else."""
        pid = _str_id(value)
        if pid is _BAD:
            self.bad(platform, "id", f"expected a post id, got {_kind(value)}")
            return None
        return pid

    # -- answers -------------------------------------------------------------------------------
    def answer(
        self, ans: Any, fetched: int, post_hint: Any = None, status_code: Any = None
    ) -> None:
        if not isinstance(ans, dict):
            if ans is not None:
                self.bad(None, None, f"expected an answer object, got {_kind(ans)}")
            return
        pid = ans.get("id")
        if type(pid) is not str or pid.strip() in _SENTINELS:  # plain text is kept as it is
            pid = self.post_id(None, pid)
        if pid is None and type(post_hint) is str:
            pid = post_hint
        if pid is not None:
            self.asked.setdefault(pid, fetched)
        listed = False
        errs = ans.get("errors")
        if type(errs) is list:
            for e in errs:
                if type(e) is dict:
                    p = e.get("platform")
                    self.error(pid, p.lower() if type(p) is str else None, e, fetched)
                    listed = True
                elif e is not None:
                    self.bad(None, "errors", f"expected error objects, got {_kind(e)}")
        elif errs is not None:
            self.bad(None, "errors", f"expected a list, got {_kind(errs)}")
        http = status_code if type(status_code) is int and status_code >= 400 else None
        if not listed and (
            (ans.get("status") == "error" and ("code" in ans or "message" in ans))
            or http is not None
        ):
            self.error(pid, None, ans, fetched, http, "request_failed")
        registry = _SPECS
        for key, value in ans.items():
            spec = registry.get(key)
            if spec is None:
                if key in _ENVELOPE or type(key) is not str or not _looks_like_network(value):
                    continue
                spec = self.adhoc.get(key)
                if spec is None:
                    spec = self.adhoc[key] = PlatformSpec(name=key)
            if type(value) is dict:  # the common case, without the call to network()
                self.observation(spec, value, pid, 0, fetched)
            else:
                self.network(spec, value, pid, fetched)

    def network(self, spec: PlatformSpec, value: Any, pid: str | None, fetched: int) -> None:
        t = type(value)
        if t is dict:
            self.observation(spec, value, pid, 0, fetched)
        elif t is list:
            for i, item in enumerate(value):
                if type(item) is dict:
                    self.observation(spec, item, pid, i, fetched)
                elif item is not None:
                    self.bad(
                        spec.name, None, f"expected post objects in the list, got {_kind(item)}"
                    )
        elif value is None or (t is str and value.strip() in _SENTINELS):
            return
        else:
            self.bad(spec.name, None, f"expected an object, got {_kind(value)}")

    def error(
        self,
        pid: str | None,
        platform: str | None,
        err: Mapping[str, Any],
        fetched: int,
        http: int | None = None,
        reason: str = "network_error",
    ) -> None:
        code = _int(err.get("code"))
        msg = err.get("message")
        if type(msg) is not str:
            alt = err.get("error")
            msg = alt if type(alt) is str else (None if msg is None else str(msg))
        if http is None:
            for k in ("httpStatus", "statusCode", "http_status"):
                if (h := _int(err.get(k))) is not None:
                    http = h
                    break
        retry = err.get("retryAvailable")
        if type(retry) is not bool:
            retry = is_retryable(code, http)
        row = (pid, platform, reason, code, msg, http, retry, fetched)
        key = (pid, platform, fetched)
        at = self.error_at.get(key)
        if at is None:
            self.error_at[key] = len(self.errors)
            self.errors.append(row)
            return
        # the same failure reported twice (in place and in `errors`, maybe in other words): one
        # row, both messages, the first code and status given
        old = self.errors[at]
        messages = old[4]
        if msg and msg not in (messages or "").split(" | "):
            messages = msg if not messages else f"{messages} | {msg}"
        self.errors[at] = (
            pid, platform, old[2], old[3] if old[3] is not None else code, messages,
            old[5] if old[5] is not None else http, old[6] or retry, fetched,
        )  # fmt: skip

    def failure(self, failure: Any, fetched: int) -> None:
        err = getattr(failure, "error", None)
        pid = getattr(failure, "post_id", None)
        platform = getattr(err, "platform", None)
        code = _int(getattr(err, "code", None))
        http = _int(getattr(err, "http_status", None))
        msg = getattr(err, "message", None)
        if msg is None and err is not None:
            msg = str(err)
        retry = getattr(err, "retryable", None)
        if type(retry) is not bool:
            retry = is_retryable(code, http)
        if pid is not None:
            self.asked.setdefault(str(pid), fetched)
        self.errors.append(
            (
                None if pid is None else str(pid),
                platform.lower() if type(platform) is str else None,
                "request_failed",
                code,
                None if msg is None else str(msg),
                http,
                retry,
                fetched,
            )
        )

    # -- one post on one network (one tweet of a thread) ---------------------------------------
    def observation(
        self, spec: PlatformSpec, obj: dict[str, Any], pid: str | None, pos: int, fetched: int
    ) -> None:
        name = spec.name
        from_error = False
        if obj.get("status") == "error":
            self.error(pid, name, obj, fetched)
            if type(obj.get("analytics")) is not dict:
                return
            from_error = True  # numbers inside the error object: kept, flagged
        sid = obj.get("id")
        if type(sid) is not str or sid.strip() in _SENTINELS:  # plain text is kept as it is
            sid = self.post_id(name, sid)
        v = obj.get("lastUpdated")
        last = _text_us(v) if type(v) is str else _to_us(v)
        if last is _BAD:
            self.bad(name, "lastUpdated", "not a time")
            last = None
        v = obj.get("nextUpdate")
        nxt = _text_us(v) if type(v) is str else _to_us(v)
        if nxt is _BAD:
            self.bad(name, "nextUpdate", "not a time")
            nxt = None
        observed = fetched if last is None else last
        analytics = obj.get("analytics")
        if type(analytics) is dict:
            shape: tuple[str, tuple[str, ...], tuple[Any, ...] | None] = (
                name,
                tuple(obj),
                tuple(analytics),
            )
        else:
            if analytics is not None and not (
                type(analytics) is str and analytics.strip() in _SENTINELS
            ):
                self.bad(name, "analytics", f"expected an object, got {_kind(analytics)}")
            analytics = None
            shape = (name, tuple(obj), None)

        # metadata: on the network object first, then inside analytics; only the paths that
        # objects of this shape have are looked at
        plan = self.meta_plans.get(shape)
        if plan is None:
            plan = self.meta_plans[shape] = (
                *_meta_plan(spec, shape[1], shape[2]),
                self.place(spec, "", 0),
            )
        url_paths, published_paths, media_paths, text_paths, top = plan
        url = text = media = published = None
        for p, where in url_paths:
            v = obj[p] if where == _ON_OBJECT else _meta(obj, analytics, p, where)
            if type(v) is str:
                if v:
                    url = v
                    break
            elif v is not None:
                self.bad(name, p, f"expected a URL, got {_kind(v)}")
        for p, where in published_paths:
            v = obj[p] if where == _ON_OBJECT else _meta(obj, analytics, p, where)
            if v is not None:
                ts = _text_us(v) if type(v) is str else _to_us(v)
                if ts is _BAD:
                    self.bad(name, p, "not a time")
                elif ts is not None:
                    published = ts
                    break
        for p, where in media_paths:
            v = obj[p] if where == _ON_OBJECT else _meta(obj, analytics, p, where)
            if type(v) is str:
                if (m := _media_type(v)) is not None:
                    media = m
                    break
            elif v is not None:
                self.bad(name, p, f"expected a media type, got {_kind(v)}")
        if media is None:
            media = spec.default_media_type
        for p, where in text_paths:
            v = obj[p] if where == _ON_OBJECT else _meta(obj, analytics, p, where)
            if type(v) is str and v:
                text = v
                break

        self.obs.append(
            (pid, name, sid, pos, observed, fetched, last, nxt, url, published, media, text,
             from_error)
        )  # fmt: skip
        if analytics is None:
            self.counts.append(0)
            return
        n0 = len(self.codes)
        self.walk(analytics, top, spec)
        self.counts.append(len(self.codes) - n0)
        if spec.reaction_paths:
            self.reaction_rows(spec, analytics, len(self.obs) - 1)
        if spec.breakdowns:
            self.breakdown_rows(spec, analytics, len(self.obs) - 1)

    def place(self, spec: PlatformSpec, prefix: str, depth: int) -> _Place:
        """The place ``prefix`` (at ``depth``) on network ``spec``, made the first time."""
        key = (spec.name, prefix, depth)
        place = self.places.get(key)
        if place is None:
            place = self.places[key] = _Place(prefix, depth)
        return place

    def key_code(self, spec: PlatformSpec, place: _Place, key: Any) -> int:
        """The code of the field at ``key`` of ``place``, made the first time it is met."""
        path = _path(place.prefix, key)
        pcodes = self.pcodes.get(spec.name)
        if pcodes is None:
            pcodes = self.pcodes[spec.name] = {}
        code = pcodes.get(path)
        if code is None:
            code = self.intern(spec, pcodes, path)
        if type(key) is str:  # other keys (1, True, 1.0 are one dict key) keep their own path
            place.codes[key] = code
        return code

    def walk(self, d: dict[Any, Any], place: _Place, spec: PlatformSpec) -> None:
        """Every number in ``d`` (the object at ``place``), in the order of its keys.

        The common cases cost one set or dictionary look-up per key: a number under a field met
        before, an object under a key met before, text under a key known to hold metadata. The
        field's path is only spelled out for the other values (``other``). Numbers are checked
        all at once when the frames are built (``checked_numbers``).
        """
        code_append, raw_append = self.appends
        get_code, dull, children = place.lookups
        for k, v in d.items():
            t = type(v)
            if t is int or t is float:  # checked in bulk later (infinite, beyond Int64)
                code = get_code(k)
                if code is None:
                    code = self.key_code(spec, place, k)
                code_append(code)
                raw_append(v)
            elif t is dict:
                child = children.get(k)
                if child is None:
                    self.other(spec, place, k, v)
                else:
                    self.walk(v, child, spec)
            elif v is not None and k not in dull:
                self.other(spec, place, k, v)

    def other(self, spec: PlatformSpec, place: _Place, k: Any, v: Any) -> None:
        """A value that is not a plain number: an object to walk, a known numeric field sent as
        text or another type, or metadata (other strings, lists, booleans: not numbers)."""
        path = _path(place.prefix, k)
        t = type(v)
        field_map = spec.field_map
        if t is dict:
            if path in field_map:
                self.bad(
                    spec.name,
                    path,
                    "expected a number, got an object",
                    "treated as not reported (null); its numbers kept in long, unmapped",
                )
            if place.depth < _MAX_DEPTH:
                child = self.place(spec, path + ".", place.depth + 1)
                if type(k) is str and path not in field_map:  # next time, walked at once
                    place.children[k] = child
                self.walk(v, child, spec)
            else:
                self.bad(spec.name, path, "nested too deeply")
        elif path in field_map:  # a known numeric field sent as text or as another type
            n = _number(v)
            if n is _BAD:
                self.bad(spec.name, path, f"expected a number, got {_kind(v)}")
            elif n is not None:
                code = place.codes.get(k)
                if code is None:
                    code = self.key_code(spec, place, k)
                self.codes.append(code)
                self.raws.append(n)
        elif path in spec.container_paths:
            if t is not str or v.strip() not in _SENTINELS:
                self.bad(spec.name, path, f"expected an object, got {_kind(v)}")
        elif type(k) is str:  # metadata under this key, whatever it holds next time (but objects)
            place.dull.add(k)

    def intern(self, spec: PlatformSpec, pcodes: dict[str, int], path: str) -> int:
        code = len(self.t_field)
        fs = spec.field_map.get(path)
        self.t_platform.append(spec.name)
        self.t_field.append(path)
        if fs is None:
            self.t_metric.append(None)
            self.t_unit.append(None)
            self.t_mul.append(1.0)
            self.t_div.append(1.0)
            self.t_prio.append(0)
        else:
            self.t_metric.append(fs.metric)
            self.t_unit.append(fs.unit)
            self.t_mul.append(fs.multiplier)
            self.t_div.append(fs.divisor)
            self.t_prio.append(spec.priority.get(path, 0))
        if path in spec.container_paths:
            self.bad(spec.name, path, "expected an object, got a number", "kept in long, unmapped")
        pcodes[path] = code
        return code

    # -- reactions and breakdowns --------------------------------------------------------------
    def reaction_rows(self, spec: PlatformSpec, analytics: dict[str, Any], obs: int) -> None:
        name = spec.name
        for path in spec.reaction_paths:
            v = _dig(analytics, path)
            pairs: Iterable[tuple[Any, Any]] = ()
            if type(v) is dict:
                pairs = v.items()
            elif type(v) is list:  # [{"type": "LIKE", "count": 3}, ...]
                pairs = listed = []
                for item in v:
                    if type(item) is not dict:
                        self.bad(name, path, f"expected reaction objects, got {_kind(item)}")
                        continue
                    label = next(
                        (item[k] for k in ("type", "reaction", "name") if type(item.get(k)) is str),
                        None,
                    )
                    c = next((item[k] for k in ("count", "value", "total") if k in item), None)
                    if label is None:
                        self.bad(name, path, "a reaction without a type")
                        continue
                    listed.append((label, c))
            elif v is not None:
                self.bad(name, path, f"expected reaction counts, got {_kind(v)}")
                continue
            keys: list[str] = []
            counts: list[int] = []
            known = self.reaction_keys
            for label, c in pairs:
                key = known.get(label) if type(label) is str else None
                if key is None:
                    if type(label) is not str:
                        label = str(label)
                    key = label.strip().lower()
                    known[label] = key
                if key == "total":
                    continue
                if type(c) is int and -9_200_000_000_000_000_000 <= c <= 9_200_000_000_000_000_000:
                    keys.append(key)
                    counts.append(c)
                    continue
                n = _number(c)
                if n is _BAD:
                    self.bad(name, f"{path}.{label}", f"expected a number, got {_kind(c)}")
                elif n is not None:
                    if abs(n) > _MAX_COUNT:
                        self.bad(name, f"{path}.{label}", "a number too large to be a count")
                        continue
                    keys.append(key)
                    counts.append(round(n))
            if keys:
                self.r_obs.extend(repeat(obs, len(keys)))
                self.r_key.extend(keys)
                self.r_count.extend(counts)
                return  # the first reaction object with counts wins

    def breakdown_rows(self, spec: PlatformSpec, analytics: dict[str, Any], obs: int) -> None:
        name = spec.name
        for b in spec.breakdowns:
            v = _dig(analytics, b.path)
            if v is None:
                continue
            div = 100.0 if b.raw_unit == "percent" else 1.0
            pairs: list[tuple[Any, Any]] = []
            if type(v) is list:
                for item in v:
                    if type(item) is not dict:
                        self.bad(name, b.path, f"expected share objects, got {_kind(item)}")
                        continue
                    key = next((item[k] for k in b.keys if type(item.get(k)) is str), None)
                    share = next((item[k] for k in b.values if k in item), None)
                    if key is None:
                        self.bad(name, b.path, "a share without a label")
                        continue
                    pairs.append((key, share))
            elif type(v) is dict:  # {"For You": 45.2, ...}
                pairs = [(str(k), s) for k, s in v.items()]
            else:
                self.bad(name, b.path, f"expected a list of shares, got {_kind(v)}")
                continue
            shares: list[tuple[str, float]] = []
            for key, share in pairs:
                n = _number(share)
                if n is _BAD:
                    self.bad(name, b.path, f"expected a share, got {_kind(share)}")
                elif n is not None:
                    shares.append((key, n))
            if not shares:
                continue
            # the declared scale, checked: shares summing to about 1 are fractions, to more
            # than 1.5 percent (a list may hold only the top entries, so less than 100)
            total = sum(n for _, n in shares)
            if div == 100.0 and 0 < total <= 1.0 + 1e-6:
                div = 1.0
                self.bad(name, b.path, f"shares sum to {total:g}, not about 100",
                         "read as fractions 0-1 (not divided by 100)")  # fmt: skip
            elif div == 1.0 and total > 1.5:
                div = 100.0
                self.bad(name, b.path, f"shares sum to {total:g}, not about 1",
                         "read as percent (divided by 100)")  # fmt: skip
            for key, n in shares:
                v = n / div
                if not 0.0 <= v <= 1.0:
                    self.bad(name, b.path, f"share {n!r} of {key!r} is impossible",
                             "left out of the breakdowns")  # fmt: skip
                    continue
                self.breakdowns.append((obs, b.breakdown, key, v))

    # -- networks asked for ----------------------------------------------------------------------
    def expect(self, asked: Mapping[str, Iterable[str]] | Iterable[str] | None) -> None:
        """A row for every network asked for: ``asked`` is the networks asked for every post,
        or a mapping post id -> networks expected (from history). A post whose whole request
        failed gets that failure once per network (its network-less row then goes); any other
        network with neither data nor an error row gets a ``missing_from_answer`` row."""
        if asked is None or not self.asked:
            return
        by_post: Mapping[str, Iterable[str]] = asked if isinstance(asked, Mapping) else {}
        every = None if isinstance(asked, Mapping) else tuple(asked)
        present = {(row[0], row[1]) for row in self.obs}
        present.update((row[0], row[1]) for row in self.errors)
        whole = {row[0]: row for row in self.errors if row[2] == "request_failed"}
        extra: list[tuple[Any, ...]] = []
        expanded: set[str] = set()
        for pid, fetched in self.asked.items():
            names = every if every is not None else by_post.get(pid, ())
            failed = whole.get(pid)
            for net in names:
                if (pid, net) in present:
                    continue
                present.add((pid, net))
                if failed is not None:
                    extra.append((pid, net, *failed[2:]))
                    expanded.add(pid)
                else:
                    extra.append((pid, net, "missing_from_answer", None, MISSING_MESSAGE, None,
                                  False, fetched))  # fmt: skip
        if expanded:
            self.errors = [r for r in self.errors if r[1] is not None or r[0] not in expanded]
        self.errors.extend(extra)


def _looks_like_network(value: Any) -> bool:
    if type(value) is dict:
        return "analytics" in value or value.get("status") == "error"
    if type(value) is list and value and type(value[0]) is dict:
        return "analytics" in value[0]
    return False
