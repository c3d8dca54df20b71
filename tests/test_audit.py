"""The neutrality audit: pair lists, swapping with offset maps, and agreement with toy detectors."""

from __future__ import annotations

import json
import re

import pytest

from propscope.audit import neutrality, pairs, swap
from propscope.errors import InputError
from propscope.spans import Span

TOY_PAIRS = pairs.parse({
    "keep": ["Washington Post"],
    "pairs": [
        {"divide": "Russia/Ukraine", "forms": [
            "Russia <-> Ukraine", "Russia's <-> Ukraine's", "Russian <-> Ukrainian", "Russians <-> Ukrainians",
            "Putin <-> Zelensky", "Moscow <-> Kyiv", "Moscow <- Kiev"]},
        {"divide": "outlets", "forms": [
            "New York Times <-> Wall Street Journal", "Times <-> Journal", "Fox News <-> CNN"]},
        {"divide": "toy", "forms": ["Washington <-> Beijing", "U.S. -> Beijing", "liberal <-> conservative"]},
    ]}, "toy")


def swapped(text: str, number: int = 0) -> swap.Swapped:
    return swap.swapper(TOY_PAIRS.pairs[number], TOY_PAIRS.keep)(text)


# -- swapping ---------------------------------------------------------------------------------

def test_swaps_both_ways_in_one_pass():
    assert swapped("Russia and Ukraine").text == "Ukraine and Russia"
    assert swapped("Putin met Zelensky in Moscow.").text == "Zelensky met Putin in Kyiv."


def test_possessives_and_demonyms_take_their_own_counterpart():
    text = "Russia's army and Russians, a Russian tank"
    assert swapped(text).text == "Ukraine's army and Ukrainians, a Ukrainian tank"
    assert swapped("Russia\u2019s army").text == "Ukraine\u2019s army"


def test_whole_words_only():
    text = "Russ, Russiagate, Belarussian and URussia stay; pro-Russian does not"
    assert swapped(text).text == "Russ, Russiagate, Belarussian and URussia stay; pro-Ukrainian does not"


def test_case_as_written_plus_capitalised_and_all_caps():
    assert swapped("russia and RUSSIA").text == "russia and UKRAINE"
    assert swapped("liberal views. Liberal views", 2).text == "conservative views. Conservative views"
    # capitalised inside a sentence, a lower-case form is part of a name: "the Liberal Party" stays
    assert swapped("the Liberal Party said: \u201cLiberal hacks\u201d", 2).text == (
        "the Liberal Party said: \u201cConservative hacks\u201d")


def test_a_name_inside_a_word_after_an_apostrophe_stays():
    assert swapped("Putin flew to Putin'an; Putin's plane").text == "Zelensky flew to Putin'an; Zelensky's plane"
    assert swapped("Putin\u2019an and Putin\u2019s").text == "Putin\u2019an and Zelensky\u2019s"
    assert swapped("PUTIN'S PLANE LANDS IN MOSCOW").text == "ZELENSKY'S PLANE LANDS IN KYIV"


def test_a_form_in_capitals_anyway_takes_capitals_among_words_in_capitals():
    assert swapped("U.S. SANCTIONS BEIJING OVER TRADE", 2).text == "BEIJING SANCTIONS WASHINGTON OVER TRADE"
    assert swapped("The U.S. sanctions Beijing", 2).text == "The Beijing sanctions Washington"
    assert swapped("Funded by NIH, CDC, U.S. FDA, EPA grants", 2).text == "Funded by NIH, CDC, Beijing FDA, EPA grants"
    assert swapped("U.S. TO HIT IRAN", 2).text == "BEIJING TO HIT IRAN"                   # short words, a headline
    assert swapped("Daily briefing\nNEW SANCTIONS: U.S. HITS BANKS", 2).text == "Daily briefing\nNEW SANCTIONS: BEIJING HITS BANKS"
    assert swapped("Donors: WHO, UNICEF, GAVI, U.S. FDA", 2).text == "Donors: WHO, UNICEF, GAVI, Beijing FDA"
    assert swapped("U.S. SANCTIONS\r\nThe government said", 2).text == "BEIJING SANCTIONS\r\nThe government said"
    assert swapped("U.S.\nsaid no", 2).text == "Beijing.\nsaid no"                     # a line of the name alone


def test_a_long_text_in_capitals_is_swapped_in_linear_time():
    import time
    text = "U.S. SAYS NO TO TARIFFS. " * 8000                  # 200,000 characters, one line
    started = time.perf_counter()
    assert swapped(text, 2).text.startswith("BEIJING SAYS NO")
    assert time.perf_counter() - started < 5                    # each line judged once (20 s for 100,000 before)


def test_longest_name_wins_over_a_name_inside_it():
    text = "The New York Times and the Times; the Wall Street Journal"
    assert swapped(text, 1).text == "The Wall Street Journal and the Journal; the New York Times"


def test_keep_names_are_not_swapped():
    assert swapped("the Washington Post in Washington", 2).text == "the Washington Post in Beijing"


def test_a_full_stop_ending_an_abbreviation_is_kept_at_a_line_end():
    text = "Sanctions on the U.S.\nThe U.S. says\u201d"
    assert swapped(text, 2).text == "Sanctions on the Beijing.\nThe Beijing says\u201d"
    assert swapped("made in the U.S.", 2).text == "made in the Beijing."
    assert swapped("we fight the U.S.\u201d \nand the U.S. \n", 2).text == "we fight the Beijing.\u201d \nand the Beijing. \n"


def test_a_full_stop_ending_an_abbreviation_is_kept_before_a_word_that_opens_a_sentence():
    assert swapped("They left the U.S. Then they came back.", 2).text == "They left the Beijing. Then they came back."
    assert swapped("the U.S. \u201cThe best\u201d", 2).text == "the Beijing. \u201cThe best\u201d"
    assert swapped("the U.S. Senate voted", 2).text == "the Beijing Senate voted"   # a name goes on
    assert swapped("the U.S. then", 2).text == "the Beijing then"
    assert swapped("Judge Orders U.S. To Delay", 2).text == "Judge Orders Beijing To Delay"   # a headline
    assert swapped("Why The U.S. Still Leads The World", 2).text == "Why The Beijing Still Leads The World"
    assert swapped("Britain And The U.S. After Brexit", 2).text == "Britain And The Beijing After Brexit"


def test_us_in_capitals_is_the_pronoun_where_grammar_says_so():
    s = swap.Swapper({"US": "CHINA", "China": "US"})
    for pronoun in ["LET US PRAY", "ALL OF US KNOW IT", "GOD BLESS US ALL", "\u201cMANY OF US LIED.\u201d",
                    "THEY HATE US!", "JOIN US, PATRIOTS", "\u201cTHEY LIED TO US.\u201d", "FOLLOW US ON TWITTER",
                    "THEY HATE US BECAUSE WE ARE FREE", "JOIN US TONIGHT", "THEY LIED TO US ABOUT IRAQ",
                    "TELL US WHAT YOU THINK", "THEY HATE US\u2026"]:
        assert s(pronoun).text == pronoun
    assert s("US, EU AGREE").text == "CHINA, EU AGREE"                      # a subject: the country
    assert s("XI WARNS US OVER TAIWAN").text == "XI WARNS CHINA OVER TAIWAN"
    assert s("SANCTIONS ON THE US.").text == "SANCTIONS ON THE CHINA."
    assert s("CHINA WARNS US, EU OVER TARIFFS").text == "US WARNS CHINA, EU OVER TARIFFS"   # a headline drops "the"
    assert s("CHINA TO SANCTION US.").text == "US TO SANCTION CHINA."
    assert s("TRUMP TO JOIN US-LED COALITION").text == "TRUMP TO JOIN CHINA-LED COALITION"      # before a noun
    assert s("CHINA HELPS US ECONOMY").text == "US HELPS CHINA ECONOMY"
    assert s("PUTIN TELLS US TROOPS TO LEAVE").text == "PUTIN TELLS CHINA TROOPS TO LEAVE"
    assert s("They hate US!").text == "They hate CHINA!"                    # in a sentence, as written


def test_names_at_text_edges():
    s = swapped("Russia")
    assert s.text == "Ukraine" and s.to_original(0, 7) == (0, 6)
    s = swapped("Ukraine said no to Russia")
    assert s.text == "Russia said no to Ukraine"
    assert s.to_original(0, len(s.text)) == (0, len(s.original))
    assert s.to_original(18, 25) == (19, 25)


def test_nothing_to_swap_leaves_text_and_offsets_alone():
    s = swapped("Nothing here.")
    assert s.text == s.original and s.replacements == () and s.to_original(3, 7) == (3, 7)


# -- offset mapping ---------------------------------------------------------------------------

def test_span_around_names_maps_back_to_the_same_fragment():
    text = "Yesterday the brutal Russian regime of Putin attacked.\nA second sentence."
    s = swapped(text)
    copy_start, copy_end = s.text.index("the brutal"), s.text.index(" attacked") + len(" attacked.")
    assert s.text[copy_start:copy_end] == "the brutal Ukrainian regime of Zelensky attacked."
    start, end = s.to_original(copy_start, copy_end)
    assert text[start:end] == "the brutal Russian regime of Putin attacked."
    span = s.span_to_original(Span("9", copy_start, copy_end, "Loaded_Language", 0.7))
    assert (span.start, span.end, span.article_id, span.confidence) == (start, end, "9", 0.7)


def test_a_boundary_at_a_name_before_its_possessive_stays_there():
    # the form "Russia's" is swapped whole, but only "Russia" differs: a fragment that ends at the
    # name in the copy ends at the name in the original, not after its "'s"
    text = "blame Russia's army"
    s = swapped(text)
    assert s.text == "blame Ukraine's army"
    assert s.to_original(0, len("blame Ukraine")) == (0, len("blame Russia"))
    assert s.to_original(len("blame Ukraine'"), len(s.text)) == (len("blame Russia'"), len(text))


def test_boundary_inside_a_name_moves_to_the_whole_original_name():
    text = "ask Ukrainians now"
    s = swapped(text)
    assert s.text == "ask Russians now"
    # "ssia" of "Russians" and "Rus" of it map to all of "Ukrainians"
    assert s.to_original(6, 10) == (4, 14)
    assert s.to_original(0, 7) == (0, 14)
    assert s.to_original(7, 16) == (4, 18)


def test_to_copy_inverts_to_original():
    text = "In Moscow, Russians and Russia's friends read the Times."
    s = swapped(text)
    for word in ("In", "and", "friends", "Times."):
        start = text.index(word)
        copy = s.to_copy(start, start + len(word))
        assert s.text[slice(*copy)] == word and s.to_original(*copy) == (start, start + len(word))
    assert len(s.replacements) == 3
    for r in s.replacements:
        assert s.to_original(r.copy_start, r.copy_end) == (r.start, r.end)
        assert s.to_copy(r.start, r.end) == (r.copy_start, r.copy_end)


def test_offset_arrays_map_as_single_offsets_do():
    import numpy as np
    text = "Moscow: In Moscow, Russians and Russia's friends read the Times about Russia"
    s = swapped(text)
    assert len(s.replacements) >= 4
    every = [(a, b) for a in range(len(s.text) + 1) for b in range(a, len(s.text) + 1)]
    mapped = s.offsets_to_original(np.asarray(every, dtype=np.int64))
    assert mapped.tolist() == [list(s.to_original(a, b)) for a, b in every]
    every = [(a, b) for a in range(len(text) + 1) for b in range(a, len(text) + 1)]
    mapped = s.offsets_to_copy(np.asarray(every, dtype=np.int64))
    assert mapped.tolist() == [list(s.to_copy(a, b)) for a, b in every]
    none = swap.replaced(text, [])
    assert none.offsets_to_original(np.asarray([[3, 5]])).tolist() == [[3, 5]]


# -- the pair list ----------------------------------------------------------------------------

def test_shipped_pair_list_covers_the_divides():
    shipped = pairs.load()
    assert len(shipped) >= 30
    assert len(shipped.divides) >= 5
    for divide in ["US/Russia", "US/China", "Israel/Palestine", "Russia/Ukraine", "Democrats/Republicans",
                   "outlets"]:
        assert divide in shipped.divides
    names = {p.name for p in shipped.pairs}
    assert {"Russia / Ukraine", "Putin / Zelensky", "Moscow / Kyiv", "Fox News / CNN"} <= names


def test_shipped_forms_are_unambiguous():
    """No form is on both sides of a pair, and a form in several pairs always names the same side."""
    shipped = pairs.load()
    owner: dict[str, str] = {}
    for pair in shipped.pairs:
        side_a = {s for s, _ in pair.forward} | {t for _, t in pair.backward}
        side_b = {s for s, _ in pair.backward} | {t for _, t in pair.forward}
        assert not side_a & side_b, pair.name
        for side, forms in ((pair.a, side_a), (pair.b, side_b)):
            for form in forms:
                assert owner.setdefault(form, side) == side, (form, pair.name)
        # every form and every derived variant turns into exactly one name
        table = swap.swapper(pair, shipped.keep).table
        assert all(table[f] != f for f in pair.mapping)


@pytest.mark.parametrize("data, message", [
    ({"pairs": []}, "non-empty 'pairs'"),
    ({"pairs": [{"divide": "d", "forms": ["Russia -> Ukraine"]}]}, "must read 'A <-> B'"),
    ({"pairs": [{"divide": "d", "forms": ["Russia = Ukraine"]}]}, "should read"),
    ({"pairs": [{"divide": "d", "forms": ["Russia <-> Ukraine", "Ukraine <-> Belarus"]}]}, "on both sides"),
    ({"pairs": [{"divide": "d", "forms": ["Russia <-> Ukraine", "Russian <-> Ukraine"]}]}, "becomes both"),
    ({"pairs": [{"divide": "d", "forms": ["Russia <-> Ukraine"]},
                {"divide": "e", "forms": ["Russia <-> Ukraine", "Moscow <-> Kyiv"]}]}, "listed twice"),
    ({"pairs": [{"forms": ["Russia <-> Ukraine"]}]}, "needs a 'divide'"),
    ({"pairs": [{"divide": "d", "forms": ["Russia <-> Ukraine"]},
                {"divide": "e", "forms": ["Ukraine <-> Russia"]}]}, "listed twice (as Russia / Ukraine)"),
    ({"pairs": [{"divide": "d", "forms": ["Russia <-> Ukraine", "Moscow <- Kyiv <- Kiev"]}]}, "should read"),
    ({"pairs": [{"divide": "d", "forms": ["Russia <-> Ukraine", "Moscow -> Kyiv <-> Kiev"]}]}, "should read"),
])
def test_bad_pair_lists_are_refused_with_the_reason(data, message):
    with pytest.raises(InputError, match=re.escape(message)):
        pairs.parse(data, "mine.json")


def test_one_way_forms_and_a_name_in_two_pairs_are_fine():
    parsed = pairs.parse({"pairs": [
        {"divide": "d", "forms": ["United States <-> Russia", "U.S. -> Russia"]},
        {"divide": "e", "forms": ["Russia <-> Ukraine"]}]})
    us, ru = parsed.pairs
    assert us.mapping == {"United States": "Russia", "U.S.": "Russia", "Russia": "United States"}
    assert ru.name == "Russia / Ukraine"


def test_pair_list_file_errors(tmp_path):
    with pytest.raises(InputError, match="no such pair list"):
        pairs.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not UTF-8 JSON"):
        pairs.load(bad)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(InputError, match="nested too deep"):
        pairs.load(deep)
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"pairs": [{"divide": "d", "forms": [f"A{i} <-> B{i}" for i in range(100_000)]}]}))
    with pytest.raises(InputError, match="over 1,048,576 bytes"):
        pairs.load(huge)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"pairs": [{"divide": "d", "forms": ["Russia <-> Ukraine"]}]}), encoding="utf-8")
    assert pairs.load(good).pairs[0].name == "Russia / Ukraine"


# -- agreement with toy detectors ---------------------------------------------------------------

ARTICLES = [
    ("1", "Russia denounced the outrageous provocation by Ukraine.\n"
          "Officials in Moscow met quietly.\n"
          "The Times reported that Russians protested against disgraceful corruption.\n"),
    ("2", "Ukraine's government answered in Kyiv.\nThe weather was mild.\n"
          "Putin called it a catastrophic betrayal, the New York Times wrote.\n"),
    ("3", "Nothing about either side here, only an unbelievable catastrophe.\n"),
]


def long_words(text: str, article_id: str) -> list[Span]:
    """Side-blind: every lower-case word of eight letters or more is Loaded_Language."""
    return [Span(article_id, m.start(), m.end(), "Loaded_Language", 0.8)
            for m in re.finditer(r"\b[a-z]{8,}\b", text)]


def loaded_sentences(text: str, article_id: str) -> list[Span]:
    """Side-blind, with names inside its spans: every sentence holding a loaded word."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        if re.search(r"outrageous|disgraceful|catastroph", m.group()):
            out.append(Span(article_id, m.start(), m.end(), "Name_Calling,Labeling", 0.6))
    return out


def russia_sentences(text: str, article_id: str) -> list[Span]:
    """Side-biased: every sentence that names Russia is Loaded_Language."""
    return [Span(article_id, m.start(), m.end(), "Loaded_Language", 0.9)
            for m in re.finditer(r"[^\n]+", text) if "Russia" in m.group()]


@pytest.mark.parametrize("detect", [long_words, loaded_sentences])
def test_side_blind_detector_agrees_fully(detect):
    report = neutrality.audit(ARTICLES, TOY_PAIRS, detect=detect)
    assert (report.articles, report.named) == (3, 2)
    assert report.copies == 4        # articles 1 and 2 each name both the first and the second pair
    assert report.si.f1 == 1.0 and report.span_technique.f1 == 1.0
    assert report.unchanged == report.copies and report.changes == ()
    assert all(p.si.f1 == 1.0 and p.span_technique.f1 == 1.0 for p in report.pairs)


def test_side_biased_detector_disagrees_and_shows_what_changed():
    report = neutrality.audit(ARTICLES, TOY_PAIRS, detect=russia_sentences, top=5)
    assert report.span_technique.f1 < 1.0 and report.si.f1 < 1.0
    worst = report.pairs[0]
    assert worst.pair == "Russia / Ukraine" and worst.span_technique.f1 < 1.0
    assert worst.lost >= 1 and worst.gained >= 1
    outlets = next(p for p in report.pairs if p.pair.startswith("New York Times"))
    assert outlets.span_technique.f1 == 1.0
    change = report.changes[0]
    assert change.pair == "Russia / Ukraine" and change.shift == pytest.approx(0.9)
    assert change.original == ARTICLES[0][1][change.start:change.end]
    assert "Russia" in change.original or "Russia" in change.swapped
    assert report.near == 2 and report.far == 0 and all(c.near for c in report.changes)


def test_changes_away_from_the_names_are_told_apart():
    def moody(text, article_id):
        """Flags the last line only when the text names Ukraine anywhere."""
        last = text.rstrip("\n").rfind("\n") + 1
        return [Span(article_id, last, len(text.rstrip("\n")), "Doubt", 0.7)] if "Ukraine" in text else []
    report = neutrality.audit([("1", "Russia is near.\nFar away.\nThe end.")], TOY_PAIRS, detect=moody)
    assert report.copies == 1 and (report.near, report.far) == (0, 1) and not report.changes[0].near


def test_copies_are_one_per_article_and_pair_it_names():
    seen = []

    def spy(text, article_id):
        seen.append((article_id, text))
        return []
    report = neutrality.audit(ARTICLES, TOY_PAIRS, detect=spy)
    # article 1: Russia/Ukraine and outlets; article 2: the same two; article 3: none (not run at all)
    assert sorted(aid for aid, _ in seen) == ["1", "1", "1", "2", "2", "2"]
    assert report.copies == 4 and report.named == 2
    assert report.span_technique.f1 == 1.0      # nothing found anywhere: the names changed nothing


def test_report_table_and_json():
    report = neutrality.audit(ARTICLES, TOY_PAIRS, detect=russia_sentences, top=1)
    table = report.table()
    assert "span+technique F1" in table and "Russia / Ukraine" in table and "fragments that changed most" in table
    data = json.loads(json.dumps(report.to_dict()))
    assert data["copies"] == report.copies and data["meets_target"] is False
    assert data["pairs"][0]["pair"] == "Russia / Ukraine"
    assert len(data["changes"]) == 1 and {"before", "after", "original", "swapped", "shift"} <= set(data["changes"][0])


def test_a_figure_just_under_the_target_is_not_shown_as_reaching_it():
    assert neutrality._shown(0.94958) == "0.949" and neutrality._shown(0.94996) == "0.949"
    assert neutrality._shown(0.951) == "0.951" and neutrality._shown(0.95) == "0.950"
    assert neutrality._shown(0.93) == "0.930"


def test_no_article_names_a_side():
    report = neutrality.audit([("1", "Nothing to see.")], TOY_PAIRS, detect=long_words)
    assert report.copies == 0 and "nothing to compare" in report.table()
    assert report.to_dict()["meets_target"] is None          # nothing measured is no pass
    assert report.to_dict()["agreement"] is None               # nor any agreement


def test_a_pair_list_saved_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('\ufeff{"pairs": [{"divide": "x", "forms": ["Trump <-> Putin"]}]}', encoding="utf-8")
    assert [p.divide for p in pairs.load(path).pairs] == ["x"]


def test_audit_folder_reads_plain_and_labelled_layouts(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    for aid, text in ARTICLES:
        (plain / f"article{aid}.txt").write_text(text, encoding="utf-8")
    split = tmp_path / "split" / "articles"
    split.mkdir(parents=True)
    (split / "article1.txt").write_text(ARTICLES[0][1], encoding="utf-8")
    assert [aid for aid, _ in neutrality.read_folder(plain)] == ["1", "2", "3"]
    assert [aid for aid, _ in neutrality.read_folder(tmp_path / "split")] == ["1"]
    pair_file = tmp_path / "pairs.json"
    pair_file.write_text(json.dumps({"pairs": [{"divide": "d", "forms": ["Russia <-> Ukraine"]}]}), encoding="utf-8")
    report = neutrality.audit_folder(plain, pair_file, detect=long_words)
    assert report.copies == 2 and report.pair_list == str(pair_file)


def test_a_fragment_whose_boundary_moved_is_quoted_as_each_side_found_it():
    def shifty(text, article_id):
        """'big Russia' in the original, only 'Ukraine' in the copy."""
        if "Ukraine" in text:
            return [Span(article_id, text.index("Ukraine"), text.index("Ukraine") + 7, "Loaded_Language", 0.5)]
        at = text.index("Russia")
        return [Span(article_id, at - 4, at + 6, "Loaded_Language", 0.5)]
    report = neutrality.audit([("1", "The big Russia now.")], TOY_PAIRS, detect=shifty)
    [change] = report.changes
    assert (change.original, change.swapped, change.before, change.after) == ("big Russia", "Ukraine", 0.5, 0.5)
    assert "original: \u201cbig Russia\u201d" in report.table() and "swapped:  \u201cUkraine\u201d" in report.table()
