"""uvicorn's HTTP protocol with a time limit on the request head.

uvicorn times out a keep-alive connection that stays silent after an answer, but not a
connection that sends nothing after connecting, nor one that trickles its request line and
headers in a byte at a time: each such connection is held for as long as the client likes,
and a few hundred of them use up `--limit-concurrency`. Here every connection must send a
complete request head within `head_seconds` of connecting, or of the end of the previous
answer, or it is closed. A request whose head has arrived is never cut off by this limit
(its body has `--body-seconds`, checked by the service).

The protocol class is built on whichever of uvicorn's parsers uvicorn itself would pick
(httptools when installed, else h11); it relies on their `cycle`, `loop`, `transport` and
`on_response_complete`, stable across uvicorn 0.2x–0.5x.
"""

from __future__ import annotations

import asyncio
import os
from functools import cache
from typing import Any

from .limits import HEAD_SECONDS, HEAD_SECONDS_ENV


@cache
def head_seconds() -> float:
    """The limit of this process, in seconds (a duration, not an amount): `HEAD_SECONDS_ENV`
    as `clausula serve` sets it for each worker (uvicorn builds a worker's protocol from an
    import string, so the value travels in the environment), or `HEAD_SECONDS`."""
    text = os.environ.get(HEAD_SECONDS_ENV)
    return float(text) if text else HEAD_SECONDS


class _HeadTimeout:
    """Mixin over a uvicorn HTTP protocol: close a connection whose request head is late."""

    _head_timer: asyncio.TimerHandle | None = None
    _head_cycle: object = None

    # Attributes of uvicorn's protocol classes, for the type checker.
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_cycle = self.cycle
        self._head_timer = self.loop.call_later(head_seconds(), self._head_too_slow)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        idle = self.cycle is None or self.cycle.response_complete
        if self.cycle is self._head_cycle and idle and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self._head_timer is not None and self.cycle is not self._head_cycle:
            self._disarm_head_timer()  # a new request head has been read whole

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        idle = self.cycle is None or self.cycle.response_complete
        if idle and not self.transport.is_closing():
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)  # type: ignore[misc]


def _base() -> type[asyncio.Protocol]:
    try:
        import httptools  # noqa: F401
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol


HeadLimitedHTTP: type[asyncio.Protocol] = type("HeadLimitedHTTP", (_HeadTimeout, _base()), {})
"""uvicorn's HTTP protocol with the limit on request heads: `uvicorn.run(...,
http="clausula.serve_protocol:HeadLimitedHTTP")`."""
