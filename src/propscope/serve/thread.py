"""The app served on a loopback port from a background thread: for tests and notebooks."""

from __future__ import annotations

import socket
import threading
import time

from .app import KEEP_ALIVE, create_app
from .config import ServeConfig


class ServerThread:
    """``with ServerThread(config) as server: httpx.get(server.url + "/health")``"""

    def __init__(self, config: ServeConfig | None = None, host: str = "127.0.0.1"):
        import uvicorn
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, 0))
        self.url = f"http://{host}:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(config or ServeConfig()), log_level="warning",
                                                    lifespan="on", timeout_graceful_shutdown=5,
                                                    timeout_keep_alive=KEEP_ALIVE))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()
