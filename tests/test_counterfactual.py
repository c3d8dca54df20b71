"""Counterfactual training copies: sides swapped, gold spans moved with the text."""

from propscope.audit.pairs import parse
from propscope.spans import Span
from propscope.train.counterfactual import swapped_copies
from propscope.train.data import Article

PAIRS = parse({"pairs": [{"divide": "US/Russia", "forms": ["United States <-> Russia", "Russia's <-> America's"]},
                         {"divide": "Held", "forms": ["Alpha <-> Beta"]}]})
TEXT = "Russia's corrupt leaders lie. The United States stands tall. Alpha is calm."


def article():
    c = TEXT.index("corrupt leaders")
    t = TEXT.index("stands tall")
    return Article("1", TEXT, (Span("1", c, c + 15, "Loaded_Language"), Span("1", 0, t + 11, "Doubt")))


def test_spans_follow_the_swapped_text():
    [copy], replaced = swapped_copies([article()], PAIRS, share=1.0, seed=1, hold_out=("Held",))
    assert replaced == 1
    assert copy.text == "America's corrupt leaders lie. The Russia stands tall. Alpha is calm."
    fragments = [copy.text[s.start:s.end] for s in copy.spans]
    assert fragments == ["corrupt leaders", "America's corrupt leaders lie. The Russia stands tall"]
    assert [s.technique for s in copy.spans] == ["Loaded_Language", "Doubt"]


def test_share_zero_and_held_out_divides_change_nothing():
    assert swapped_copies([article()], PAIRS, share=0.0, seed=1) == ([article()], 0)
    calm = Article("2", "Alpha is calm.", ())
    assert swapped_copies([calm], PAIRS, share=1.0, seed=1, hold_out=("Held",)) == ([calm], 0)
