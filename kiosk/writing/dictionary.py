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

import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
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
# Sentence decoding (整句): a run of keys read as several words at once.
SENTENCE_KEYS = 2  # fewer keys are one word
SENTENCE_SPAN = 12  # the most keys one word of a sentence uses
SENTENCE_CHOICES = 6  # the likeliest words for a span that the decoding weighs
SENTENCE_ABBREVIATED = 4  # longer runs are not read as one word's initials
SENTENCE_ABBREVIATED_PHRASES = 4  # nor as a phrase's
BEGUN_WORDS = 1000  # words of a section read by their first letters
# The cost of a reading is the sum of its words' costs: each is WORD_COST
# (fewer, longer words win) and the log of its rank in its section of the
# asset (the asset is ordered by frequency: ranks follow Zipf's law, so the
# log rank stands for -log p), plus the costs below.
WORD_COST = 3.0
CHARACTER_COST = 1.0  # a single character: ranked among characters
PHRASE_COST = 2.0  # a phrase of two or three words: ranked among phrases
ABBREVIATED_COST = 1.0  # keys that only begin the syllables (57: lou shui)
# Keys that spell a word whole are read as that spelling before they are
# read as the beginnings of syllables: 7484 is shui (水), not s hui (社会),
# and 38 is du (都), not d t (电梯).
SPELLED_WHOLE_COST = 4.0
CONTEXT_COST = -1.0  # a word of the request's category, by its rank there
FOLLOWS_BONUS = 3.0  # a word the association data lists after the one before
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


@lru_cache(maxsize=1024)
def _begun(keys: str) -> re.Pattern[bytes]:
    """Each key goes on in its syllable or begins the next one, and the last
    syllable may go on, but no syllable follows it."""
    between = b"(?:" + _SYLLABLE_REST + b" )?"
    joined = between.join(re.escape(k.encode()) for k in keys)
    return re.compile(b"\t" + joined + b"[^ \t\n]*\n")


def _cut(keys: str, syllables: list[str], letters: bool) -> bool:
    """Whether ``keys`` type each syllable whole or by its first letter (zh,
    ch, sh: or its first two), as one types a sentence: lou s, l shui, ls."""
    if not syllables:
        return not keys
    first, rest = syllables[0], syllables[1:]
    cuts = {first[:1], first}
    if first[:2] in ("zh", "ch", "sh"):
        cuts.add(first[:2])
    for cut in cuts:
        typed = cut if letters else to_digits(cut)
        if keys.startswith(typed) and _cut(keys[len(typed) :], rest, letters):
            return True
    return False


class _Bucket:
    """The entries whose spelling begins with one keypad digit, in rank order,
    as UTF-8 ``word<TAB>spelling`` lines between newlines: in letters and in
    digits (byte for byte, so a match in one is found in the other), each
    with its spaces and without them (``lou shui`` and ``loushui``, so that
    what the keys spell whole is a plain ``bytes.find``)."""

    __slots__ = (
        "begun_end",
        "chars_at",
        "chars_count",
        "chars_from",
        "solid_chars_at",
        "digits",
        "letters",
        "solid_digits",
        "solid_letters",
    )

    def __init__(self, lines: str) -> None:
        self.letters = ("\n" + lines.strip("\n") + "\n").encode()
        self.digits = self.letters.translate(_TO_DIGITS)
        self.solid_letters = self.letters.replace(b" ", b"")
        self.solid_digits = self.solid_letters.translate(_TO_DIGITS)
        # the section's words come first, then its single characters: where
        # those begin, as a line number and an offset in the spaced texts
        at = len(self.letters) - 1
        line = self.letters.count(b"\n") - 1
        while at > 0:
            start = self.letters.rfind(b"\n", 0, at)
            word = self.letters[start + 1 : self.letters.index(b"\t", start)]
            if len(word.decode()) != 1:
                break
            at = start
            line -= 1
        self.chars_from = line
        self.chars_at = at
        self.chars_count = self.letters.count(b"\n", at) - 1
        # the likeliest words, read for a sentence's words by their syllables'
        # first letters: the line BEGUN_WORDS, as an offset
        end = 0
        for _ in range(min(BEGUN_WORDS, line)):
            end = self.letters.find(b"\n", end + 1)
        self.begun_end = max(end, 0) + 1
        self.solid_chars_at = at - self.letters.count(b" ", 0, at)

    def cost(self, text: bytes, at: int) -> float:
        """How unlikely the entry at offset ``at`` of ``text`` is (0 for the
        first): the log of its rank among the section's words, or among its
        characters plus ``CHARACTER_COST``. The rank is told by the offset
        (lines of a kind are much of a length), not by counting lines."""
        spaced = len(text) == len(self.letters)
        words_end = self.chars_at if spaced else self.solid_chars_at
        if at > words_end:
            per_line = (len(text) - words_end) / max(1, self.chars_count)
            return CHARACTER_COST + math.log1p((at - words_end) / per_line)
        return math.log1p(at / max(1.0, words_end / max(1, self.chars_from)))


class Lexicon:
    """One language's words: ``word<TAB>spelling`` lines in sections by the
    first keypad digit of their spelling, each section in rank order."""

    def __init__(
        self, sections: dict[str, str], syllables: frozenset[str] = frozenset()
    ) -> None:
        self._buckets = {key: _Bucket(lines) for key, lines in sections.items()}
        self._count = sum(lines.count("\t") for lines in sections.values())
        self._syllables = syllables

    @property
    def syllables(self) -> frozenset[str]:
        return self._syllables

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

    def spelled(
        self, keys: str, *, letters: bool, limit: int
    ) -> list[tuple[str, str, float]]:
        """Up to ``limit`` (word, spelling, cost) that ``keys`` spell whole,
        likeliest first (see ``_Bucket.cost``)."""
        bucket = self._buckets.get(to_digits(keys[0])) if KEYS.fullmatch(keys) else None
        if bucket is None:
            return []
        solid = bucket.solid_letters if letters else bucket.solid_digits
        source = bucket.solid_letters
        needle = b"\t" + keys.encode() + b"\n"
        found: list[tuple[str, str, float]] = []
        at = solid.find(needle)
        while at >= 0 and len(found) < limit:
            word = source[source.rfind(b"\n", 0, at) + 1 : at].decode()
            spelling = source[at + 1 : at + len(needle) - 1].decode()
            cost = bucket.cost(source, at)
            found.append((word, self.spaced(spelling, len(word)), cost))
            at = solid.find(needle, at + len(needle) - 1)
        return found

    def begun(
        self, keys: str, *, letters: bool, limit: int
    ) -> list[tuple[str, str, float]]:
        """Up to ``limit`` (word, spelling, cost) each of whose syllables
        ``keys`` begin (57 or 5687: lou shui), and no more syllables,
        likeliest first."""
        bucket = self._buckets.get(to_digits(keys[0])) if KEYS.fullmatch(keys) else None
        if bucket is None:
            return []
        text = bucket.letters if letters else bucket.digits
        # one key begins one syllable: a character (they come last); more
        # keys begin several, a word, unless they are zh, ch or sh
        start, end = 0, len(text)
        if len(keys) == 1:
            start = bucket.chars_at
        elif not (len(keys) == 2 and keys[1] in "4h"):
            end = bucket.begun_end
        found: list[tuple[str, str, float]] = []
        for match in _begun(keys).finditer(text, start, end):
            start = match.start() + 1
            end = match.end() - 1
            spelling = bucket.letters[start:end].decode()
            if not _cut(keys, spelling.split(), letters):
                continue
            word = bucket.letters[bucket.letters.rfind(b"\n", 0, start) + 1 : start - 1]
            found.append((word.decode(), spelling, bucket.cost(text, start)))
            if len(found) >= limit:
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
    # a run of keys is also read as several words at once (整句)
    sentences: bool = True
    # each category's own words (context.txt): ``## category`` sections
    contexts: str = ""

    def context(self, category: str) -> Lexicon:
        """The words of requests of ``category``, ranked first while a
        resident writes about one (static: the same for every resident)."""
        return _context(self, category)

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

    def sentence(
        self, keys: str, *, letters: bool = False, category: str = ""
    ) -> Candidate | None:
        """The likeliest reading of ``keys`` as two or more words in a row
        (整句输入): each word is one of the likeliest that its run of keys
        spells whole or by its first letters, the fewer words the better, and
        a word that the association data lists after the one before it
        counts as likelier. ``None`` if one word reads the keys best or no
        reading uses every key. The same keys always give the same reading."""
        if not self.sentences or len(keys) < SENTENCE_KEYS or not KEYS.fullmatch(keys):
            return None
        final = _reading(self, keys, letters, category)
        if final is None or len(final[1]) < 2:
            return None
        return Candidate("".join(final[1]), len(keys), " ".join(final[2]))

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


# The look-ups behind sentence decoding, kept for the keys typed next: static
# data in, static data out (the same for every resident).
@lru_cache(maxsize=4096)
def _span(
    dictionary: WritingDictionary, keys: str, letters: bool, category: str = ""
) -> tuple[tuple[str, str, float], ...]:
    """The likeliest words (then phrases) that ``keys`` spell whole, then
    those whose every syllable they begin (57: lou shui): a sentence's word
    does not go on past its keys. The words of the request's category cost
    as the likeliest of their keys."""
    found: list[tuple[str, str, float]] = []
    lexicons = [(dictionary.chinese, 0.0), (dictionary.phrases, PHRASE_COST)]
    if category:
        lexicons.append((dictionary.context(category), CONTEXT_COST))
    begun_cost = ABBREVIATED_COST
    if dictionary.chinese.spelled(keys, letters=letters, limit=1):
        begun_cost += SPELLED_WHOLE_COST
    for lexicon, extra in lexicons:
        for word, spelling, cost in lexicon.spelled(
            keys, letters=letters, limit=SENTENCE_CHOICES
        ):
            found.append((word, spelling, cost + extra))
        if len(keys) <= (
            SENTENCE_ABBREVIATED
            if lexicon is not dictionary.phrases
            else SENTENCE_ABBREVIATED_PHRASES
        ):
            for word, spelling, cost in lexicon.begun(
                keys, letters=letters, limit=SENTENCE_CHOICES
            ):
                found.append((word, spelling, cost + extra + begun_cost))
    best: dict[str, tuple[str, str, float]] = {}
    for entry in found:
        if entry[0] not in best or entry[2] < best[entry[0]][2]:
            best[entry[0]] = entry
    return tuple(sorted(best.values(), key=lambda entry: entry[2]))


Reading = tuple[float, tuple[str, ...], tuple[str, ...]]


@lru_cache(maxsize=256)
def _reading(
    dictionary: WritingDictionary, keys: str, letters: bool, category: str = ""
) -> Reading | None:
    """(cost, words, spellings) of the best reading of ``keys``: the best
    reading of the keys before the last word, and the last word. Kept for
    each run of keys, so a key typed looks up only the words it ends."""
    if not keys:
        return (0.0, (), ())
    best: Reading | None = None
    for start in range(max(0, len(keys) - SENTENCE_SPAN), len(keys)):
        before = _reading(dictionary, keys[:start], letters, category)
        if before is None:
            continue
        cost, words, spellings = before
        follows = _followers(dictionary, words[-1]) if words else frozenset()
        for word, spelling, word_cost in _span(
            dictionary, keys[start:], letters, category
        ):
            total = cost + WORD_COST + word_cost
            if word in follows:
                total -= FOLLOWS_BONUS
            if best is None or total < best[0]:
                best = (total, (*words, word), (*spellings, spelling))
    return best


@lru_cache(maxsize=16)
def _context(dictionary: WritingDictionary, category: str) -> Lexicon:
    head = "\n## " + category + "\n"
    text = "\n" + dictionary.contexts
    at = text.find(head)
    if not category or at < 0:
        return _EMPTY
    end = text.find("\n## ", at + len(head))
    sections: dict[str, list[str]] = {}
    for line in text[at + len(head) : None if end < 0 else end].splitlines():
        word, _, spelling = line.partition("\t")
        if spelling:
            sections.setdefault(to_digits(spelling[0]), []).append(line)
    joined = {key: "\n".join(lines) for key, lines in sections.items()}
    return Lexicon(joined, dictionary.chinese.syllables)


@lru_cache(maxsize=1024)
def _followers(dictionary: WritingDictionary, word: str) -> frozenset[str]:
    return frozenset(dictionary.following.after(word))


def clear_caches() -> None:
    """Forget the look-ups kept for sentence decoding (for measuring)."""
    for kept in (_span, _followers, _begun, _reading):
        kept.cache_clear()


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
        contexts=_asset("context.txt"),
    )
