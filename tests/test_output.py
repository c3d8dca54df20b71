import os
import stat
from pathlib import Path

import pytest

from propscope.errors import InputError
from propscope.output import atomic, files_in, refuse_overwriting


def test_a_file_is_replaced_whole_keeping_its_mode(tmp_path):
    target = tmp_path / "private.json"
    target.write_text("old")
    target.chmod(0o600)
    with atomic(target, "w") as f:
        f.write("new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic(target, "w") as f:
            f.write("half")
            raise RuntimeError("stopped")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_link_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "target.csv").write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to("target.csv")
    with atomic(link, "w") as f:
        f.write("new")
    assert link.is_symlink() and (tmp_path / "target.csv").read_text() == "new"


def test_an_output_is_refused_only_when_it_is_read(tmp_path):
    folder = tmp_path / "arts"
    folder.mkdir()
    (folder / "article1.txt").write_text("text")
    read = files_in([folder], ("*.txt",))
    assert read == [folder / "article1.txt"]
    with pytest.raises(InputError, match="is also an input"):
        refuse_overwriting(folder / "article1.txt", read)
    with pytest.raises(InputError, match="is also an input"):       # the same file by another name
        os.link(folder / "article1.txt", tmp_path / "again.txt")
        refuse_overwriting(tmp_path / "again.txt", read)
    refuse_overwriting(folder / "results.csv", read)                 # new: not read
    (folder / "notes.md").write_text("x")
    refuse_overwriting(folder / "notes.md", read)                    # there, but not among what is read
    refuse_overwriting(None, read)
    assert Path(folder / "article1.txt").read_text() == "text"
