"""A small suffix-stripping stemmer for English and Russian: the embedded default's search (SQLite
has no stemming) still finds "delivered" for "delivery" and "доставки" for "доставка".

It is not Snowball and need not be: both the articles and the question go through the same function,
and :func:`kb.search.stems_match` also accepts a stem that is the other's prefix.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _listed(text: str) -> list[str]:
    """A word list written as one string (easier to read and edit than a list of literals)."""
    return text.split()


_RU_ENDINGS = sorted(
    _listed(
        """иями ями ами ией иях ого его ому ему ыми ими ться ется ются ишь ешь ите ете ает яет ует ать ять ить
    еть уть ала ила ало ило али или ая яя ое ее ые ие ый ий ой ей ом ем ам ям ах ях ов ев ую юю ию ия ье ья
    ть ла ло ли а я о е ы и у ю ь й"""
    ),
    key=len,
    reverse=True,
)
_EN_ENDINGS = ("ing", "ed", "es", "ly", "s")
_VOWELS = set("aeiouy")

STOP_WORDS = {
    "en": set(
        _listed(
            """a an and are as at be been by can could did do does doing for from had has have how i if in into is
        it its me my no not of on or our please so that the their them then there this to us was we were what
        when where which who why will with would you your yours hi hello"""
        )
    ),
    "ru": set(
        _listed(
            """а без бы был была были в вам вас вы где да для до его ее её если есть же за и из или им их к как
        когда кто ли мне мой моя мое моё мои мы на над не нет ни но о об от по под при с со так там то тот у
        уже что чтобы это эта эти я здравствуйте привет пожалуйста можно"""
        )
    ),
}


def words(text: str) -> list[str]:
    return [word.lower().replace("ё", "е") for word in _WORD.findall(text)]


def stem(word: str, language: str) -> str:
    word = word.lower().replace("ё", "е")
    if language == "ru":
        for ending in _RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                return word[: -len(ending)]
        return word
    if not word.isascii() or len(word) <= 3:
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    else:
        for ending in _EN_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 3 and not word.endswith("ss"):
                word = word[: -len(ending)]
                break
    if word[-1] in "ey" and len(word) >= 4:
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in _VOWELS and word[-1] not in "s":
        word = word[:-1]
    return word


def stems(text: str, language: str) -> list[str]:
    """The text's stems without the language's stop words and single letters, in order (duplicates kept)."""
    stop = STOP_WORDS.get(language, set())
    return [stem(word, language) for word in words(text) if len(word) > 1 and word not in stop]
