"""The package as installed: what a wheel carries, what ``import propscope`` offers."""

import fnmatch
import tomllib
from pathlib import Path

import propscope


def test_a_wheel_carries_every_file_the_package_reads():
    """Each file under src/propscope that is not Python is matched by the package data (the
    wheel held no py.typed, so type checkers read the package as untyped)."""
    root = Path(__file__).resolve().parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["propscope"]
    package = root / "src" / "propscope"
    files = [p.relative_to(package).as_posix() for p in package.rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert "py.typed" in files
    assert [f for f in files if not any(fnmatch.fnmatchcase(f, pattern) for pattern in patterns)] == []


def test_the_public_names_are_there():
    assert all(hasattr(propscope, name) for name in propscope.__all__)
    assert issubclass(propscope.InputError, propscope.PropscopeError)
