"""The cache is optional: a Redis cache that is down or frozen slows nothing and breaks nothing.

``DegradingRedisCache`` is Django's Redis cache backend with short socket timeouts, no client
retries, and every Redis error turned into a cache miss (reads answer the default, writes are
dropped, ``incr`` behaves as for a missing key). After an error the cache is skipped altogether
for ``RETRY_AFTER`` seconds (in this process), so a frozen server costs one short timeout per
process and per period, not one per cache call. Settings select it for every ``redis://`` cache
URL (``liaoning_tt/settings.py``); callers use ``django.core.cache.cache`` as usual.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT = 0.25  # seconds, to connect and to answer (a cache round trip takes well under 1 ms)
RETRY_AFTER = 10.0  # seconds during which the cache is skipped after an error

_ERRORS = (RedisError, OSError)


class _Breaker:
    """Per-process state: until when the cache is skipped."""

    lock = threading.Lock()
    down_until = 0.0

    @classmethod
    def open(cls) -> bool:
        return time.monotonic() < cls.down_until

    @classmethod
    def trip(cls, operation: str, exc: BaseException) -> None:
        with cls.lock:
            first = not cls.open()
            cls.down_until = time.monotonic() + RETRY_AFTER
        if first:
            logger.warning(
                "cache: %s failed (%s: %s); answering without the cache for %ss",
                operation,
                type(exc).__name__,
                exc,
                RETRY_AFTER,
            )

    @classmethod
    def reset(cls) -> None:
        cls.down_until = 0.0


def _degrading(name: str, fallback):
    def method(self, *args, **kwargs):
        if _Breaker.open():
            return fallback(*args, **kwargs)
        try:
            return getattr(super(DegradingRedisCache, self), name)(*args, **kwargs)
        except _ERRORS as exc:
            _Breaker.trip(name, exc)
            return fallback(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``{name}``, or the answer of an empty cache when Redis fails."
    return method


def _missing_key(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found (the cache is unavailable)")


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        params = {**params, "OPTIONS": dict(params.get("OPTIONS") or {})}
        options = params["OPTIONS"]
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        options.setdefault("retry", Retry(NoBackoff(), 0))  # redis-py retries 3 times by default
        options.setdefault("retry_on_timeout", False)
        super().__init__(server, params)

    get = _degrading("get", lambda key, default=None, version=None: default)
    set = _degrading("set", lambda key, value, timeout=DEFAULT_TIMEOUT, version=None: None)
    add = _degrading("add", lambda key, value, timeout=DEFAULT_TIMEOUT, version=None: False)
    touch = _degrading("touch", lambda key, timeout=DEFAULT_TIMEOUT, version=None: False)
    delete = _degrading("delete", lambda key, version=None: False)
    has_key = _degrading("has_key", lambda key, version=None: False)
    incr = _degrading("incr", _missing_key)
    get_many = _degrading("get_many", lambda keys, version=None: {})
    set_many = _degrading("set_many", lambda data, timeout=DEFAULT_TIMEOUT, version=None: list(data))
    delete_many = _degrading("delete_many", lambda keys, version=None: None)
    clear = _degrading("clear", lambda: None)
