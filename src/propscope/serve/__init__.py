"""``propscope serve``: the HTTP API and the web page (needs the ``serve`` extra)."""

from .app import create_app, run

__all__ = ["create_app", "run"]
