"""The technique catalogue: the 14 techniques of the Propaganda Techniques Corpus.

Names are spelled exactly as in the PTC release (they are the SemEval output labels).
Everything that needs a technique's name, definition or colour reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Technique:
    name: str          # exact PTC spelling, used in SemEval output
    label: str         # a readable name for people
    definition: str    # plain language, written by the project
    colour: str        # hex colour for reports


CATALOGUE: tuple[Technique, ...] = (
    Technique("Appeal_to_Authority", "Appeal to authority",
              "Claims something is true because an authority or expert said so, without other evidence.",
              "#1f77b4"),
    Technique("Appeal_to_fear-prejudice", "Appeal to fear or prejudice",
              "Builds support by stirring anxiety, panic or prejudice against an alternative or a group.",
              "#d62728"),
    Technique("Bandwagon,Reductio_ad_hitlerum", "Bandwagon / Reductio ad Hitlerum",
              "Urges joining in because 'everyone' does, or rejects an idea because a hated group favours it.",
              "#8c564b"),
    Technique("Black-and-White_Fallacy", "Black-and-white fallacy",
              "Presents two options as the only ones possible when more exist.",
              "#7f7f7f"),
    Technique("Causal_Oversimplification", "Causal oversimplification",
              "Gives a single cause for an issue that has several.",
              "#bcbd22"),
    Technique("Doubt", "Doubt",
              "Questions the credibility of someone or something to undermine it.",
              "#17becf"),
    Technique("Exaggeration,Minimisation", "Exaggeration or minimisation",
              "Makes something seem much larger, better or worse than it is, or downplays it.",
              "#ff7f0e"),
    Technique("Flag-Waving", "Flag-waving",
              "Plays on patriotism or group identity to justify an idea or action.",
              "#2ca02c"),
    Technique("Loaded_Language", "Loaded language",
              "Uses words with strong emotional charge to influence the reader.",
              "#e377c2"),
    Technique("Name_Calling,Labeling", "Name calling or labelling",
              "Attaches an emotive label to a person or group that the audience fears, hates or admires.",
              "#9467bd"),
    Technique("Repetition", "Repetition",
              "Repeats the same message or phrase so that the audience comes to accept it.",
              "#aec7e8"),
    Technique("Slogans", "Slogans",
              "A brief, striking phrase that works as a rallying cry.",
              "#ffbb78"),
    Technique("Thought-terminating_Cliches", "Thought-terminating cliché",
              "A stock phrase that discourages critical thought and ends the discussion.",
              "#98df8a"),
    Technique("Whataboutism,Straw_Men,Red_Herring", "Whataboutism / straw man / red herring",
              "Deflects by pointing at an opponent's hypocrisy, attacks a distorted version of an argument, "
              "or brings in an irrelevant matter.",
              "#c5b0d5"),
)

NAMES: tuple[str, ...] = tuple(t.name for t in CATALOGUE)
BY_NAME: dict[str, Technique] = {t.name: t for t in CATALOGUE}


def index(name: str) -> int:
    return NAMES.index(name)


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
