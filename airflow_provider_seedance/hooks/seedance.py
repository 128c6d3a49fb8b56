"""``SeedanceHook``: turns an Airflow connection into configured Seedance clients.

The connection is the only place the API key lives: the password field. The hook never
falls back to ``WAVESPEED_API_KEY`` from the environment: a worker or triggerer that
happens to have that variable must not silently run a DAG on a key nobody configured
for it, so an empty password is an error naming the connection. Operators, sensors and
triggers carry the connection *id*, never the key, so nothing secret ends up in XCom,
trigger kwargs or rendered templates. The triggerer resolves the connection through
Airflow's async lookup so polling never blocks its event loop on a sync call.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_seedance.connection_form import (
    CONN_TYPE,
    EXTRA_FIELDS,
    HOOK_NAME,
    hook_form_widgets,
    hook_ui_field_behaviour,
)
from shared_client import (
    POLL_TICK,
    AccountLevel,
    APIError,
    AsyncSeedanceClient,
    AuthenticationError,
    RetryPolicy,
    SeedanceClient,
    SeedanceError,
    account_level,
)

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "wavespeed_default"
#: An id no prediction can have: asking for it proves the key is accepted without paying.
_PROBE_PREDICTION_ID = "airflow-connection-test-0000"


@dataclass(frozen=True)
class ClientSettings:
    """What a client needs, read from a connection. ``repr`` never shows the key.

    ``api_key`` is never ``None``: an empty key reaches the client as ``""``, which it
    rejects, instead of ``None``, which would make it read the environment.
    """

    api_key: str = field(repr=False)
    base_url: str | None
    timeout: float | None
    verify_ssl: bool
    max_attempts: int | None = None

    def client_kwargs(self) -> dict[str, Any]:
        """Constructor kwargs for ``SeedanceClient`` / ``AsyncSeedanceClient``.

        ``verify`` is passed only when the connection explicitly turned it off, so TLS
        verification stays on unless somebody decided otherwise.
        """
        kwargs: dict[str, Any] = {"api_key": self.api_key, "base_url": self.base_url}
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        if not self.verify_ssl:
            kwargs["verify"] = False
        if self.max_attempts is not None:
            kwargs["retry"] = RetryPolicy(max_attempts=max(1, self.max_attempts))
        return kwargs


#: Shared async clients, per event loop (dropped with the loop), per connection settings,
#: each with the generator that closes it when the loop shuts down.
_SHARED_CLIENTS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop,
    dict[ClientSettings, tuple[AsyncSeedanceClient, AsyncIterator[None]]],
] = weakref.WeakKeyDictionary()


async def _close_at_loop_shutdown(client: AsyncSeedanceClient) -> AsyncIterator[None]:
    """Close ``client`` when its event loop shuts down.

    ``asyncio.run`` (the triggerer's loop, a test's, a script's) finalises every live async
    generator before closing the loop; this one's ``finally`` then closes the shared
    client's connections cleanly instead of leaving them to the garbage collector.
    """
    try:
        yield
    finally:
        await client.aclose()


def _as_bool(value: Any, *, default: bool) -> bool:
    """Connection extras arrive as JSON or strings; only an explicit false-ish value counts."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("false", "0", "no", "off")


_DEFAULT_PORTS = {"https": 443, "http": 80}


def base_url_from(host: str | None, schema: str | None, port: int | None) -> str | None:
    """Build the API base URL from the connection's host, schema and port fields.

    ``host`` may be a full URL (``http://127.0.0.1:8123``), whose own port wins;
    otherwise the schema field picks ``http``/``https`` (default https) and the port is
    appended. Port 0 (what Airflow 3.3's UI posts for "no port") and the scheme's default
    port (443, 80: what the form asks for so its Test button works) add nothing.
    """
    if not host:
        return None
    host = host.strip().rstrip("/")
    if "://" in host:
        parts = urlsplit(host)
        if port == _DEFAULT_PORTS.get(parts.scheme):
            port = None
        if port and parts.port is None:
            return f"{parts.scheme}://{parts.hostname}:{port}{parts.path}".rstrip("/")
        return host
    scheme = schema if schema in ("http", "https") else "https"
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def settings_from(
    password: str | None,
    host: str | None,
    schema: str | None,
    port: int | None,
    extra: dict[str, Any],
) -> ClientSettings:
    """Read client settings from connection fields (shared by the sync and async paths)."""
    raw_timeout = extra.get("timeout")
    timeout = float(raw_timeout) if raw_timeout not in (None, "") else None
    raw_attempts = extra.get("max_attempts")
    attempts = int(raw_attempts) if raw_attempts not in (None, "") else None
    return ClientSettings(
        api_key=password or "",
        base_url=base_url_from(host, schema, port),
        timeout=timeout,
        verify_ssl=_as_bool(extra.get("verify_ssl"), default=True),
        max_attempts=attempts,
    )


class SeedanceHook(BaseHook):
    """Interact with WaveSpeedAI's Seedance 2.0 API through ``shared_client``.

    :param wavespeed_conn_id: Connection of type ``wavespeed``; password = API key (the
        only source: the ``WAVESPEED_API_KEY`` environment variable is not read, and an
        empty password raises ``AuthenticationError`` naming the connection), host =
        optional base URL (default ``https://api.wavespeed.ai``), extras ``account_level``
        (sizes the pool, see :mod:`..pools`), ``timeout``,
        ``verify_ssl`` and ``max_attempts``.
    """

    conn_name_attr = "wavespeed_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME

    def __init__(self, wavespeed_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wavespeed_conn_id = wavespeed_conn_id

    # -- connection form (Airflow < 3.2; 3.2+ reads conn-fields from get_provider_info) --
    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Hide the fields the API does not use and say what the others mean."""
        return hook_ui_field_behaviour()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra fields for the Airflow 2 connection form (Flask-AppBuilder widgets)."""
        return hook_form_widgets()

    # -- settings --
    @staticmethod
    def _extra_field(extra: dict[str, Any], name: str) -> Any:
        """Extras saved by the Airflow 2 form are prefixed ``extra__wavespeed__``."""
        return extra.get(name, extra.get(f"extra__{CONN_TYPE}__{name}"))

    def _settings_from_connection(self, conn: Any, extra: dict[str, Any]) -> ClientSettings:
        """Settings from a looked-up connection; both lookups (sync, async) end here."""
        if not (conn.password or "").strip():
            raise AuthenticationError(
                f"connection {self.wavespeed_conn_id!r} has no API key in its password field; "
                "put the WaveSpeed API key there (the provider does not read "
                "WAVESPEED_API_KEY from the environment)"
            )
        extras = {k: self._extra_field(extra, k) for k in EXTRA_FIELDS}
        return settings_from(conn.password, conn.host, conn.schema, conn.port, extras)

    def get_settings(self) -> ClientSettings:
        """Client settings from the connection (sync lookup: worker side only).

        Raises ``AuthenticationError`` when the connection's password is empty.
        """
        conn = self.get_connection(self.wavespeed_conn_id)
        return self._settings_from_connection(conn, conn.extra_dejson)

    def account_level(self) -> AccountLevel:
        """The level named by the connection's ``account_level`` extra (empty: Bronze, a new
        account's level); it sizes the account's pool (:mod:`..pools`). Raises
        ``InvalidRequestError`` naming ``account_level`` for an unknown level."""
        conn = self.get_connection(self.wavespeed_conn_id)
        return account_level(self._extra_field(conn.extra_dejson, "account_level"))

    async def aget_settings(self) -> ClientSettings:
        """Client settings through Airflow's async connection lookup (triggerer side).

        Uses ``common.compat``'s ``get_async_connection``: ``aget_connection`` on Airflow
        3.3.2+, and the sync lookup in a worker thread (``sync_to_async``) where the async
        one is missing or would block (2.11, 3.0-3.3.1), never a sync call on the loop.
        """
        try:
            from airflow.providers.common.compat.connection import (
                get_async_connection,
                get_async_extra_dejson,
            )
        except ImportError:  # common-compat older than the async helpers
            from asgiref.sync import sync_to_async

            return await sync_to_async(self.get_settings)()
        conn = await get_async_connection(self.wavespeed_conn_id, hook=self)
        extra = await get_async_extra_dejson(conn)
        return self._settings_from_connection(conn, extra)

    # -- clients --
    def get_conn(self) -> SeedanceClient:
        """A new sync client; the caller closes it (use it as a context manager)."""
        return SeedanceClient(**self.get_settings().client_kwargs())

    async def ashared_client(self) -> AsyncSeedanceClient:
        """The running event loop's client for this connection's settings.

        Every trigger in a triggerer process runs on one event loop; sharing one client
        per connection settings gives them one connection pool, so a thousand waiting
        predictions cost a handful of keep-alive connections, not a thousand. A changed
        key or host yields new settings and so a new client. Callers must not close it.
        """
        settings = await self.aget_settings()
        clients = _SHARED_CLIENTS.setdefault(asyncio.get_running_loop(), {})
        entry = clients.get(settings)
        if entry is None:
            # Polls on the shared grid: a triggerer's waits then share loop iterations
            # (half the CPU per poll; docs/design-notes.md, "Polling").
            client = AsyncSeedanceClient(**settings.client_kwargs(), poll_grid=POLL_TICK)
            closer = _close_at_loop_shutdown(client)
            await closer.__anext__()  # now tracked by the loop's async-generator hooks
            entry = clients[settings] = (client, closer)
        return entry[0]

    def test_connection(self) -> tuple[bool, str]:
        """Check the key against the API without paying: read a prediction that cannot exist.

        401/403 means the key is wrong; any other API answer (typically 404) proves the
        server accepted the key. An empty password fails before any request.
        """
        try:
            client = self.get_conn()
        except SeedanceError as err:  # no key in the connection, or a malformed base URL
            return False, str(err)
        try:
            with client:
                client.get_prediction(_PROBE_PREDICTION_ID)
        except AuthenticationError as err:
            return False, f"The API rejected the key: {err}"
        except APIError as err:
            if err.status_code is not None and 400 <= err.status_code < 500:
                return True, "Connection successful: the API accepted the key."
            return False, f"The API could not be reached or failed: {err}"
        except SeedanceError as err:
            return False, str(err)
        return True, "Connection successful."
