"""propscope: find the propaganda techniques in a news article, with calibrated confidence."""

import os

# onnxruntime's own builds (1.32 on Linux, macOS, Windows) send usage events to Microsoft and keep a
# device id and an event queue in ~/.cache/Microsoft unless this is set before it starts: propscope
# runs offline, on articles its users may not want anyone to know they read
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")     # and Ray's, for a cluster that batch starts itself

from .engine import analyze, classify
from .errors import InputError, PropscopeError
from .spans import Analysis, Span

__all__ = ["analyze", "classify", "Analysis", "Span", "PropscopeError", "InputError"]
__version__ = "0.1.0"
