"""Every user-facing error, with a message a person can act on."""

from __future__ import annotations


class PropscopeError(Exception):
    """An error to show the user as one line, with a non-zero exit."""

    exit_code = 1


class InputError(PropscopeError):
    """The input cannot be analysed (missing, unreadable, not text, too large)."""

    exit_code = 2


class TooLarge(InputError):
    """An article, or a page, over its length limit (``limit`` characters, the ``setting``'s)."""

    def __init__(self, message: str, limit: int, setting: str = "PROPSCOPE_MAX_CHARS"):
        super().__init__(message)
        self.limit, self.setting = limit, setting


class NoCorpus(InputError):
    """There is no corpus to read: no store, or no analyses in it by the model asked for."""


class StoreBusy(PropscopeError):
    """The corpus store is locked by another program for longer than propscope waits."""


class ExtraMissing(PropscopeError):
    """An optional part of propscope is not installed."""


def extra_missing(what: str, extra: str, package: str) -> ExtraMissing:
    return ExtraMissing(f"{what} needs {package}: pip install 'propscope[{extra}]'")


def no_store(where: object | None) -> NoCorpus:
    if not where:
        return NoCorpus("no corpus is set: make one with 'propscope ingest' and name it with PROPSCOPE_DB")
    return NoCorpus(f"no corpus at {where}: make one with 'propscope ingest' (PROPSCOPE_DB names the store)")


class ModelError(PropscopeError):
    """The model files are missing or damaged."""

    exit_code = 3


def not_found(path: object) -> InputError:
    return InputError(f"{path}: no such file or folder")


def not_a_file(path: object) -> InputError:
    return InputError(f"{path}: not a regular file")


def unreadable(path: object, reason: str) -> InputError:
    return InputError(f"{path}: cannot be read ({reason})")


def unwritable(path: object, reason: str) -> InputError:
    return InputError(f"{path}: cannot write ({reason})")


def binary(path: object) -> InputError:
    return InputError(f"{path}: looks like a binary file, not text; give a UTF-8 text article")


def not_utf8(path: object, position: int) -> InputError:
    return InputError(f"{path}: not valid UTF-8 (first bad byte at offset {position}); "
                      "convert it to UTF-8 first, e.g. with iconv")


def too_large(path: object, size: int, limit: int) -> TooLarge:
    return TooLarge(f"{path}: {size:,} characters is over the limit of {limit:,} characters per article; "
                    "split it, or raise the limit with PROPSCOPE_MAX_CHARS", limit)


def page_too_large(path: object, size: int, limit: int) -> TooLarge:
    return TooLarge(f"{path}: {size:,} characters of HTML is over the limit of {limit:,} for a page; "
                    "raise it with PROPSCOPE_FETCH_MAX_BYTES", limit, "PROPSCOPE_FETCH_MAX_BYTES")


def not_unicode(path: object, text: str, at: int) -> InputError:
    return InputError(f"{path}: not valid Unicode text (a lone surrogate, U+{ord(text[at]):04X}, at character "
                      f"{at:,}, as a JSON \\u escape can hold); send the text as UTF-8")


def no_articles(path: object) -> InputError:
    return InputError(f"{path}: folder holds no article*.txt or *.txt files")


def bad_span_file(path: object, detail: str) -> InputError:
    return InputError(f"{path}: {detail}")


def bad_split(root: object, detail: str) -> InputError:
    """A folder given as a labelled split (evaluate, train) that cannot be one."""
    return InputError(f"{root}: {detail}")


class FetchError(InputError):
    """A URL could not be fetched, or was refused; ``limit`` (setting, value) where a limit refused it."""

    limit: tuple[str, int] | None = None


class RefusedAddress(FetchError):
    """A URL refused for the address it resolves to; ``unnamed`` says so without the address, for
    someone who should not learn how this machine's network names resolve."""

    def __init__(self, message: str, unnamed: str):
        super().__init__(message)
        self.unnamed = unnamed


def refused_address(url: object, address: str) -> FetchError:
    said = ("a private, loopback or link-local address; to fetch from your own network, allow private "
            "addresses (--allow-private; for the server, PROPSCOPE_SERVE_ALLOW_PRIVATE=1)")
    return RefusedAddress(f"{url}: refused, it resolves to {address}, {said}",
                          f"{url}: refused, it resolves to a private, loopback or link-local address, which this "
                          "server does not fetch (its operator can allow them: PROPSCOPE_SERVE_ALLOW_PRIVATE=1)")


def unreachable(url: object, reason: str, limit: tuple[str, int] | None = None) -> FetchError:
    error = FetchError(f"{url}: cannot be fetched ({reason}); check the address and your connection, "
                       "or save the page and analyse the file")
    error.limit = limit
    return error


def no_article_text(where: object) -> InputError:
    return InputError(f"{where}: no article text found in this HTML page; "
                      "save the article's text to a .txt file and analyse that")


def too_many_elements(where: object, most: int) -> InputError:
    return InputError(f"{where}: the page has more than {most:,} elements, far more than an article's page; "
                      "save the article's text to a .txt file and analyse that")


def not_english(where: object, language: str, probability: float) -> InputError:
    return InputError(f"{where}: looks like {language} ({probability:.0%} sure), and the model knows English "
                      "news only; to analyse it anyway, allow any language (--any-language; in the API, \"any_language\": true; "
                      "in Python, any_language=True)")
