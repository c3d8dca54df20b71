"""propscope: find the propaganda techniques in a news article, with calibrated confidence."""

from .engine import analyze, classify
from .errors import PropscopeError
from .spans import Analysis, Span

__all__ = ["analyze", "classify", "Analysis", "Span", "PropscopeError"]
__version__ = "0.1.0"
