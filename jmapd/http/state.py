"""What the HTTP endpoints share, and the authentication every endpoint but discovery requires."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from store.records import User

from ..config import Config
from ..methods.services import Server
from ..protocol.engine import Engine
from ..push import Broadcaster
from .auth import CHALLENGE, Authenticator
from .limits import ConcurrencyLimit
from .urls import UrlBuilder


@dataclass
class AppState:
    config: Config
    server: Server
    engine: Engine
    auth: Authenticator
    urls: UrlBuilder
    api_slots: ConcurrencyLimit
    upload_slots: ConcurrencyLimit
    push: Broadcaster


def app_state(conn: HTTPConnection) -> AppState:
    return conn.app.state.jmapd


async def require_user(conn: HTTPConnection) -> User:
    user = await app_state(conn).auth.authenticate(conn)
    if user is None:
        raise HTTPException(401, "Authentication required: HTTP Basic or a Bearer token.",
                            headers={"WWW-Authenticate": CHALLENGE})
    return user
