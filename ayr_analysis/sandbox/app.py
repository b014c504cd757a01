"""The simulated Ayrshare API as a function: :class:`ApiRequest` in, :class:`ApiAnswer` out.

Routes (paths after ``/api``): ``POST /analytics/post``, ``POST /analytics/social``,
``GET /history``, ``GET /history/{platform}``, ``GET /history/{id}``.

Error answers of the sandbox (codes marked *sandbox* are our stand-ins where the real code is not
documented; docs/METRICS.md keeps the list):

=====  =====  ===========================================================================
HTTP   code   when
=====  =====  ===========================================================================
401    102    missing or unknown API key (``Authorization: Bearer <key>``)
403    147    unknown ``Profile-Key`` (*sandbox*)
403    403    the profile is suspended (*sandbox* code; ``Quirks.suspend_after_429s``)
400    101    malformed request: bad JSON, bad id, unknown platform, bad parameter (*sandbox*)
400    189    the post is scheduled and not yet published (*sandbox*)
400    419    ``GET /history/twitter`` without the X BYO headers
400    156    ``GET /history/{platform}`` for a network the profile has not linked
404    186    unknown Ayrshare post id (or one of another profile)
404    221    ``GET /history/{id}`` for an unknown id
429    429    rate limit exceeded (*sandbox* code); X's daily analytics quota used up (*sandbox*
              code, ``Quirks.x_daily_quota``, with ``platform: twitter``)
429    435    Instagram's own rate limit (``Quirks.instagram_limit``), seconds to wait in
              ``details``
=====  =====  ===========================================================================

Inside a 200 ``/analytics/post`` answer a failing network is an error object in place of its
metrics (``{"status": "error", "code": ..., "message": ...}``): 419 for X without BYO headers,
485 for an expired Instagram story, 484 for a Facebook story (*sandbox*). When every network
failed, the top-level ``status`` is ``"error"``. :class:`~ayr_analysis.sandbox.faults.Quirks`
switch on the other forms of the live API: failures listed in a top-level ``errors`` array, a
``"partial"`` status, filtered TikTok videos, unsent networks, X's quota and Instagram's limit in
place of the network.

``GET /history``: posts newest first (by ``created``), at most ``limit`` of them (default
:data:`HISTORY_DEFAULT_LIMIT`, 25; at most :data:`HISTORY_MAX_LIMIT`, 1000, as Ayrshare's docs
give today; more is a 400). ``lastDays`` (default 30, 0 = all) keeps posts created in the last
that many days; ``startDate`` and ``endDate`` (ISO 8601) keep posts created from and up to and
including them, a bare date meaning the whole (UTC) day: ``endDate=2026-10-08`` keeps the posts
of 8 October. The filters combine: each one given must hold. ``GET /history/{platform}`` pages
with ``limit`` (same default and maximum) and the ``next`` cursor of the previous page.

Rate limit: a fixed window per profile. The window opens with the profile's first request and
lasts ``window_s`` seconds of *real* monotonic time (times ``time_scale``), because clients pace
in real time; every authenticated request counts (also 4xx answers, and the 429s themselves do
not reset it). Every answer carries ``x-ratelimit-max`` and ``x-ratelimit-count``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote

from .analytics import (
    HOUR,
    X_KEYS_MISSING,
    cache_window,
    counts_at,
    finish_answer,
    instagram_limit_error,
    network_entry,
    post_answer,
    tiktok_filtered,
    x_error,
    x_quota_error,
)
from .clock import VirtualClock, iso_ms, iso_s
from .faults import Quirks
from .world import NETWORKS, Post, Profile, World, build_world

ALL_PLATFORMS = (*NETWORKS, "snapchat")
#: ``limit`` of ``GET /history`` (and ``/history/{platform}``) when none is given.
HISTORY_DEFAULT_LIMIT = 25
#: The largest ``limit`` the history endpoints accept (Ayrshare's docs: 1000 today, 500 in older
#: versions); a larger one is answered 400.
HISTORY_MAX_LIMIT = 1000
DAILY_PLATFORMS = ("facebook", "instagram", "snapchat", "tiktok", "youtube")
FOLLOWER_FIELD = {
    "bluesky": "followersCount",
    "facebook": "followersCount",
    "instagram": "followersCount",
    "threads": "followersCount",
    "twitter": "followersCount",
    "linkedin": "followerCount",
    "pinterest": "followerCount",
    "tiktok": "followerCount",
    "youtube": "subscriberCount",
    "reddit": "subscribers",
}
#: The code of a suspended profile's 403 (the sandbox's stand-in: the real code is not documented).
PROFILE_SUSPENDED = 403


@dataclass(frozen=True)
class ApiRequest:
    """A request as the app sees it: method, path after ``/api``, query pairs, headers
    (lower-case names), raw body."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def build(
        cls,
        method: str,
        url_path: str,
        query: str | Iterable[tuple[str, str]] = "",
        headers: dict[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> ApiRequest:
        """Make a request from a full URL path (``/api/...``), a query string and headers.

        >>> ApiRequest.build("GET", "/api/history", "limit=2").path
        '/history'
        """
        path = unquote(url_path)
        idx = path.find("/api/")
        path = path[idx + 4 :] if idx >= 0 else path
        path = "/" + path.strip("/")
        pairs = (
            tuple(parse_qsl(query, keep_blank_values=True))
            if isinstance(query, str)
            else tuple(query)
        )
        items = headers.items() if isinstance(headers, dict) else headers
        return cls(method.upper(), path, pairs, {k.lower(): v for k, v in items}, body)


@dataclass
class ApiAnswer:
    """An answer: status, headers (lower-case names), JSON body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RateLimiter:
    """Fixed-window request counter per profile (see the module docs).

    ``time_fn`` defaults to :func:`time.monotonic` (real time); ``time_scale`` multiplies the
    elapsed time (2.0 makes windows roll twice as fast). Inject ``time_fn`` in tests.

    >>> t = [0.0]
    >>> rl = RateLimiter(max_requests=2, window_s=10, time_fn=lambda: t[0])
    >>> [rl.hit("p")[0] for _ in range(3)]
    [True, True, False]
    >>> t[0] = 10.0
    >>> rl.hit("p")
    (True, 1)
    """

    def __init__(
        self,
        max_requests: int = 300,
        window_s: float = 300.0,
        *,
        time_fn: Callable[[], float] = time.monotonic,
        time_scale: float = 1.0,
    ) -> None:
        if max_requests < 1 or window_s <= 0 or time_scale <= 0:
            raise ValueError("max_requests >= 1, window_s > 0 and time_scale > 0 are required")
        self.max_requests = int(max_requests)
        self.window_s = float(window_s)
        self.time_fn = time_fn
        self.time_scale = float(time_scale)
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> tuple[bool, int]:
        """Count one request of ``key``; return (allowed, count in the current window)."""
        with self._lock:
            now = self.time_fn()
            start, count = self._windows.get(key, (now, 0))
            if (now - start) * self.time_scale >= self.window_s:
                start, count = now, 0
            count += 1
            self._windows[key] = (start, count)
            return count <= self.max_requests, count

    def now(self) -> float:
        """The limiter's time in seconds (its clock times ``time_scale``)."""
        return self.time_fn() * self.time_scale

    def reset_in(self, key: str) -> float:
        """Seconds of the limiter's clock until the window of ``key`` rolls over (0 if none).

        >>> t = [0.0]
        >>> rl = RateLimiter(max_requests=1, window_s=10, time_fn=lambda: t[0])
        >>> _ = rl.hit("p"); t[0] = 4.0
        >>> rl.reset_in("p"), rl.reset_in("other")
        (6.0, 0.0)
        """
        with self._lock:
            if key not in self._windows:
                return 0.0
            start, _ = self._windows[key]
            left = self.window_s - (self.time_fn() - start) * self.time_scale
            return max(0.0, left / self.time_scale)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Fail(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


def _bad(message: str, action: str = "request", code: int = 101) -> _Fail:
    return _Fail(400, {"action": action, "status": "error", "code": code, "message": message})


class SandboxApp:
    """The protocol: routes, auth, Profile-Key scoping, rate limits, answers.

    >>> app = SandboxApp()
    >>> ans = app.handle(ApiRequest.build("GET", "/api/history", "limit=1",
    ...                                   {"Authorization": "Bearer demo-sandbox-key"}))
    >>> ans.status, ans.headers["x-ratelimit-count"], len(ans.json()["history"])
    (200, '1', 1)
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        clock: VirtualClock | None = None,
        api_keys: Iterable[str] | None = None,
        rate_limiter: RateLimiter | None = None,
        quirks: Quirks | None = None,
    ) -> None:
        from . import DEMO_API_KEY

        self.world = world if world is not None else build_world()
        self.clock = clock if clock is not None else VirtualClock(start=self.world.now)
        self.api_keys = frozenset(api_keys if api_keys is not None else (DEMO_API_KEY,))
        self.rate_limiter = rate_limiter if rate_limiter is not None else RateLimiter()
        #: answers given so far, by HTTP status (read with :meth:`stats`)
        self._status_counts: dict[int, int] = {}
        self._stats_lock = threading.Lock()
        self._quirk_lock = threading.Lock()
        self.quirks = quirks if quirks is not None else Quirks()
        #: called with every request and its answer once answered (tests count what was
        #: served with it: ``server.app.on_answer = ...``); it must be quick and thread-safe
        self.on_answer: Callable[[ApiRequest, ApiAnswer], None] | None = None

    # ---------------------------------------------------------------- quirks
    @property
    def quirks(self) -> Quirks:
        """The :class:`~ayr_analysis.sandbox.faults.Quirks` switched on. Setting them starts the
        quota, limit and suspension counters afresh."""
        return self._quirks

    @quirks.setter
    def quirks(self, quirks: Quirks) -> None:
        rl = self.rate_limiter

        def window(limit: int | None, seconds: float) -> RateLimiter | None:
            if limit is None:
                return None
            return RateLimiter(limit, seconds, time_fn=rl.time_fn, time_scale=rl.time_scale)

        with self._quirk_lock:
            self._quirks = quirks
            self._x_quota = window(quirks.x_daily_quota, quirks.day_s)
            self._instagram = window(quirks.instagram_limit, quirks.instagram_window_s)
            self._violations: dict[str, deque[float]] = {}
            self._suspended: set[str] = set()

    def suspended(self, profile_key: str) -> bool:
        """Whether the profile with ``profile_key`` is suspended."""
        with self._quirk_lock:
            return profile_key in self._suspended

    def reactivate(self, profile_key: str) -> None:
        """Lift the suspension of a profile (Ayrshare: reactivated from the dashboard or the
        API) and forget its 429s."""
        with self._quirk_lock:
            self._suspended.discard(profile_key)
            self._violations.pop(profile_key, None)

    def _violation(self, profile_key: str) -> None:
        """Count a 429 of the profile rate limit; suspend the profile at the threshold."""
        limit = self._quirks.suspend_after_429s
        if limit is None:
            return
        now = self.rate_limiter.now()
        with self._quirk_lock:
            seen = self._violations.setdefault(profile_key, deque())
            seen.append(now)
            while seen and now - seen[0] >= self._quirks.day_s:
                seen.popleft()
            if len(seen) >= limit:
                self._suspended.add(profile_key)

    def _network_limits(
        self, profile: Profile, nets: Iterable[str], x_ok: bool
    ) -> dict[str, dict[str, Any]]:
        """Count the request against X's daily quota and Instagram's own limit (when switched
        on) and return the networks refused in place; raise the 429 of the ``"http"`` forms."""
        q = self._quirks
        nets = set(nets)
        refused: dict[str, dict[str, Any]] = {}
        key = profile.profile_key
        x_quota, instagram = self._x_quota, self._instagram
        if "twitter" in nets and x_ok and x_quota is not None and not x_quota.hit(key)[0]:
            refused["twitter"] = x_quota_error(x_quota.max_requests)
            if q.x_quota_form == "http":
                raise _Fail(429, {"action": "analytics", **refused["twitter"]})
        if "instagram" in nets and instagram is not None and not instagram.hit(key)[0]:
            wait = max(1, math.ceil(instagram.reset_in(key)))
            refused["instagram"] = instagram_limit_error(wait)
            if q.instagram_form == "http":
                raise _Fail(429, {"action": "analytics", **refused["instagram"]})
        return refused

    # ---------------------------------------------------------------- entry point
    def stats(self) -> dict[str, int]:
        """How many requests the app answered: ``requests`` in all, ``rate_limited`` (429s),
        and one ``status_<code>`` entry per HTTP status seen.

        >>> app = SandboxApp()
        >>> _ = app.handle(ApiRequest.build("GET", "/api/history", "limit=1"))
        >>> app.stats()
        {'requests': 1, 'rate_limited': 0, 'status_401': 1}
        """
        with self._stats_lock:
            counts = dict(self._status_counts)
        out = {"requests": sum(counts.values()), "rate_limited": counts.get(429, 0)}
        out.update({f"status_{code}": n for code, n in sorted(counts.items())})
        return out

    def handle(self, req: ApiRequest) -> ApiAnswer:
        """Answer one request (and count it in :meth:`stats`)."""
        answer = self._handle(req)
        with self._stats_lock:
            self._status_counts[answer.status] = self._status_counts.get(answer.status, 0) + 1
        if self.on_answer is not None:
            self.on_answer(req, answer)
        return answer

    def _handle(self, req: ApiRequest) -> ApiAnswer:
        rl_headers = {"x-ratelimit-max": str(self.rate_limiter.max_requests)}
        auth = req.headers.get("authorization", "")
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if key not in self.api_keys:
            body = {
                "action": "authorization",
                "status": "error",
                "code": 102,
                "message": "API Key not valid. Send 'Authorization: Bearer <API key>' with the "
                "key from the Ayrshare dashboard.",
            }
            return self._answer(401, body, {**rl_headers, "x-ratelimit-count": "0"})
        pkey = req.headers.get("profile-key")
        if pkey is None or pkey == "":
            profile = self.world.primary
        else:
            found = self.world.profile_by_key(pkey.strip())
            if found is None:
                body = {
                    "action": "authorization",
                    "status": "error",
                    "code": 147,
                    "message": "Profile-Key not found for this API key. Check the Profile-Key "
                    "header, or omit it to use the primary profile.",
                }
                return self._answer(403, body, {**rl_headers, "x-ratelimit-count": "0"})
            profile = found
        if self.suspended(profile.profile_key):
            body = {
                "action": "authorization",
                "status": "error",
                "code": PROFILE_SUSPENDED,
                "message": "This User Profile is suspended: it exceeded the rate limit too often "
                "(1,000 429 answers in 24 hours). Reactivate it in the Ayrshare dashboard.",
            }
            return self._answer(403, body, {**rl_headers, "x-ratelimit-count": "0"})
        allowed, count = self.rate_limiter.hit(profile.profile_key)
        rl_headers["x-ratelimit-count"] = str(count)
        if not allowed:
            self._violation(profile.profile_key)
            body = {
                "action": "request",
                "status": "error",
                "code": 429,
                "message": f"Too many requests: the limit is {self.rate_limiter.max_requests} "
                "requests per window for this profile. Wait for the window to roll over.",
            }
            return self._answer(429, body, rl_headers)
        now = self.clock.now()
        try:
            status, body = self._route(req, profile, now)
        except _Fail as fail:
            status, body = fail.status, fail.body
        return self._answer(status, body, rl_headers)

    @staticmethod
    def _answer(status: int, body: Any, headers: dict[str, str]) -> ApiAnswer:
        return ApiAnswer(status, {"content-type": "application/json; charset=utf-8", **headers},
                         _dumps(body))  # fmt: skip

    def _route(self, req: ApiRequest, profile: Profile, now: datetime) -> tuple[int, Any]:
        parts = [p for p in req.path.split("/") if p]
        x_ok = bool(
            req.headers.get("x-twitter-oauth1-api-key", "").strip()
            and req.headers.get("x-twitter-oauth1-api-secret", "").strip()
        )
        if parts == ["analytics", "post"]:
            self._method(req, "POST")
            return self.analytics_post(self._json(req), profile, now, x_ok)
        if parts == ["analytics", "social"]:
            self._method(req, "POST")
            return self.analytics_social(self._json(req), profile, now, x_ok)
        if parts == ["history"]:
            self._method(req, "GET")
            return self.history(req.query, profile, now)
        if len(parts) == 2 and parts[0] == "history":
            self._method(req, "GET")
            if parts[1] in ALL_PLATFORMS:
                return self.history_platform(parts[1], req.query, profile, now, x_ok)
            return self.history_item(parts[1], profile, now)
        raise _Fail(404, {"status": "error", "code": 404,
                          "message": f"Not found: {req.method} /api{req.path}"})  # fmt: skip

    @staticmethod
    def _method(req: ApiRequest, method: str) -> None:
        if req.method != method:
            raise _Fail(405, {"status": "error", "code": 405,
                              "message": f"Use {method} for /api{req.path}."})  # fmt: skip

    @staticmethod
    def _json(req: ApiRequest) -> dict[str, Any]:
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            raise _bad("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _bad("The request body must be a JSON object.")
        return body

    @staticmethod
    def _platforms(value: Any, action: str) -> list[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad("'platforms' must be a list of platform names.", action)
        unknown = [v for v in value if v not in ALL_PLATFORMS]
        if unknown:
            raise _bad(
                f"Unknown platform(s) {', '.join(unknown)}. Use: {', '.join(ALL_PLATFORMS)}.",
                action,
            )
        return list(value)

    # ---------------------------------------------------------------- /analytics/post
    def _visible(self, post: Post, profile: Profile, now: datetime) -> bool:
        return post.profile == profile.index and post.created <= now

    def analytics_post(
        self, body: dict[str, Any], profile: Profile, now: datetime, x_ok: bool
    ) -> tuple[int, Any]:
        pid = body.get("id")
        if not isinstance(pid, str) or not pid.strip():
            raise _bad("'id' is required: the Ayrshare post id (a non-empty string).", "analytics")
        platforms = self._platforms(body.get("platforms"), "analytics")
        not_found = {"action": "analytics", "status": "error", "code": 186,
                     "message": "Post ID not found.", "id": pid}  # fmt: skip
        if body.get("searchPlatformId") is True:
            if not platforms or len(platforms) != 1:
                raise _bad("searchPlatformId needs exactly one platform in 'platforms'.",
                           "analytics")  # fmt: skip
            net = platforms[0]
            hit = self.world.by_social_id.get((net, pid))
            if hit is None or not self._visible(hit[0], profile, now) or hit[0].publish_at > now:
                raise _Fail(404, not_found)
            found, np_ = hit
            answer: dict[str, Any] = {"status": "success", "id": pid}
            if net == "tiktok" and tiktok_filtered(found, np_, self._quirks):
                return 200, answer  # filtered for violations: simply not returned
            if net == "twitter" and not x_ok:
                answer[net] = x_error()
            else:
                refused = self._network_limits(profile, [net], x_ok)
                answer[net] = refused.get(net) or network_entry(
                    found, np_, now, world=self.world, quirks=self._quirks
                )
            return 200, finish_answer(answer, self._quirks)
        post = self.world.posts_by_id.get(pid)
        if post is None or not self._visible(post, profile, now):
            raise _Fail(404, not_found)
        if post.publish_at > now:
            raise _Fail(400, {
                "action": "analytics", "status": "error", "code": 189,
                "message": "Post not published yet: it is scheduled for "
                f"{iso_s(post.publish_at)}. Analytics are available after it is published.",
                "id": pid, "scheduleDate": iso_s(post.publish_at),
            })  # fmt: skip
        asked = [
            net
            for net, np_ in post.networks.items()
            if (platforms is None or net in platforms)
            and not (net == "tiktok" and tiktok_filtered(post, np_, self._quirks))
        ]
        refused = self._network_limits(profile, asked, x_ok)
        return 200, post_answer(
            self.world, post, now, platforms, x_ok, quirks=self._quirks, refused=refused
        )

    # ---------------------------------------------------------------- /analytics/social
    def analytics_social(
        self, body: dict[str, Any], profile: Profile, now: datetime, x_ok: bool
    ) -> tuple[int, Any]:
        platforms = self._platforms(body.get("platforms"), "analytics")
        if not platforms:
            raise _bad("'platforms' is required: a list of platform names.", "analytics")
        quarters = body.get("quarters")
        if quarters is not None and (
            not isinstance(quarters, int) or isinstance(quarters, bool) or not 1 <= quarters <= 4
        ):
            raise _bad("'quarters' must be an integer from 1 to 4.", "analytics")
        daily = body.get("daily") is True
        days = 60 if body.get("period60Days") is True else 30
        out: dict[str, Any] = {"status": "success"}
        last = now.replace(minute=0, second=0, microsecond=0)
        linked = [n for n in platforms if n in profile.accounts]
        refused = self._network_limits(profile, linked, x_ok)
        for net in platforms:
            if net == "twitter" and not x_ok:
                out[net] = x_error()
                continue
            if net in refused:
                out[net] = refused[net]
                continue
            acc = profile.accounts.get(net)
            if acc is None:
                out[net] = {"status": "error", "code": 156, "platform": net,
                            "message": f"{net} is not linked to this profile."}  # fmt: skip
                continue
            out[net] = {
                "analytics": self._social_numbers(net, profile, now, daily, days),
                "lastUpdated": iso_ms(last),
                "nextUpdate": iso_ms(last + timedelta(hours=1)),
            }
        return 200, out

    def _social_numbers(
        self, net: str, profile: Profile, now: datetime, daily: bool, days: int
    ) -> dict[str, Any]:
        acc = profile.accounts[net]
        start = self.world.start
        followers = acc.followers_at(now, start)
        posts = [
            (p, p.networks[net])
            for p in self.world.posts
            if p.profile == profile.index and net in p.networks and p.publish_at <= now
        ]
        views_key = {"youtube": "views", "tiktok": "videoViews", "facebook": "impressions",
                     "instagram": "viewsCount", "linkedin": "impressionCount",
                     "pinterest": "impression", "reddit": "viewCount", "threads": "views",
                     "twitter": "publicMetrics.impressionCount"}.get(net)  # fmt: skip
        total_views = 0
        if views_key:
            for _post, np_ in posts:
                age_h = (now - np_.published).total_seconds() / HOUR
                total_views += counts_at(np_, age_h).get(views_key, 0)
        nums: dict[str, Any] = {
            FOLLOWER_FIELD[net]: followers,
            "username": acc.username,
            "displayName": acc.display_name,
            "postsCount": len(posts),
        }
        if views_key:
            nums["viewsCount"] = total_views
        if net == "linkedin":
            nums["pageType"] = "personal" if acc.personal else "organization"
        if daily and net in DAILY_PLATFORMS:
            series = []
            today = now.replace(hour=0, minute=0, second=0, microsecond=0)
            for d in range(days, 0, -1):
                day = today - timedelta(days=d)
                series.append({"date": day.date().isoformat(),
                               "followers": acc.followers_at(day, start)})  # fmt: skip
            nums["daily"] = series
        return nums

    # ---------------------------------------------------------------- /history
    def history(
        self, query: tuple[tuple[str, str], ...], profile: Profile, now: datetime
    ) -> tuple[int, Any]:
        q: dict[str, str] = {}
        nets: list[str] = []
        for k, v in query:
            if k == "platforms" or (k.startswith("platforms[") and k.endswith("]")):
                nets.extend(x for x in v.split(",") if x)
            else:
                q[k] = v
        nets_f = self._platforms(nets, "history") if nets else None
        last_days = self._int(q, "lastDays", 30, 0, 100_000)
        limit = self._int(q, "limit", HISTORY_DEFAULT_LIMIT, 1, HISTORY_MAX_LIMIT)
        start = self._date(q, "startDate")
        end = self._date(q, "endDate", end_of_day=True)
        items = []
        for post in reversed(self.world.posts):
            if post.id is None or not self._visible(post, profile, now):
                continue
            if last_days and post.created < now - timedelta(days=last_days):
                continue
            if start and post.created < start or end and post.created > end:
                continue
            if nets_f and not set(nets_f) & set(post.networks):
                continue
            item = self._history_item(post, now)
            if "status" in q and item["status"] != q["status"]:
                continue
            if "type" in q and item["type"] != q["type"]:
                continue
            items.append(item)
            if len(items) >= limit:
                break
        return 200, {"history": items}

    def history_item(self, pid: str, profile: Profile, now: datetime) -> tuple[int, Any]:
        post = self.world.posts_by_id.get(pid)
        if post is None or not self._visible(post, profile, now):
            raise _Fail(404, {"action": "history", "status": "error", "code": 221,
                              "message": "History not found.", "id": pid})  # fmt: skip
        return 200, self._history_item(post, now)

    def _history_item(self, post: Post, now: datetime) -> dict[str, Any]:
        published = post.publish_at <= now
        item: dict[str, Any] = {
            "errors": [],
            "post": post.text,
            "platforms": list(post.networks),
            "postIds": [
                {"status": "success", "id": np_.social_id, "platform": net, "postUrl": np_.url}
                for net, np_ in post.networks.items()
            ]
            if published
            else [],
            "urls": [],
            "mediaUrls": list(post.media_urls),
            "type": post.type,
            "created": iso_s(post.created),
            "status": "success" if published else "pending",
        }
        if post.type == "schedule":
            secs = int(post.publish_at.timestamp())
            item["scheduleDate"] = {"_seconds": secs, "_nanoseconds": 0,
                                    "utc": iso_s(post.publish_at)}  # fmt: skip
        item["id"] = post.id
        return item

    @staticmethod
    def _int(q: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
        if name not in q:
            return default
        try:
            value = int(q[name])
        except ValueError:
            raise _bad(f"'{name}' must be an integer, got {q[name]!r}.", "history") from None
        if not lo <= value <= hi:
            raise _bad(f"'{name}' must be between {lo} and {hi}, got {value}.", "history")
        return value

    @staticmethod
    def _date(q: dict[str, str], name: str, *, end_of_day: bool = False) -> datetime | None:
        """A date filter as an aware datetime (naive = UTC). A bare date is the start of that
        day, or with ``end_of_day`` its last instant, so that an end date includes its day.

        >>> q = {"endDate": "2026-10-08", "startDate": "2026-10-01T12:00:00Z"}
        >>> SandboxApp._date(q, "endDate", end_of_day=True).isoformat()
        '2026-10-08T23:59:59.999999+00:00'
        >>> SandboxApp._date(q, "startDate").isoformat()
        '2026-10-01T12:00:00+00:00'
        """
        if name not in q:
            return None
        text = q[name].strip()
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _bad(f"'{name}' must be an ISO 8601 date, got {q[name]!r}.", "history") from None
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        if end_of_day and "T" not in text.upper() and " " not in text:
            value += timedelta(days=1, microseconds=-1)
        return value

    def history_platform(
        self, net: str, query: tuple[tuple[str, str], ...], profile: Profile, now: datetime,
        x_ok: bool,
    ) -> tuple[int, Any]:  # fmt: skip
        if net == "twitter" and not x_ok:
            raise _Fail(400, {"action": "history", **x_error(), "code": X_KEYS_MISSING})
        if net not in profile.accounts:
            raise _Fail(400, {"action": "history", "status": "error", "code": 156,
                              "message": f"{net} is not linked to this profile."})  # fmt: skip
        q = dict(query)
        limit = self._int(q, "limit", HISTORY_DEFAULT_LIMIT, 1, HISTORY_MAX_LIMIT)
        offset = 0
        if q.get("next"):
            cursor = q["next"]
            if not cursor.startswith("c") or not cursor[1:].isdigit():
                raise _bad(f"'next' is not a cursor of this endpoint: {cursor!r}.", "history")
            offset = int(cursor[1:])
        rows = [
            (p, p.networks[net])
            for p in reversed(self.world.posts)
            if net in p.networks and self._visible(p, profile, now) and p.publish_at <= now
        ]
        page = rows[offset : offset + limit]
        posts = [self._platform_item(net, p, np_, now) for p, np_ in page]
        last = now.replace(minute=0, second=0, microsecond=0)
        out: dict[str, Any] = {"status": "success", "posts": posts,
                               "lastUpdated": iso_ms(last),
                               "nextUpdate": iso_ms(last + timedelta(hours=1))}  # fmt: skip
        if offset + limit < len(rows):
            out["next"] = f"c{offset + limit}"
        return 200, out

    @staticmethod
    def _platform_item(net: str, post: Post, np_: Any, now: datetime) -> dict[str, Any]:
        age_s = max(0, int((now - np_.published).total_seconds()))
        c = counts_at(np_, cache_window(age_s)[0] / HOUR)
        if net == "bluesky":
            return {
                "cid": "bafyrei" + np_.social_id.rsplit("/", 1)[1].ljust(52, "a"),
                "created": iso_ms(np_.published),
                "id": np_.social_id,
                "indexedAt": iso_ms(np_.published + timedelta(milliseconds=205)),
                "labels": [],
                "likeCount": c["likeCount"],
                "post": post.text,
                "postUrl": np_.url,
                "quoteCount": c["quoteCount"],
                "replyCount": c["replyCount"],
                "repostCount": c["repostCount"],
                "viewer": {"threadMuted": False, "embeddingDisabled": False},
            }
        item: dict[str, Any] = {
            "id": np_.social_id,
            "post": post.text,
            "postUrl": np_.url,
            "created": iso_ms(np_.published),
            "mediaType": post.media_type,
        }
        if net == "twitter":
            item["publicMetrics"] = {
                k.split(".")[1]: v for k, v in c.items() if k.startswith("publicMetrics.")
            }
        elif net not in ("youtube", "pinterest"):  # those report late; keep the list light
            item |= {k: v for k, v in c.items() if "." not in k}
        return item
