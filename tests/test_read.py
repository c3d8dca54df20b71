"""Tests for reading article files exactly and expanding article folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from propscope.errors import InputError
from propscope.text.read import article_files, article_id, decode, read_article


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


# ---------------------------------------------------------------- read_article

def test_leading_bom_is_kept_as_character_zero(tmp_path):
    p = write(tmp_path / "a.txt", b"\xef\xbb\xbfHello")
    text = read_article(p)
    assert text == "\ufeffHello"
    assert text.index("Hello") == 1


def test_text_is_exact(tmp_path):
    raw = "Line one\r\nLine two\n\n  caf\u00e9 \U0001F600\tend\n"
    p = write(tmp_path / "a.txt", raw)
    assert read_article(p) == raw             # no newline translation, no stripping
    assert read_article(str(p)) == raw        # str paths work too


def test_empty_file_is_empty_text(tmp_path):
    assert read_article(write(tmp_path / "a.txt", b"")) == ""


def test_missing_file(tmp_path):
    p = tmp_path / "nope.txt"
    with pytest.raises(InputError, match="no such file or folder") as info:
        read_article(p)
    assert str(p) in str(info.value)
    assert info.value.exit_code == 2


def test_directory(tmp_path):
    with pytest.raises(InputError, match="not a regular file"):
        read_article(tmp_path)


def test_binary_content(tmp_path):
    p = write(tmp_path / "a.bin", b"PK\x03\x04\x00\x00binary\x00stuff")
    with pytest.raises(InputError, match="binary") as info:
        read_article(p)
    assert str(p) in str(info.value)


def test_invalid_utf8_names_the_byte_offset(tmp_path):
    p = write(tmp_path / "a.txt", "héllo ".encode("utf-8") + b"\xff rest")   # é is 2 bytes
    with pytest.raises(InputError, match="UTF-8") as info:
        read_article(p)
    assert "offset 7" in str(info.value)


def test_latin1_file_is_refused(tmp_path):
    p = write(tmp_path / "a.txt", "caf\u00e9".encode("latin-1"))
    with pytest.raises(InputError, match="offset 3"):
        read_article(p)


def test_too_long_names_the_limit(tmp_path):
    p = write(tmp_path / "a.txt", "x" * 1500)
    with pytest.raises(InputError) as info:
        read_article(p, max_chars=1000)
    msg = str(info.value)
    assert "1,000" in msg and "1,500" in msg and "limit" in msg


def test_limit_counts_characters_not_bytes(tmp_path):
    p = write(tmp_path / "a.txt", "\u00e9" * 10)        # 20 bytes, 10 characters
    assert read_article(p, max_chars=10) == "\u00e9" * 10
    with pytest.raises(InputError):
        read_article(p, max_chars=9)


def test_limit_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "5")
    p = write(tmp_path / "a.txt", "abcdef")
    with pytest.raises(InputError, match="limit of 5"):
        read_article(p)
    assert read_article(p, max_chars=6) == "abcdef"     # the argument wins


def test_decode_bytes_directly():
    assert decode(b"\xef\xbb\xbfhi") == "\ufeffhi"
    with pytest.raises(InputError, match="<input>"):
        decode(b"\x00\x01")


# ---------------------------------------------------------------- article_files

def test_folder_prefers_article_files_sorted(tmp_path):
    for name in ["article3.txt", "article10.txt", "article1.txt", "notes.txt", "article2.md"]:
        write(tmp_path / name, "x")
    assert [p.name for p in article_files([tmp_path])] == ["article1.txt", "article10.txt", "article3.txt"]


def test_folder_without_article_files_uses_txt(tmp_path):
    for name in ["b.txt", "a.txt", "c.md"]:
        write(tmp_path / name, "x")
    assert [p.name for p in article_files([tmp_path])] == ["a.txt", "b.txt"]


def test_files_kept_as_given_and_mixed_with_folders(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    write(d / "article5.txt", "x")
    f = write(tmp_path / "zzz.md", "x")
    out = article_files([str(f), d])
    assert out == [f, d / "article5.txt"]


def test_empty_folder_raises(tmp_path):
    write(tmp_path / "readme.md", "x")
    with pytest.raises(InputError, match="no article"):
        article_files([tmp_path])


def test_missing_path_raises(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        article_files([tmp_path / "missing"])


# ---------------------------------------------------------------- article_id

@pytest.mark.parametrize("name,expected", [
    ("article123.txt", "123"),
    ("dir/article7.txt", "7"),
    ("article.txt", "article"),
    ("news.txt", "news"),
    ("my_article9.txt", "my_article9"),
    ("article111111112.txt", "111111112"),
    ("article 7.txt", "7"), (" news .txt", "news"),          # as a SemEval file's reader reads ids
])
def test_article_id(name, expected):
    assert article_id(Path(name)) == expected


@pytest.mark.parametrize("name", ["article9\tx.txt", "nl\nx.txt"])
def test_a_file_name_that_would_split_a_semeval_line_is_refused_there_only(tmp_path, name):
    from propscope.errors import InputError
    from propscope.render.semeval import lines
    from propscope.spans import Span
    from propscope.text.read import article_id
    aid = article_id(tmp_path / name)                   # JSON, CSV and the report hold it as it is
    with pytest.raises(InputError, match="holds a tab, line break or other control character"):
        lines([Span(aid, 0, 4, "Doubt")])
    assert lines([Span(article_id(tmp_path / "article9.txt"), 0, 4, "Doubt")]) == "9\tDoubt\t0\t4\n"
