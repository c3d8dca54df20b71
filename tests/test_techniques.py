"""The technique catalogue and its SemEval-2023 mapping."""

import re

import pytest

from propscope.techniques import (CATALOGUE, FROM_SEMEVAL2023, NAMES, SEMEVAL2023, SEMEVAL2023_GROUPS,
                                  TO_SEMEVAL2023, lookup)


def test_fourteen_techniques_each_fully_described():
    assert len(CATALOGUE) == 14 and len(set(NAMES)) == 14
    for t in CATALOGUE:
        assert t.label and t.definition.endswith(".") and t.example
        assert re.fullmatch(r"#[0-9a-f]{6}", t.colour)
    assert len({t.colour for t in CATALOGUE}) == 14


def test_semeval2023_has_23_techniques_in_6_groups():
    assert len(SEMEVAL2023) == 23 and len(set(SEMEVAL2023)) == 23 and len(SEMEVAL2023_GROUPS) == 6


def test_every_ptc_technique_maps_into_semeval2023_and_back():
    for name, targets in TO_SEMEVAL2023.items():
        assert targets and all(t in SEMEVAL2023 for t in targets)
        assert all(FROM_SEMEVAL2023[t] == name for t in targets)
    unmapped = {n for n, ptc in FROM_SEMEVAL2023.items() if ptc is None}
    assert unmapped == {"Appeal_to_Hypocrisy", "Questioning_the_Reputation", "Appeal_to_Values",
                        "Consequential_Oversimplification", "Appeal_to_Time", "Obfuscation-Vagueness-Confusion"}
    assert FROM_SEMEVAL2023["Doubt"] == "Doubt"          # the 2023 label is Doubt, as in the PTC


@pytest.mark.parametrize("given,name", [("Slogans", "Slogans"), ("loaded language", "Loaded_Language"),
                                        ("Straw_Man", "Whataboutism,Straw_Men,Red_Herring"),
                                        ("False_Dilemma-No_Choice", "Black-and-White_Fallacy")])
def test_lookup_by_name_label_or_2023_name(given, name):
    assert lookup(given).name == name


def test_unknown_technique_raises():
    with pytest.raises(KeyError):
        lookup("Appeal_to_Time")
