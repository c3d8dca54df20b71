"""The technique catalogue: the 14 techniques of the Propaganda Techniques Corpus.

Names are spelled exactly as in the PTC release (they are the SemEval output labels).
Everything that needs a technique's name, definition, example or colour reads it from here,
as does the mapping to the 23 techniques of SemEval-2023 Task 3. Definitions and examples
are the project's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Technique:
    name: str          # exact PTC spelling, used in SemEval output
    label: str         # a readable name for people
    definition: str    # plain language, written by the project
    colour: str        # hex colour for reports
    example: str       # a made-up sentence using the technique, written by the project
    semeval2023: tuple[str, ...]   # the SemEval-2023 Task 3 techniques it corresponds to


CATALOGUE: tuple[Technique, ...] = (
    Technique("Appeal_to_Authority", "Appeal to authority",
              "Claims something is true because an authority or expert said so, without other evidence; "
              "also when the person quoted is no authority at all (a testimonial).",
              "#1f77b4",
              "The plan will work: the country's leading economists have said so.",
              ('Appeal_to_Authority',)),
    Technique("Appeal_to_fear-prejudice", "Appeal to fear or prejudice",
              "Builds support by stirring anxiety, panic or prejudice against an alternative or a group.",
              "#d62728",
              'If this bill passes, our streets will be overrun within a year.',
              ('Appeal_to_Fear-Prejudice',)),
    Technique("Bandwagon,Reductio_ad_hitlerum", "Bandwagon / Reductio ad Hitlerum",
              "Urges joining in because 'everyone' does, or rejects an idea because a hated group favours it.",
              "#8c564b",
              'Millions have already switched, so why are you waiting?',
              ('Appeal_to_Popularity', 'Guilt_by_Association')),
    Technique("Black-and-White_Fallacy", "Black-and-white fallacy",
              "Presents two options as the only ones possible when more exist; at its extreme, tells the "
              "audience exactly what to do, as if there were no other choice.",
              "#7f7f7f",
              'Either you support the new law or you want criminals to walk free.',
              ('False_Dilemma-No_Choice',)),
    Technique("Causal_Oversimplification", "Causal oversimplification",
              "Gives a single cause for an issue that has several, or puts all the blame on one person or group.",
              "#bcbd22",
              'Prices went up because the new mayor took office.',
              ('Causal_Oversimplification',)),
    Technique("Doubt", "Doubt",
              "Questions the credibility of someone or something to undermine it.",
              "#17becf",
              'Can we really trust a minister who changes his mind every week?',
              ('Doubt',)),
    Technique("Exaggeration,Minimisation", "Exaggeration or minimisation",
              "Makes something seem much larger, better or worse than it is, or downplays it.",
              "#ff7f0e",
              'This is the worst disaster in the history of the world. / It was just a little accounting slip.',
              ('Exaggeration-Minimisation',)),
    Technique("Flag-Waving", "Flag-waving",
              "Plays on patriotism or group identity to justify an idea or action.",
              "#2ca02c",
              'Every true patriot will stand behind our soldiers on this.',
              ('Flag_Waving',)),
    Technique("Loaded_Language", "Loaded language",
              "Uses words with strong emotional charge to influence the reader.",
              "#e377c2",
              'The reckless scheme will wreck our schools.',
              ('Loaded_Language',)),
    Technique("Name_Calling,Labeling", "Name calling or labelling",
              "Attaches an emotive label to a person or group that the audience fears, hates or admires.",
              "#9467bd",
              'The so-called experts and their puppet masters want you silent.',
              ('Name_Calling-Labeling',)),
    Technique("Repetition", "Repetition",
              "Repeats the same message or phrase so that the audience comes to accept it.",
              "#aec7e8",
              'We want jobs. We need jobs. We will get jobs.',
              ('Repetition',)),
    Technique("Slogans", "Slogans",
              "A brief, striking phrase that works as a rallying cry.",
              "#ffbb78",
              'Take back control!',
              ('Slogans',)),
    Technique("Thought-terminating_Cliches", "Thought-terminating cliché",
              "A stock phrase that discourages critical thought and ends the discussion.",
              "#98df8a",
              'It is what it is.',
              ('Conversation_Killer',)),
    Technique("Whataboutism,Straw_Men,Red_Herring", "Whataboutism / straw man / red herring",
              "Deflects by pointing at an opponent's hypocrisy, attacks a distorted version of an argument, "
              "or brings in an irrelevant matter.",
              "#c5b0d5",
              'You complain about our pollution, but what about theirs?',
              ('Whataboutism', 'Straw_Man', 'Red_Herring')),
)

NAMES: tuple[str, ...] = tuple(t.name for t in CATALOGUE)
BY_NAME: dict[str, Technique] = {t.name: t for t in CATALOGUE}


def index(name: str) -> int:
    return NAMES.index(name)


def lookup(name: str) -> Technique:
    """A technique by its PTC name, its label, or its SemEval-2023 name (any case)."""
    key = name.strip().casefold()
    for t in CATALOGUE:
        if key in {t.name.casefold(), t.label.casefold()}:
            return t
    matches = [t for t in CATALOGUE if key in {n.casefold() for n in t.semeval2023}]
    if len(matches) == 1:
        return matches[0]
    raise KeyError(name)


def names(given: Iterable[str] | str) -> list[str]:
    """The PTC names of ``given`` techniques (names, labels or SemEval-2023 names; one name alone
    is one technique, not its letters); an unknown one is an InputError."""
    if isinstance(given, (bytes, bytearray)):
        raise TypeError(f"techniques must be names (str), not {type(given).__name__}")
    out = []
    for name in [given] if isinstance(given, str) else given:
        try:
            out.append(lookup(name).name)
        except (KeyError, AttributeError):
            raise unknown(name) from None
    return out


def unknown(name: object):
    """The InputError for a name no technique propscope detects has: a SemEval-2023 one it does not
    detect is said to be that, not unknown."""
    from .errors import InputError
    key = str(name).strip().casefold()
    if any(key == n.casefold() for n, ours in FROM_SEMEVAL2023.items() if ours is None):
        return InputError(f"{name!r} is a SemEval-2023 technique that propscope does not detect; "
                          "'propscope techniques' lists those it does")
    return InputError(f"unknown technique {name!r}; 'propscope techniques' lists the names")


# SemEval-2023 Task 3 (subtask 3): 23 techniques in 6 groups. Those with no PTC counterpart
# are listed so users of the newer taxonomy see what propscope does not look for.
SEMEVAL2023_GROUPS: dict[str, tuple[str, ...]] = {
    "Attack on reputation": ("Name_Calling-Labeling", "Guilt_by_Association", "Doubt",
                             "Appeal_to_Hypocrisy", "Questioning_the_Reputation"),
    "Justification": ("Flag_Waving", "Appeal_to_Authority", "Appeal_to_Popularity", "Appeal_to_Values",
                      "Appeal_to_Fear-Prejudice"),
    "Simplification": ("Causal_Oversimplification", "False_Dilemma-No_Choice", "Consequential_Oversimplification"),
    "Distraction": ("Straw_Man", "Red_Herring", "Whataboutism"),
    "Call": ("Slogans", "Conversation_Killer", "Appeal_to_Time"),
    "Manipulative wording": ("Loaded_Language", "Obfuscation-Vagueness-Confusion", "Exaggeration-Minimisation",
                             "Repetition"),
}
SEMEVAL2023: tuple[str, ...] = tuple(n for group in SEMEVAL2023_GROUPS.values() for n in group)
TO_SEMEVAL2023: dict[str, tuple[str, ...]] = {t.name: t.semeval2023 for t in CATALOGUE}
FROM_SEMEVAL2023: dict[str, str | None] = {
    n: next((t.name for t in CATALOGUE if n in t.semeval2023), None) for n in SEMEVAL2023}


# SemEval-2021 Task 6 (meme texts, 20 techniques) -> PTC. None: no PTC counterpart, but still
# a persuasion fragment (used to teach where fragments are, not which technique).
FROM_SEMEVAL2021: dict[str, str | None] = {
    "Appeal to authority": "Appeal_to_Authority",
    "Appeal to fear/prejudice": "Appeal_to_fear-prejudice",
    "Bandwagon": "Bandwagon,Reductio_ad_hitlerum",
    "Reductio ad hitlerum": "Bandwagon,Reductio_ad_hitlerum",
    "Black-and-white Fallacy/Dictatorship": "Black-and-White_Fallacy",
    "Causal Oversimplification": "Causal_Oversimplification",
    "Doubt": "Doubt",
    "Exaggeration/Minimisation": "Exaggeration,Minimisation",
    "Flag-waving": "Flag-Waving",
    "Loaded Language": "Loaded_Language",
    "Name calling/Labeling": "Name_Calling,Labeling",
    "Repetition": "Repetition",
    "Slogans": "Slogans",
    "Thought-terminating cliché": "Thought-terminating_Cliches",
    "Whataboutism": "Whataboutism,Straw_Men,Red_Herring",
    "Misrepresentation of Someone's Position (Straw Man)": "Whataboutism,Straw_Men,Red_Herring",
    "Presenting Irrelevant Data (Red Herring)": "Whataboutism,Straw_Men,Red_Herring",
    "Smears": None,
    "Glittering generalities (Virtue)": None,
    "Obfuscation, Intentional vagueness, Confusion": None,
}
