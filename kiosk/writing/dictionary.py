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
# What the keys spell whole is offered in full: the keypad's digits for ji
# also spell li and ki (222 characters for xi yi zi), and a character that
# is not offered cannot be written with the keypad at all.
MAX_SPELLED_WHOLE = 270  # thirty pages of nine
NUMBER = "0"  # in the follow data: any number
FOLLOWERS = 18  # two pages of nine, the word's own first
PHRASE_KEYS = 3  # fewer keys are not looked up as phrases of several words
ABBREVIATED_KEYS = 8  # longer runs of keys are not looked up as abbreviations
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
    """The entries whose spelling begins with one keypad digit, in rank order,
    as UTF-8 ``word<TAB>spelling`` lines between newlines: in letters and in
    digits (byte for byte, so a match in one is found in the other), each
    with its spaces and without them (``lou shui`` and ``loushui``, so that
    what the keys spell whole is a plain ``bytes.find``)."""

    __slots__ = ("digits", "letters", "solid_digits", "solid_letters")

    def __init__(self, lines: str) -> None:
        self.letters = ("\n" + lines.strip("\n") + "\n").encode()
        self.digits = self.letters.translate(_TO_DIGITS)
        self.solid_letters = self.letters.replace(b" ", b"")
        self.solid_digits = self.solid_letters.translate(_TO_DIGITS)


class Lexicon:
    """One language's words: ``word<TAB>spelling`` lines in sections by the
    first keypad digit of their spelling, each section in rank order."""

    def __init__(
        self, sections: dict[str, str], syllables: frozenset[str] = frozenset()
    ) -> None:
        self._buckets = {key: _Bucket(lines) for key, lines in sections.items()}
        self._count = sum(lines.count("\t") for lines in sections.values())
        self._syllables = syllables

    def spaced(self, letters: str, count: int) -> str:
        """``loushui`` as ``count`` syllables: ``lou shui`` (as it was if
        it cannot be split so)."""
        if count < 2 or not self._syllables:
            return letters

        def split(rest: str, left: int) -> list[str] | None:
            if left == 1:
                return [rest] if rest in self._syllables else None
            for end in range(min(6, len(rest) - left + 1), 0, -1):
                if rest[:end] in self._syllables:
                    tail = split(rest[end:], left - 1)
                    if tail is not None:
                        return [rest[:end], *tail]
            return None

        parts = split(letters, count)
        return " ".join(parts) if parts else letters

    def __len__(self) -> int:
        return self._count

    def candidates(
        self, keys: str, *, letters: bool = False, partial: bool = True
    ) -> list[Candidate]:
        """What ``keys`` (digits, or letters if ``letters``) may mean, likeliest
        first: what they spell whole (words, then characters), then words
        they begin or abbreviate, then (if ``partial``) what only their first
        keys spell (so a long run of keys can be chosen piece by piece)."""
        if not KEYS.fullmatch(keys):
            return []
        bucket = self._buckets.get(to_digits(keys[0]))
        if bucket is None:
            return []
        found: list[Candidate] = []
        seen: set[bytes] = set()

        def take(text: bytes, start: int, end: int, consumed: int, limit: int) -> bool:
            """The entry whose spelling is text[start:end] (after its tab),
            read from the letters at the same offsets (digits are 1:1)."""
            source = bucket.solid_letters if text is solid else bucket.letters
            word = source[source.rfind(b"\n", 0, start) + 1 : start - 1]
            if word not in seen:
                seen.add(word)
                text_of_word = word.decode()
                spelling = source[start:end].decode()
                if text is solid:
                    spelling = self.spaced(spelling, len(text_of_word))
                found.append(Candidate(text_of_word, consumed, spelling))
            return len(found) >= limit

        solid = bucket.solid_letters if letters else bucket.solid_digits

        def spelled_whole(part: str, limit: int) -> bool:
            needle = b"\t" + part.encode() + b"\n"
            at = solid.find(needle)
            while at >= 0:
                if take(solid, at + 1, at + len(needle) - 1, len(part), limit):
                    return True
                at = solid.find(needle, at + len(needle) - 1)
            return False

        spelled_whole(keys, MAX_SPELLED_WHOLE)
        if len(found) >= MAX_CANDIDATES:
            return found
        if len(keys) <= ABBREVIATED_KEYS:
            spaced = bucket.letters if letters else bucket.digits
            for match in _spelled_in_part(keys).finditer(spaced):
                end = match.end() - 1
                if take(spaced, match.start() + 1, end, len(keys), MAX_CANDIDATES):
                    return found
        for end in range(len(keys) - 1, 0, -1) if partial else ():
            if spelled_whole(keys[:end], MAX_CANDIDATES):
                break
        return found


_EMPTY = Lexicon({})


class Following:
    """Which words most often follow a word (联想): ``word<TAB>next next …``
    lines, kept as one UTF-8 text and searched, so nothing is held per
    entry. Static data counted from published text at build time."""

    __slots__ = ("_text",)

    def __init__(self, text: str = "") -> None:
        lines = [line for line in text.splitlines() if not line.startswith("#")]
        self._text = ("\n" + "\n".join(lines) + "\n").encode()

    def after(self, word: str) -> list[str]:
        """The words that follow ``word``, most frequent first, then (up to
        two pages) those that follow its shorter endings (楼顶, then 顶); a
        phrase of several words the data does not list is followed as its
        longest ending that it lists (楼道里: 里). After a number (3, 11),
        the words that follow numbers (号, 楼, 岁)."""
        if word.isascii() and word.isdigit():
            word = NUMBER
        found: list[str] = []
        for start in range(len(word)):
            needle = b"\n" + word[start:].encode() + b"\t"
            at = self._text.find(needle)
            if at >= 0:
                begin = at + len(needle)
                end = self._text.index(b"\n", begin)
                for after in self._text[begin:end].decode().split():
                    if after not in found:
                        found.append(after)
                if len(found) >= FOLLOWERS:
                    break
        return found[:FOLLOWERS]


@dataclass(frozen=True)
class WritingDictionary:
    chinese: Lexicon
    english: Lexicon
    surnames: Lexicon = _EMPTY
    given_names: Lexicon = _EMPTY
    # Phrases of two or three words (楼道里): what several words' keys spell.
    phrases: Lexicon = _EMPTY
    following: Following = Following()

    def phrase_candidates(self, keys: str, *, letters: bool = False) -> list[Candidate]:
        """Chinese candidates for ``keys``: the words and characters they
        spell whole, then the phrases of two or three words they spell whole,
        then the words they abbreviate (initials, first letters), then such
        phrases, then what only their first keys spell."""
        words = self.chinese.candidates(keys, letters=letters)
        # two keys abbreviate so many words that a phrase after them would
        # never be on the first pages: not looked up
        phrases = (
            self.phrases.candidates(keys, letters=letters, partial=False)
            if len(keys) >= PHRASE_KEYS
            else []
        )

        def whole(candidate: Candidate) -> bool:
            spelled = candidate.spelling.replace(" ", "")
            return (spelled if letters else to_digits(spelled)) == keys

        groups: list[list[Candidate]] = [[], [], [], [], []]
        for candidate in words:
            if candidate.consumed < len(keys):
                groups[4].append(candidate)
            else:
                groups[0 if whole(candidate) else 2].append(candidate)
        for candidate in phrases:
            if candidate.consumed == len(keys):
                groups[1 if whole(candidate) else 3].append(candidate)
        return [candidate for group in groups for candidate in group]

    def lexicon(self, language: str) -> Lexicon:
        return self.english if language == "en" else self.chinese

    def name_candidates(
        self, keys: str, *, letters: bool = False, surname: bool = True
    ) -> list[Candidate]:
        """Candidates in a name field: the surnames first where the name
        begins, else the given names; then every other word. What uses up
        all the keys still comes before what uses some of them."""
        names = self.surnames if surname else self.given_names
        ranked = [
            *names.candidates(keys, letters=letters),
            *self.chinese.candidates(keys, letters=letters),
        ]
        whole = [c for c in ranked if c.consumed == len(keys)]
        found: list[Candidate] = []
        seen: set[str] = set()
        for candidate in [*whole, *(c for c in ranked if c.consumed < len(keys))]:
            if candidate.text not in seen:
                seen.add(candidate.text)
                found.append(candidate)
        return found


def parse_chinese(text: str) -> Lexicon:
    """Sections ``## <digit>`` of ``word<TAB>pin yin`` lines; before the
    first, ``#`` comment lines, one of them ``# syllables: a ai an …``."""
    head, *sections = ("\n" + text).split("\n## ")
    syllables: frozenset[str] = frozenset()
    for line in head.splitlines():
        if line.startswith("# syllables:"):
            syllables = frozenset(line.partition(":")[2].split())
    by_key: dict[str, str] = {}
    for section in sections:
        key, _, lines = section.partition("\n")
        by_key[key.strip()] = lines
    return Lexicon(by_key, syllables)


def parse_english(text: str) -> Lexicon:
    """One word a line; ``#`` lines are comments."""
    sections: dict[str, list[str]] = {}
    for line in text.splitlines():
        word = line.strip().lower()
        if word.isascii() and word.isalpha():
            sections.setdefault(to_digits(word[0]), []).append(f"{word}\t{word}")
    return Lexicon({key: "\n".join(lines) for key, lines in sections.items()})


def _asset(name: str) -> str:
    return (
        resources.files("assets").joinpath("pinyin", name).read_text(encoding="utf-8")
    )


@cache
def load_dictionary() -> WritingDictionary:
    """The shipped dictionary, read once per process."""
    return WritingDictionary(
        parse_chinese(_asset("zh.txt")),
        parse_english(_asset("en.txt")),
        parse_chinese(_asset("surnames.txt")),
        parse_chinese(_asset("given_names.txt")),
        parse_chinese(_asset("phrases.txt")),
        Following(_asset("follow.txt")),
    )
