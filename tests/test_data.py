import json
import re
import shutil

import pytest

from propscope.errors import InputError
from propscope.spans import Span
from propscope.train.data import data_hash, fold_of, load_semeval2021, load_split, split


def write_split(root, labels="1\tSlogans\t0\t5\n1\tDoubt\t6\t11\n"):
    (root / "articles").mkdir(parents=True)
    (root / "train-labels-task-flc-tc").mkdir()
    (root / "articles" / "article1.txt").write_text("\ufeffHello world\n", encoding="utf-8")
    (root / "articles" / "article2.txt").write_text("No labels here.\n", encoding="utf-8")
    (root / "train-labels-task-flc-tc" / "article1.task-flc-tc.labels").write_text(labels)
    return root


def test_a_byte_order_mark_before_the_first_label_line_is_not_part_of_the_id(tmp_path):
    root = write_split(tmp_path / "d")
    (root / "train-labels-task-flc-tc" / "article1.task-flc-tc.labels").write_text("\ufeff1\tSlogans\t0\t5\n")
    assert {a.article_id: a.spans for a in load_split(root)}["1"] == (Span("1", 0, 5, "Slogans"),)


def test_load_split_keeps_bom_and_reads_gold(tmp_path):
    arts = {a.article_id: a for a in load_split(write_split(tmp_path / "d"))}
    assert arts["1"].text.startswith("\ufeff")
    assert arts["1"].spans == (Span("1", 0, 5, "Slogans"), Span("1", 6, 11, "Doubt"))
    assert arts["2"].spans == ()


def test_folds_are_stable_and_partition(tmp_path):
    arts = load_split(write_split(tmp_path / "d"))
    assert fold_of("111111111", 5) == fold_of("111111111", 5)
    for k in range(5):
        train, held = split(arts, k, 5)
        assert sorted(a.article_id for a in train + held) == ["1", "2"]
        assert not {a.article_id for a in train} & {a.article_id for a in held}


def test_data_hash_sees_labels(tmp_path):
    a = data_hash(load_split(write_split(tmp_path / "a")))
    b = data_hash(load_split(write_split(tmp_path / "b", labels="1\tSlogans\t0\t5\n")))
    assert a != b and a == data_hash(load_split(tmp_path / "a"))


def test_semeval2021_memes_map_to_ptc(tmp_path):
    rec = {"id": "7", "text": "WAKE UP AMERICA! Crooked liars.",
           "labels": [{"start": 0, "end": 15, "technique": "Slogans", "text_fragment": "WAKE UP AMERICA"},
                      {"start": 17, "end": 30, "technique": "Smears", "text_fragment": "Crooked liars"},
                      {"start": 0, "end": 15, "technique": "Bandwagon", "text_fragment": "WAKE UP AMERICA"}]}
    (tmp_path / "training_set_task2.txt").write_text(json.dumps([rec]))
    (tmp_path / "test_set_task2.txt").write_text(json.dumps([rec]))     # the same meme twice
    (art,) = load_semeval2021(tmp_path)
    assert {(s.start, s.end, s.technique) for s in art.spans} == {
        (0, 15, "Slogans"), (0, 15, "Bandwagon,Reductio_ad_hitlerum"), (17, 30, "")}


@pytest.mark.parametrize("damage, message", [
    (lambda root: shutil.rmtree(root / "articles"), "no articles/article*.txt files"),
    (lambda root: shutil.rmtree(root / "train-labels-task-flc-tc"), "no labels"),
    (lambda root: (root / "train-labels-task-flc-tc" / "x.labels").write_text("1\tSlogans\t0\t99\n"),
     "x.labels) ends past its 13 characters"),
    (lambda root: (root / "train-labels-task-flc-tc" / "x.labels").write_text(
        (root / "train-labels-task-flc-tc" / "article1.task-flc-tc.labels").read_text()),
     "article 1 Slogans 0-5 is labelled twice (also in "),
    (lambda root: (root / "train-labels-task-flc-tc" / "x.labels").write_text("3\tSlogans\t0\t2\n"),
     "labels name article 3, which is not under articles/"),
    (lambda root: (root / "train-labels-task-flc-tc" / "x.labels").write_text("1\tSlogans\tzero\t2\n"),
     "x.labels:1: malformed line"),
    (lambda root: (root / "train-labels-task-flc-tc" / "x.labels").write_bytes(b"1\tSlogans\t0\t2\n\xff\n"),
     "not valid UTF-8"),
    (lambda root: (shutil.rmtree(root / "train-labels-task-flc-tc"),
                   (root / "train-labels-task-flc-tc").write_text("a file, not the folder")), "no labels"),
    (lambda root: [p.unlink() for p in (root / "train-labels-task-flc-tc").iterdir()],
     "no labels (train-labels-task-flc-tc/ holds no .labels files)"),
    (lambda root: (root / "train-labels-task-flc-tc" / "x.labels").write_text("1\t0\t2\n"),
     "article 1 0-2: 'no technique' is not one of the 14 techniques"),
    (lambda root: (root / "train-labels-task-flc-tc" / "x.labels").write_text("1\tSlogan\t0\t2\n"),
     "article 1 0-2: 'Slogan' is not one of the 14 techniques"),
    (lambda root: [p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n")) for p in (root / "articles").iterdir()],
     "has Windows line endings"),
])
def test_a_damaged_split_is_refused_with_what_is_wrong(tmp_path, damage, message):
    root = write_split(tmp_path / "d")
    damage(root)
    with pytest.raises(InputError, match=re.escape(message)):
        load_split(root)


@pytest.mark.parametrize("content, message", [
    ("{", "not valid JSON"),
    ('[{"id": "1", "text": "Liars!", "labels": [{"start": 0, "end": 5, "technique": "Made up"}]}]',
     "unknown technique 'Made up'"),
    ('[{"id": "1", "text": "Liars!", "labels": [{"start": 0, "end": 50, "technique": "Smears"}]}]',
     "ends past its text"),
    ('[{"id": "1", "labels": []}]', "needs id, text and labels"),
])
def test_a_damaged_semeval2021_file_is_refused_with_what_is_wrong(tmp_path, content, message):
    (tmp_path / "training_set_task2.txt").write_text(content)
    with pytest.raises(InputError, match=re.escape(message)):
        load_semeval2021(tmp_path)


def test_a_folder_without_semeval2021_files_is_refused(tmp_path):
    with pytest.raises(InputError, match="no \\*_task2.txt files"):
        load_semeval2021(tmp_path)
