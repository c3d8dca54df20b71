"""Which language a text is in (py3langid, offline), to warn before analysing non-English text."""

from __future__ import annotations

import functools

NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
         "nl": "Dutch", "ru": "Russian", "uk": "Ukrainian", "pl": "Polish", "ar": "Arabic", "zh": "Chinese",
         "ja": "Japanese", "ko": "Korean", "tr": "Turkish", "fa": "Persian", "he": "Hebrew", "sv": "Swedish",
         "ro": "Romanian", "el": "Greek", "cs": "Czech", "hu": "Hungarian", "bg": "Bulgarian", "ka": "Georgian"}
MIN_CHARS = 40       # shorter texts are not judged: too little evidence


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def guess(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability); ("", 0.0) when the text is too short to judge, and no code
    when the best guess is less likely than not (a short English text full of names came out as
    Nigerian Pidgin at 0.38): a language written into the results should be one that was read."""
    sample = text[:20000]
    if len(sample.strip()) < MIN_CHARS:
        return "", 0.0
    code, prob = _identifier().classify(sample)
    return (code if prob >= MIN_PROBABILITY else ""), float(prob)


MIN_PROBABILITY = 0.5


def name(code: str) -> str:
    return NAMES.get(code, code)


def is_foreign(code: str, prob: float, threshold: float = 0.9) -> bool:
    """Confidently not English."""
    return bool(code) and code != "en" and prob >= threshold
