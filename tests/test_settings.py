from pathlib import Path

import pytest

from propscope import settings
from propscope.errors import PropscopeError

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(settings.SETTINGS))
def test_every_setting_is_documented_in_the_readme(name):
    s = settings.SETTINGS[name]
    rows = [line for line in README.splitlines() if line.startswith(f"| `{s.env}` |")]
    assert len(rows) == 1, f"{s.env} needs one row in the README's settings table"
    assert s.help in rows[0]


def test_environment_overrides_default(monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "123")
    assert settings.get_int("max_chars") == 123


def test_bad_number_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PROPSCOPE_THREADS", "many")
    with pytest.raises(PropscopeError, match="PROPSCOPE_THREADS"):
        settings.get_int("threads")


@pytest.mark.parametrize("value, expected", [("1", True), ("0", False), ("yes", True), (" False ", False)])
def test_a_switch_reads_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("PROPSCOPE_BLIND_NAMES", value)
    assert settings.get_bool("blind_names") is expected


def test_a_switch_set_to_something_else_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PROPSCOPE_SERVE_ALLOW_PRIVATE", "maybe")
    with pytest.raises(PropscopeError, match=r"PROPSCOPE_SERVE_ALLOW_PRIVATE='maybe' should be 1 or 0"):
        settings.get_bool("serve_allow_private")


def test_check_reads_every_number_and_switch(monkeypatch):
    settings.check()
    monkeypatch.setenv("PROPSCOPE_FETCH_TIMEOUT", "soon")
    with pytest.raises(PropscopeError, match="PROPSCOPE_FETCH_TIMEOUT='soon' is not a whole number"):
        settings.check()
    monkeypatch.setenv("PROPSCOPE_FETCH_TIMEOUT", "15")
    monkeypatch.setenv("PROPSCOPE_SERVE_PORT", "70000")
    with pytest.raises(PropscopeError, match="PROPSCOPE_SERVE_PORT=70000 should be at most 65,535"):
        settings.check()
    monkeypatch.setenv("PROPSCOPE_SERVE_PORT", "65535")         # the maximum itself is allowed
    settings.check()
    monkeypatch.setenv("PROPSCOPE_SERVE_ALLOW_PRIVATE", "maybe")
    with pytest.raises(PropscopeError, match="PROPSCOPE_SERVE_ALLOW_PRIVATE='maybe' should be 1 or 0"):
        settings.check()


def test_the_server_fetches_private_addresses_only_when_set(monkeypatch):
    from propscope.serve.config import ServeConfig
    monkeypatch.delenv("PROPSCOPE_SERVE_ALLOW_PRIVATE", raising=False)
    assert ServeConfig.from_env().allow_private is False
    monkeypatch.setenv("PROPSCOPE_SERVE_ALLOW_PRIVATE", "1")
    assert ServeConfig.from_env().allow_private is True


def test_a_blank_host_is_the_default_loopback_address(monkeypatch):
    from propscope.serve.config import ServeConfig
    monkeypatch.setenv("PROPSCOPE_SERVE_HOST", " ")
    assert ServeConfig.from_env().host == "127.0.0.1"


def test_a_number_below_its_least_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "-1")
    with pytest.raises(PropscopeError, match=r"PROPSCOPE_MAX_CHARS=-1 should be at least 1"):
        settings.get_int("max_chars")
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "1")
    assert settings.get_int("max_chars") == 1
