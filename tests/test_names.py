"""Name blinding: which words are names, runs of names, the placeholder text and its offsets."""

from hypothesis import given
from hypothesis import strategies as st

from propscope.model.names import DISTINCT, PLACEHOLDER, blind, common_words, is_name, load, name_runs, save, sentence_start

TEXTS = [
    "The minister said the plan would work. However, the minister was wrong.",
    "Critics say the plan is a disaster. the plan, they say, will fail; however it is sold, however cheap.",
    "Officials in Moscow met officials from Beijing. The officials agreed.",
    "They told us the plan failed; they told us it failed.",
]
COMMON = common_words(TEXTS)


def test_common_words_are_written_in_lower_case_inside_sentences():
    assert {"the", "plan", "minister", "however", "officials"} <= COMMON
    assert "moscow" not in COMMON and "beijing" not in COMMON
    # written once only: not enough to call it common
    assert "disaster" not in common_words(TEXTS, min_count=2) and "disaster" in common_words(TEXTS, min_count=1)


def test_a_word_capitalised_inside_sentences_more_than_twice_as_often_as_not_is_a_name():
    texts = ["He met the Judge. The Judge agreed with Judge Smith, a judge."]
    assert "judge" not in common_words(texts, min_count=1)
    assert "judge" in common_words(texts + ["a judge, the judge"], min_count=1)


def test_sentence_starts():
    text = 'One. "Two" (Three)\nFour: Five and Six'
    for word, start in [("One", True), ("Two", True), ("Three", False), ("Four", True), ("Five", True),
                        ("Six", False)]:
        assert sentence_start(text, text.index(word)) is start, word


def test_names():
    assert is_name("Moscow", COMMON) and is_name("U.S.", COMMON) and is_name("NATO", COMMON)
    assert not is_name("However", COMMON) and not is_name("THE", COMMON) and not is_name("moscow", COMMON)
    assert not is_name("I", COMMON) and not is_name("A", COMMON)


def test_runs_of_names_join_across_single_spaces_only():
    text = "Vladimir Putin met Xi Jinping.\nMoscow Beijing, Paris  London"
    runs = [text[s:e] for s, e in name_runs(text, COMMON)]
    assert runs == ["Vladimir Putin", "Xi Jinping", "Moscow Beijing", "Paris", "London"]


def test_blinded_text_and_offsets_back():
    text = "U.S. officials said Russia’s plan, by Vladimir Putin, failed. The officials blame Moscow"
    b = blind(text, COMMON)
    assert b.text == f"{PLACEHOLDER} officials said {PLACEHOLDER}’s plan, by {PLACEHOLDER}, failed. The officials blame {PLACEHOLDER}"
    at = b.text.index("plan")
    assert b.to_original(at, at + 4) == (text.index("plan"), text.index("plan") + 4)
    # the placeholder maps back to the whole name, at the start and at the end of the text
    assert b.to_original(0, 1) == (0, len("U.S."))
    end = len(b.text)
    assert b.to_original(end - 1, end) == (len(text) - len("Moscow"), len(text))
    third = b.text.index(f"by {PLACEHOLDER}") + 3
    assert text[slice(*b.to_original(third, third + 1))] == "Vladimir Putin"
    assert b.to_original(0, end) == (0, len(text))


def test_no_names_no_change():
    text = "the plan, however, was a disaster."
    b = blind(text, COMMON)
    assert b.text == text and b.replacements == ()


NAMES = ["Moscow", "Beijing", "Vladimir Putin", "Xi Jinping", "NATO", "U.S.", "Kyiv"]


@given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_swapping_names_leaves_the_blinded_text_unchanged(names, rnd):
    template = " ".join(f"the officials of {{{i}}} said the plan would fail." for i in range(len(names)))
    other = [rnd.choice(NAMES) for _ in names]
    a, b = blind(template.format(*names), COMMON), blind(template.format(*other), COMMON)
    assert a.text == b.text


@given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_swapping_names_for_each_other_leaves_a_reading_of_distinct_placeholders_unchanged(names, rnd):
    template = " ".join(f"the officials of {{{i}}} said the plan would fail." for i in range(len(names)))
    shuffled = rnd.sample(NAMES, len(NAMES))
    swap = dict(zip(NAMES, shuffled))          # each name for another, as an audit swaps sides
    a = blind(template.format(*names), COMMON, DISTINCT)
    b = blind(template.format(*[swap[n] for n in names]), COMMON, DISTINCT)
    assert a.text == b.text


def test_distinct_placeholders_tell_names_apart_in_order_of_first_appearance():
    text = "Moscow blames Kyiv. Kyiv blames Moscow, and Vladimir\u00a0Putin blames Vladimir Putin."
    b = blind(text, COMMON, DISTINCT)
    one, two, three = DISTINCT[:3]
    # the same name (spaces aside) reads as the same word, a new one as the next
    assert b.text == f"{one} blames {two}. {two} blames {one}, and {three} blames {three}."
    start = b.text.rindex(three)
    assert text[slice(*b.to_original(start, start + len(three)))] == "Vladimir Putin"
    # beyond the list, the words come round again
    many = " ".join(f"Name{chr(65 + i)} spoke." for i in range(len(DISTINCT) + 1))
    assert blind(many, COMMON, DISTINCT).text.split()[-2] == DISTINCT[0]
    # one placeholder: every name alike, as a model trained blind reads them
    assert blind(text, COMMON).text.count(PLACEHOLDER) == 6


def test_a_name_with_its_accents_written_apart_is_the_same_whole_name():
    import unicodedata
    text = "\u00c0 la carte, Atw\u00e1n said the great Ir\u00e1k and \u00c9lys\u00e9e stood with Ir\u00e1k."
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    one, two, three = DISTINCT[:3]
    expected = f"\u00c0 la carte, {one} said the great {two} and {three} stood with {two}."
    assert blind(text, COMMON, DISTINCT).text == expected
    assert blind(decomposed, COMMON, DISTINCT).text == unicodedata.normalize("NFD", expected)   # not "Alphan ... Betak"


def test_a_name_ending_a_line_leaves_the_full_stop_outside():
    for ending in ("\nThe officials agreed.", ""):
        a = blind("The officials blame the U.S." + ending, COMMON)
        b = blind("The officials blame the Kremlin." + ending, COMMON)
        assert a.text == b.text == f"The officials blame the {PLACEHOLDER}." + ending
    assert blind("U.S. officials agreed.", COMMON).text.startswith(f"{PLACEHOLDER} officials")


def test_save_and_load(tmp_path):
    assert load(tmp_path) is None
    save(COMMON, tmp_path)
    assert load(tmp_path) == COMMON


def runs(text: str) -> list[str]:
    return [text[s:e] for s, e in name_runs(text, COMMON)]


def test_capitalised_words_around_a_name_join_its_run():
    assert runs("Officials of the White House and the New York Times met.") == ["White House", "New York Times"]
    assert runs("The Kremlin said so. The White House said so.") == ["The Kremlin", "The White House"]
    assert runs("President Donald J. Trump met officials.") == ["President Donald J. Trump"]


def test_acronyms_in_capitals_are_names_unless_the_text_shouts():
    assert runs("the officials of the US said the plan failed") == ["US"]
    assert runs("the plan was a disaster, US officials said") == ["US"]
    assert runs("THEY TOLD US THE PLAN FAILED") == []


def test_headlines_in_title_case_keep_their_other_words():
    text = "The Officials Told Us The Moscow Plan Failed\nthey told us The Moscow Plan failed"
    assert runs(text) == ["Moscow", "The Moscow Plan"]
