"""The synchronous client: the shared core (:mod:`ayr_analysis.client.core`) over a blocking
:class:`httpx.Client`.

>>> import httpx
>>> t = httpx.MockTransport(lambda r: httpx.Response(200, json={"history": []}))
>>> with AyrshareClient("k", transport=t) as client:
...     client.history()["history"]
[]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from ..config import Secret
from . import calls
from .bounds import Received, deadline_scope, keep_deadlines
from .core import ClientCore, Send, Sleep, Step
from .display import progress_bar
from .results import ApiResponse, BulkResult, as_failure

__all__ = ["AyrshareClient"]


class AyrshareClient(ClientCore):
    """Synchronous client. Use it as a context manager, or call :meth:`close`.

    Arguments override the settings (``settings`` or, when not given, :func:`load_settings`).
    ``demo`` runs the client on a :class:`~ayr_analysis.sandbox.Demo` (its world, clock and rate
    limit; ``source="demo"`` without one uses the shared default demo) and ``client.demo`` gives
    it back. ``transport`` plugs in any httpx transport (tests); ``clock`` (seconds, or
    datetimes) and ``sleep`` drive the retries and the rate limiter; ``max_retry_time`` bounds the
    total time spent retrying one request (default: 10 minutes, or two rate windows).

    >>> import httpx
    >>> seen = []
    >>> def handler(request):
    ...     seen.append(request.headers["Authorization"])
    ...     return httpx.Response(200, json={"history": []})
    >>> client = AyrshareClient("k-1", transport=httpx.MockTransport(handler))
    >>> client.history(lastDays=7)["history"], seen
    ([], ['Bearer k-1'])
    >>> client.close()
    """

    def __init__(self, api_key: str | Secret | None = None, **kwargs: Any) -> None:
        super().__init__(api_key, **kwargs)
        self._sleep = self._sleep_arg or time.sleep
        self._http = httpx.Client(**self._client_kwargs())
        keep_deadlines(self._http)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> AyrshareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the I/O -----------------------------------------------------------------------------
    def _receive(self, step: Send) -> Received:
        """Send the request and read its answer as it streams in, within the size cap; the
        network layer ends every connect and read by the deadline."""
        call = step.call
        deadline = time.monotonic() + self._deadline_s
        with (
            deadline_scope(deadline),
            self._http.stream(
                call.method, call.path, params=call.params, json=call.json, headers=step.headers
            ) as response,
        ):
            reader = self._body_reader(response, deadline)
            if response.is_stream_consumed:  # read already (an in-process transport)
                reader.feed_decoded(response.content)
            elif reader.decodes:
                for piece in response.iter_raw():
                    reader.feed(piece)
            else:
                for piece in response.iter_bytes():
                    reader.feed_decoded(piece)
            return Received(response.status_code, response.headers, reader.finish())

    def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            return self._receive(step)
        if isinstance(step, Sleep):
            return self._sleep(step.seconds)
        return self._limiter.acquire_slot(self._sleep, max_block=step.max_block)

    def _run(self, steps: Generator[Step, Any, ApiResponse]) -> ApiResponse:
        """Perform the steps of an exchange, handing each outcome (or error) back to it."""
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.send(reply) if error is None else steps.throw(error)
            except StopIteration as done:
                return done.value
            reply, error = None, None
            try:
                reply = self._perform(step)
            except BaseException as exc:  # handed to the exchange, which decides
                error = exc

    def _send(self, call: calls.Call) -> ApiResponse:
        return self._run(self._exchange(call))

    # -- the API -----------------------------------------------------------------------------
    def analytics_post(self, id: str, platforms: Iterable[str] | str | None = None) -> ApiResponse:
        """Post-level analytics for one Ayrshare post id (``POST /analytics/post``).

        ``platforms`` narrows the answer; ``None`` gives every network the post went to. A network
        that failed stays in the answer as its error object (see the normaliser).

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, json={"id": "p1", "x": 1}))
        >>> AyrshareClient("k", transport=t).analytics_post("p1")["id"]
        'p1'
        """
        return self._send(calls.analytics_post(id, platforms))

    def analytics_by_social_id(self, social_id: str, platform: str) -> ApiResponse:
        """Analytics for a post by the network's own id (``searchPlatformId``); one platform.

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, content=r.content))
        >>> AyrshareClient("k", transport=t).analytics_by_social_id("17890", "instagram")
        {'id': '17890', 'platforms': ['instagram'], 'searchPlatformId': True}
        """
        return self._send(calls.analytics_by_social_id(social_id, platform))

    def analytics_social(self, platforms: Iterable[str] | str, **options: Any) -> ApiResponse:
        """Account-level analytics (``POST /analytics/social``); options ``quarters`` (1-4),
        ``daily`` and ``period60Days`` (booleans).

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, content=r.content))
        >>> AyrshareClient("k", transport=t).analytics_social(["tiktok"], daily=True)
        {'platforms': ['tiktok'], 'daily': True}
        """
        return self._send(calls.analytics_social(platforms, options))

    def history(self, **filters: Any) -> ApiResponse:
        """Posts sent through Ayrshare (``GET /history``): one request, the newest ``limit``
        posts (the API's default 25, at most :data:`HISTORY_MAX_LIMIT`) of the window; to get
        every post of a window use :func:`ayr_analysis.history`. Filters: ``lastDays``,
        ``limit``, ``status``, ``type``, ``platforms``, ``startDate``/``endDate`` (ISO text, date
        or datetime; both inclusive, and the API reads a bare ``endDate`` as its whole day).
        A legacy bare-array answer comes back as ``{"history": [...]}``.

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, json=dict(r.url.params)))
        >>> AyrshareClient("k", transport=t).history(lastDays=7, platforms=["twitter"])
        {'lastDays': '7', 'platforms[0]': 'twitter'}
        """
        return self._send(calls.history(filters))

    def history_platform(self, platform: str, **filters: Any) -> ApiResponse:
        """Posts on one network, also those not sent through Ayrshare (``GET /history/{platform}``).
        Filters: ``limit``, ``next`` (the cursor of the previous page).

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, json={"path": r.url.path}))
        >>> AyrshareClient("k", transport=t).history_platform("bluesky", limit=5)["path"]
        '/api/history/bluesky'
        """
        return self._send(calls.history_platform(platform, filters))

    def fetch_many(
        self,
        ids: Iterable[str],
        platforms: Iterable[str] | str | None = None,
        *,
        concurrency: int = 8,
        progress: bool | None = None,
    ) -> BulkResult:
        """Analytics for many posts, ``concurrency`` at a time; see
        :meth:`AsyncAyrshareClient.fetch_many`. Works in scripts and inside a running event loop
        (Jupyter), where it runs in a worker thread.

        >>> import httpx
        >>> t = httpx.MockTransport(lambda r: httpx.Response(200, json={"status": "success"}))
        >>> AyrshareClient("k", transport=t).fetch_many(["a", "b", "a"], progress=False).summary()
        'fetched 2 of 2 posts'
        """
        from .aio import AsyncAyrshareClient

        post_ids, names, limit = self._bulk_arguments(ids, platforms, concurrency)
        transport = self._transport
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            return self._fetch_sequential(post_ids, names, progress)
        sibling = self._sibling_kwargs()

        async def run() -> BulkResult:
            async with AsyncAyrshareClient(**sibling) as client:
                return await client._bulk(post_ids, names, limit, progress)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(run())
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ayr-fetch") as pool:
            return pool.submit(asyncio.run, run()).result()

    def _fetch_sequential(
        self, post_ids: list[str], names: list[str] | None, progress: bool | None
    ) -> BulkResult:
        bar = progress_bar(len(post_ids), progress)
        result = BulkResult()
        try:
            for pid in post_ids:
                try:
                    result.responses.append(self._send(calls.post_analytics(pid, names)))
                except Exception as exc:
                    result.failures.append(as_failure(pid, exc))
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return result
