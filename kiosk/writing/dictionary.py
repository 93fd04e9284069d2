"""The writing dictionary (assets/pinyin/): keys typed -> candidate words.

Two ways to type the same word: keypad digits (2=abc … 9=wxyz; 漏水 is
568 7484, or 57 by its initials, or 568 7 …) and letters (loushui, ls,
loush). The asset lists its entries most likely first, and is searched as
it is: a regular expression over the text, once in letters and once turned
into digits (split by the first key), so loading is a read and a split, the
first match is the likeliest, and nothing is held per entry. Nothing here changes after
loading: every resident is offered the same candidates in the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

KEYPAD_LETTERS = {
    "2": "abc",
    "3": "def",
    "4": "ghi",
    "5": "jkl",
    "6": "mno",
    "7": "pqrs",
    "8": "tuv",
    "9": "wxyz",
}
_TO_DIGITS = bytes.maketrans(
    "".join(KEYPAD_LETTERS.values()).encode(),
    "".join(d * len(letters) for d, letters in KEYPAD_LETTERS.items()).encode(),
)
MAX_CANDIDATES = 45  # five pages of nine
KEYS = re.compile(r"[a-z2-9]{1,40}")
_SYLLABLE_REST = b"[^ \t\n]*"  # what is left of a syllable begun by a key


def to_digits(letters: str) -> str:
    """The keypad digits that spell ``letters`` (lou -> 568)."""
    return letters.encode("ascii").translate(_TO_DIGITS).decode("ascii")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A word on offer: its text, how many of the typed keys it uses up, and
    its spelling (pinyin syllables, or the English word)."""

    text: str
    consumed: int
    spelling: str


def _spelled_in_part(keys: str) -> re.Pattern[bytes]:
    """Each key goes on in its syllable or begins the next one (57 is l… s…,
    loush is lou sh…), and the word may go on after the last key."""
    between = b"(?:" + _SYLLABLE_REST + b" )?"
    return re.compile(b"\t" + between.join(k.encode() for k in keys) + b"[^\t\n]*\n")


class _Bucket:
    """The lines whose spelling begins with one key, in rank order, as UTF-8
    (``word<TAB>spelling`` lines between newlines), and the same turned into
    keypad digits: byte for byte, so a match in one is found in the other."""

    __slots__ = ("digits", "letters")

    def __init__(self, lines: list[str]) -> None:
        self.letters = ("\n" + "\n".join(lines) + "\n").encode()
        self.digits = self.letters.translate(_TO_DIGITS)


class Lexicon:
    """One language's words, in rank order: ``word<TAB>spelling`` lines,
    split by the first key of their spelling (a letter, and its digit)."""

    def __init__(self, lines: list[str]) -> None:
        by_letter: dict[str, list[str]] = {}
        by_digit: dict[str, list[str]] = {}
        # Whole spellings (no spaces) -> their lines, best first, one string
        # per spelling: what the keys spell exactly is a dictionary look-up.
        exact_letters: dict[str, list[str]] = {}
        exact_digits: dict[str, list[str]] = {}
        text = "\n".join(lines)
        in_digits = text.encode().translate(_TO_DIGITS).decode().split("\n")
        for line, digit_line in zip(lines, in_digits, strict=True):
            tab = line.find("\t")
            letters = line[tab + 1 :].replace(" ", "")
            digits = digit_line[tab + 1 :].replace(" ", "")
            by_letter.setdefault(letters[:1], []).append(line)
            by_digit.setdefault(digits[:1], []).append(line)
            exact_letters.setdefault(letters, []).append(line)
            exact_digits.setdefault(digits, []).append(line)
        self._letters = {key: _Bucket(part) for key, part in by_letter.items()}
        self._digits = {key: _Bucket(part) for key, part in by_digit.items()}
        self._exact_letters = {k: "\n".join(v) for k, v in exact_letters.items()}
        self._exact_digits = {k: "\n".join(v) for k, v in exact_digits.items()}
        self._count = len(lines)

    def __len__(self) -> int:
        return self._count

    def candidates(self, keys: str, *, letters: bool = False) -> list[Candidate]:
        """What ``keys`` (digits, or letters if ``letters``) may mean, likeliest
        first: what they spell whole (words, then characters), then words
        they begin or abbreviate, then what only their first keys spell (so a
        long run of keys can be chosen piece by piece)."""
        if not KEYS.fullmatch(keys):
            return []
        bucket = (self._letters if letters else self._digits).get(keys[0])
        if bucket is None:
            return []
        searched = bucket.letters if letters else bucket.digits
        exact = self._exact_letters if letters else self._exact_digits
        found: list[Candidate] = []
        seen: set[str] = set()

        def take(word: str, consumed: int, spelling: str) -> bool:
            if word not in seen:
                seen.add(word)
                found.append(Candidate(word, consumed, spelling))
            return len(found) >= MAX_CANDIDATES

        def offer_exact(keys: str) -> bool:
            for line in exact.get(keys, "").splitlines():
                word, _, spelling = line.partition("\t")
                if take(word, len(keys), spelling):
                    return True
            return False

        if offer_exact(keys):
            return found
        for match in _spelled_in_part(keys).finditer(searched):
            start = match.start()
            word = bucket.letters[bucket.letters.rfind(b"\n", 0, start) + 1 : start]
            spelling = bucket.letters[start + 1 : match.end() - 1]
            if take(word.decode(), len(keys), spelling.decode()):
                return found
        for end in range(len(keys) - 1, 0, -1):
            if offer_exact(keys[:end]):
                break
        return found


@dataclass(frozen=True)
class WritingDictionary:
    chinese: Lexicon
    english: Lexicon

    def lexicon(self, language: str) -> Lexicon:
        return self.english if language == "en" else self.chinese


def parse_chinese(text: str) -> Lexicon:
    """``word<TAB>pin yin`` lines; ``#`` lines are comments."""
    return Lexicon(
        [line for line in text.splitlines() if line and not line.startswith("#")]
    )


def parse_english(text: str) -> Lexicon:
    """One word a line; ``#`` lines are comments."""
    words = [
        line.strip().lower()
        for line in text.splitlines()
        if line.strip().isascii() and line.strip().isalpha()
    ]
    return Lexicon([f"{word}\t{word}" for word in words])


def _asset(name: str) -> str:
    return (
        resources.files("assets").joinpath("pinyin", name).read_text(encoding="utf-8")
    )


@cache
def load_dictionary() -> WritingDictionary:
    """The shipped dictionary, read once per process."""
    return WritingDictionary(
        parse_chinese(_asset("zh.txt")), parse_english(_asset("en.txt"))
    )
