"""A throwaway PostgreSQL server on loopback for the corpus tests.

Uses the PostgreSQL binaries found on PATH or in /usr/lib/postgresql/*/bin (Debian's
``postgresql`` package). PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` user (or ``nobody``). Tests that need it skip, saying why, when no binaries exist.

conftest.py makes its fixtures everyone's: ``postgres``, the running server (one per session),
and ``db_url``, a fresh store on each backend.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def bindir() -> Path | None:
    """A folder holding initdb, pg_ctl and postgres, or None."""
    found = shutil.which("pg_ctl")
    candidates = ([Path(found).parent] if found else []) + [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return next((d for d in candidates if all((d / b).exists() for b in ("initdb", "pg_ctl", "postgres"))), None)


def _runner() -> tuple[list[str], int | None]:
    """Command prefix and uid to run the server as: ourselves, or as root a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], uid
    pytest.skip("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        bins = bindir()
        if bins is None:
            pytest.skip("no PostgreSQL binaries (initdb, pg_ctl, postgres): install Debian's postgresql package")
        pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'propscope[corpus]'")
        prefix, uid = _runner()
        self.dir = Path(tempfile.mkdtemp(prefix="propscope-pg-"))   # not under pytest's root-only tmp
        if uid is not None:
            os.chown(self.dir, uid, -1)
        self.prefix, self.bins, self.port = prefix, bins, _free_port()
        data = self.dir / "data"
        self._run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self._run("pg_ctl", "-D", data, "-l", self.dir / "log", "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -F", "start")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, tool: str, *args) -> None:
        result = subprocess.run([*self.prefix, str(self.bins / tool), *map(str, args)],
                                capture_output=True, text=True, cwd=self.dir)
        if result.returncode != 0:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            raise RuntimeError(f"{tool} failed: {result.stderr}{result.stdout}{log}")

    def database(self) -> str:
        """A fresh, empty database's URL."""
        import psycopg
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"{self.url}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"{self.url}/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.dir / "data", "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


_server: Server | None = None


def shared_server() -> Server:
    """One server for the whole test session, stopped when the session ends."""
    global _server
    if _server is None:
        import atexit
        _server = Server()
        atexit.register(_server.stop)
    return _server


@pytest.fixture(scope="session")
def postgres() -> Server:
    """The running Server, shared by the whole session (skips when PostgreSQL cannot be started here)."""
    return shared_server()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh store URL on each backend: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "corpus.db")
    return request.getfixturevalue("postgres").database()
