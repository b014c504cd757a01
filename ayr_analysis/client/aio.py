"""The asynchronous client: the shared core (:mod:`ayr_analysis.client.core`) over an
:class:`httpx.AsyncClient`, with concurrent bulk fetches.

>>> import asyncio, httpx
>>> async def main():
...     t = httpx.MockTransport(lambda r: httpx.Response(200, json={"history": []}))
...     async with AsyncAyrshareClient("k", transport=t) as client:
...         return (await client.history())["history"]
>>> asyncio.run(main())
[]
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Generator, Iterable
from typing import Any

import httpx

from ..config import Secret
from . import calls
from .bounds import DeadlinePassed, Received
from .core import ClientCore, Send, Sleep, Step
from .display import progress_bar
from .results import ApiResponse, BulkResult, PostFailure, as_failure

__all__ = ["AsyncAyrshareClient"]


class AsyncAyrshareClient(ClientCore):
    """Asynchronous client, same arguments and methods as :class:`AyrshareClient` (awaitable).
    ``sleep`` may be a coroutine function or a plain one. Use ``async with`` or ``await
    client.close()``.

    >>> import asyncio, httpx
    >>> async def main():
    ...     t = httpx.MockTransport(lambda r: httpx.Response(200, json={"status": "success"}))
    ...     async with AsyncAyrshareClient("k", transport=t) as client:
    ...         return (await client.fetch_many(["a", "b"], progress=False)).summary()
    >>> asyncio.run(main())
    'fetched 2 of 2 posts'
    """

    def __init__(self, api_key: str | Secret | None = None, **kwargs: Any) -> None:
        super().__init__(api_key, **kwargs)
        self._http = httpx.AsyncClient(**self._client_kwargs())

    async def _sleep(self, seconds: float) -> None:
        if self._sleep_arg is None:
            await asyncio.sleep(seconds)
            return
        result = self._sleep_arg(seconds)
        if inspect.isawaitable(result):
            await result

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    aclose = close

    async def __aenter__(self) -> AsyncAyrshareClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the I/O -----------------------------------------------------------------------------
    async def _receive(self, step: Send) -> Received:
        """Send the request and read its answer as it streams in, within the size cap and the
        deadline (which bounds everything, waiting for a connection included)."""
        call = step.call
        deadline = time.monotonic() + self._deadline_s
        try:
            async with (
                asyncio.timeout(self._deadline_s),
                self._http.stream(
                    call.method, call.path, params=call.params, json=call.json,
                    headers=step.headers,
                ) as response,
            ):  # fmt: skip
                reader = self._body_reader(response, deadline)
                if response.is_stream_consumed:  # read already (an in-process transport)
                    reader.feed_decoded(response.content)
                elif reader.decodes:
                    async for piece in response.aiter_raw():
                        reader.feed(piece)
                else:
                    async for piece in response.aiter_bytes():
                        reader.feed_decoded(piece)
                return Received(response.status_code, response.headers, reader.finish())
        except TimeoutError:
            raise DeadlinePassed(self._deadline_s) from None

    async def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            return await self._receive(step)
        if isinstance(step, Sleep):
            return await self._sleep(step.seconds)
        return await self._limiter.acquire_slot_async(self._sleep, max_block=step.max_block)

    async def _run(self, steps: Generator[Step, Any, ApiResponse]) -> ApiResponse:
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
                reply = await self._perform(step)
            except BaseException as exc:  # handed to the exchange (cancellation included)
                error = exc

    async def _send(self, call: calls.Call) -> ApiResponse:
        return await self._run(self._exchange(call))

    # -- the API -----------------------------------------------------------------------------
    async def analytics_post(
        self, id: str, platforms: Iterable[str] | str | None = None
    ) -> ApiResponse:
        """Async :meth:`AyrshareClient.analytics_post`."""
        return await self._send(calls.analytics_post(id, platforms))

    async def analytics_by_social_id(self, social_id: str, platform: str) -> ApiResponse:
        """Async :meth:`AyrshareClient.analytics_by_social_id`."""
        return await self._send(calls.analytics_by_social_id(social_id, platform))

    async def analytics_social(self, platforms: Iterable[str] | str, **options: Any) -> ApiResponse:
        """Async :meth:`AyrshareClient.analytics_social`."""
        return await self._send(calls.analytics_social(platforms, options))

    async def history(self, **filters: Any) -> ApiResponse:
        """Async :meth:`AyrshareClient.history`."""
        return await self._send(calls.history(filters))

    async def history_platform(self, platform: str, **filters: Any) -> ApiResponse:
        """Async :meth:`AyrshareClient.history_platform`."""
        return await self._send(calls.history_platform(platform, filters))

    async def fetch_many(
        self,
        ids: Iterable[str],
        platforms: Iterable[str] | str | None = None,
        *,
        concurrency: int = 8,
        progress: bool | None = None,
    ) -> BulkResult:
        """Analytics for many Ayrshare post ids, at most ``concurrency`` requests at a time, paced
        to the rate limit. Duplicate ids are asked for once. A post that fails becomes a
        :class:`PostFailure`; the batch never raises for it. ``progress``: ``None`` shows a bar
        only on a terminal or in a notebook, ``True`` always, ``False`` never.

        >>> import asyncio, httpx
        >>> def handler(request):
        ...     status = 404 if b'"bad"' in request.content else 200
        ...     return httpx.Response(status, json={"status": "error" if status == 404 else "ok"})
        >>> async def main():
        ...     async with AsyncAyrshareClient("k", transport=httpx.MockTransport(handler)) as c:
        ...         return await c.fetch_many(["a", "bad", "c"], progress=False)
        >>> result = asyncio.run(main())
        >>> [r.request_id for r in result.responses], [f.post_id for f in result.failures]
        (['a', 'c'], ['bad'])
        """
        post_ids, names, limit = self._bulk_arguments(ids, platforms, concurrency)
        return await self._bulk(post_ids, names, limit, progress)

    async def _bulk(
        self,
        post_ids: list[str],
        names: list[str] | None,
        concurrency: int,
        progress: bool | None,
    ) -> BulkResult:
        semaphore = asyncio.Semaphore(concurrency)
        answers: list[ApiResponse | None] = [None] * len(post_ids)
        failures: dict[int, PostFailure] = {}
        bar = progress_bar(len(post_ids), progress)

        async def one(index: int, pid: str) -> None:
            async with semaphore:
                try:
                    answers[index] = await self._send(calls.post_analytics(pid, names))
                except Exception as exc:
                    failures[index] = as_failure(pid, exc)
                if bar is not None:
                    bar.update(1)
                    if failures:
                        bar.set_postfix(failed=len(failures), refresh=False)

        try:
            await asyncio.gather(*(one(i, pid) for i, pid in enumerate(post_ids)))
        finally:
            if bar is not None:
                bar.close()
        return BulkResult(
            responses=[a for a in answers if a is not None],
            failures=[failures[i] for i in sorted(failures)],
        )
