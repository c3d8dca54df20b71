"""Language identification before analysis."""

from propscope.text import language

FRENCH = "Le gouvernement a annoncé hier une nouvelle réforme des retraites, vivement contestée par les syndicats."
ENGLISH = "The government announced a new pension reform yesterday, fiercely opposed by the unions."


def test_english_and_french_are_told_apart():
    assert language.guess(ENGLISH)[0] == "en"
    code, prob = language.guess(FRENCH)
    assert code == "fr" and prob > 0.9 and language.is_foreign(code, prob)
    assert language.name(code) == "French"


def test_short_text_is_not_judged():
    assert language.guess("Oui.") == ("", 0.0)
    assert not language.is_foreign("", 0.0)


def test_a_guess_less_likely_than_not_names_no_language():
    names = ("Kataib Hezbollah, Asaib Ahl al-Haq and Harakat Hezbollah al-Nujaba vowed revenge after the "
             "strike near Jurf al-Sakhar on Sunday.")
    code, prob = language.guess(names)
    assert code == "" and 0 < prob < language.MIN_PROBABILITY
