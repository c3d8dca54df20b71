"""The server's settings, read once from the environment into one frozen object."""

from __future__ import annotations

from dataclasses import dataclass

from .. import settings
from ..errors import PropscopeError

_get, _int = settings.get, settings.get_int


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body: int = 4_000_000       # bytes
    max_chars: int = 200_000        # characters of article text
    timeout: float = 60.0           # seconds per request
    queue: int = 64                 # requests waiting for the model while it analyses one, per process
    token: str = ""
    cors_origins: tuple[str, ...] = ()
    allow_private: bool = False
    db: str = ""                    # the corpus whose charts the page shows; empty: none

    @classmethod
    def from_env(cls) -> ServeConfig:
        port = _int("serve_port")           # 0 to 65535, as the setting says
        given = _get("serve_token")
        token = given.strip()
        if given and not token:
            raise PropscopeError(f"{settings.SETTINGS['serve_token'].env} is only spaces: give a token, or leave it "
                                 "unset for none")
        if not token.isascii() or not token.isprintable():
            raise PropscopeError(f"{settings.SETTINGS['serve_token'].env} holds characters an HTTP header cannot "
                                 "carry as they are: use printable ASCII")
        return cls(host=_get("serve_host").strip() or settings.SETTINGS["serve_host"].default, port=port,
                   workers=_int("serve_workers"),
                   max_body=_int("serve_max_body"), max_chars=_int("serve_max_chars"),
                   timeout=float(_int("serve_timeout")), queue=_int("serve_queue"),
                   token=token,
                   cors_origins=tuple(o.strip() for o in _get("serve_cors_origins").split(",") if o.strip()),
                   allow_private=settings.get_bool("serve_allow_private"),
                   db=_get("db"))
