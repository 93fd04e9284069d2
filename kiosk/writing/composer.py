"""What one resident is writing: the text so far, the keys being spelled,
and the candidates on offer. No Textual: the pad widget shows this state and
passes keys and taps to it.

The keypad's rule, shown on screen (see ``Composer.hint_key``):

- *spelling* (拼音): 2-9 spell (2=abc … 9=wxyz), 1 writes "，", 0 switches to
  choosing, Enter takes the first candidate (or, with nothing spelled,
  finishes), ``.`` deletes;
- *choosing* (选择): 1-9 take that candidate, 0 shows the next nine, ``.``
  deletes the last key and goes back to spelling, Enter takes the first; with
  nothing spelled, the candidates are the phrases (common details);
- *association* (联想): right after a word is chosen, the candidates are the
  words that most often follow it (static data, the same for everyone): 0
  then a number takes one, with no spelling at all; any spelling key starts
  a new word, and anything else (1, ``.``, ``+``) leaves the association;
- *digits* (数字): 0-9 are written as digits (楼号, 单元, 室); ``+`` switches
  between spelling and digits; back from digits, the words that follow a
  number are on offer (号, 层, 岁) as after a word.

A touch keyboard types letters (``type_letter``), taps candidates, phrases,
digits and punctuation (``choose``, ``insert``). Nothing here outlives the
resident: the kiosk makes a new Composer for each screen it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from kiosk.writing.dictionary import Candidate, WritingDictionary, to_digits

PAGE = 9  # candidates numbered 1-9
SPELLING_LIMIT = 24  # keys in one run of spelling


class Mode(Enum):
    SPELL = "spell"
    CHOOSE = "choose"
    DIGITS = "digits"


class Outcome(Enum):
    HANDLED = "handled"  # the key was the pad's
    FINISH = "finish"  # Enter with nothing left to choose: the text is done
    IGNORED = "ignored"  # not a key of the pad: let the screen have it


@dataclass
class Composer:
    """The state of one writing field."""

    limit: int
    language: str = "zh-CN"
    phrases: Sequence[str] = ()
    text: str = ""
    keys: str = ""
    by_letters: bool = False  # the keys are letters (touch), not digits
    mode: Mode = Mode.SPELL
    page: int = 0
    dictionary: WritingDictionary | None = None
    person_name: bool = False  # surnames first, then given names
    # The request's category: its own words (漏水: 楼顶, 渗水 …) come first.
    category: str = ""
    # The word just chosen: the words that follow it are on offer (联想).
    after: str = ""
    _cached: tuple[tuple[str, bool, str, bool, bool], list[Candidate]] | None = field(
        default=None, repr=False
    )

    def __post_init__(self) -> None:
        self.text = self.text[: self.limit]

    # -- what is on offer -------------------------------------------------

    @property
    def english(self) -> bool:
        return self.language == "en"

    def following(self) -> list[str]:
        """The words on offer after the word just chosen (联想), if any."""
        if self.keys or not self.after or self.english or self.person_name:
            return []
        if self.dictionary is None:
            return []
        return self.dictionary.following.after(self.after)

    def candidates(self) -> list[Candidate]:
        """Every candidate for the keys; with nothing spelled, the words that
        follow the word just chosen, else the phrases (common details)."""
        if not self.keys:
            following = self.following()
            if following:
                return [Candidate(word, 0, "") for word in following]
            return [Candidate(phrase, 0, "") for phrase in self.phrases]
        chinese_name = self.person_name and not self.english
        surname = chinese_name and not self.text.strip()
        state = (
            self.keys,
            self.by_letters,
            self.language,
            self.dictionary is None,
            surname,
        )
        if self._cached is not None and self._cached[0] == state:
            return self._cached[1]
        found: list[Candidate] = []
        if self.dictionary is not None and chinese_name:
            found = self.dictionary.name_candidates(
                self.keys, letters=self.by_letters, surname=surname
            )
        elif self.dictionary is not None and self.english:
            found = self.dictionary.english.candidates(
                self.keys, letters=self.by_letters
            )
        elif self.dictionary is not None:
            found = self.dictionary.phrase_candidates(
                self.keys, letters=self.by_letters
            )
            # the request's own words first, where they use up every key
            own = [
                c
                for c in self.dictionary.context(self.category).candidates(
                    self.keys, letters=self.by_letters, partial=False
                )
                if c.consumed == len(self.keys)
            ]
            if own:
                texts = {c.text for c in own}
                found = [*own, *(c for c in found if c.text not in texts)]
            # the keys of several words at once: their likeliest reading,
            # first unless the keys spell a word or phrase whole
            sentence = self.dictionary.sentence(
                self.keys, letters=self.by_letters, category=self.category
            )
            if sentence is not None:
                rest = [c for c in found if c.text != sentence.text]
                at = 1 if rest and self._spelled_whole(rest[0]) else 0
                found = [*rest[:at], sentence, *rest[at:]]
        if self.by_letters and all(c.text != self.keys for c in found):
            found = [*found, Candidate(self.keys, len(self.keys), self.keys)]
        self._cached = (state, found)
        return found

    def _spelled_whole(self, candidate: Candidate) -> bool:
        spelled = candidate.spelling.replace(" ", "")
        return (spelled if self.by_letters else to_digits(spelled)) == self.keys

    def page_count(self) -> int:
        return max(1, -(-len(self.candidates()) // PAGE))

    def shown(self) -> list[Candidate]:
        """The nine candidates on the current page, numbered 1-9 on screen."""
        start = self.page * PAGE
        return self.candidates()[start : start + PAGE]

    def spellings(self) -> list[str]:
        """The spellings the keys may be (lou shui, kou qi …), for the pad to
        show above the candidates."""
        if self.by_letters or not self.keys:
            return [self.keys] if self.keys else []
        seen: list[str] = []
        for candidate in self.candidates():
            if candidate.consumed == len(self.keys) and candidate.spelling not in seen:
                seen.append(candidate.spelling)
            if len(seen) == 4:
                break
        return seen

    # -- changing the text ------------------------------------------------

    def insert(self, text: str) -> None:
        """Write ``text`` where the resident is writing (cut at the limit)."""
        self.text = (self.text + text)[: self.limit]
        self.after = ""

    def choose(self, number: int) -> bool:
        """Take candidate ``number`` (1-9) of the current page."""
        shown = self.shown()
        if not 1 <= number <= len(shown):
            return False
        candidate = shown[number - 1]
        if not self.keys and self.following():  # a word that follows
            self.insert(candidate.text)
            self.after = candidate.text
        elif not self.keys:  # a phrase: combined with what is there
            if self.text and self.text[-1] not in "，。,. ":
                self.insert(", " if self.english else "，")
            self.insert(candidate.text)
        else:
            if self.english and self.text and self.text[-1].isalnum():
                self.insert(" ")
            self.insert(candidate.text)
            self.keys = self.keys[candidate.consumed :]
            self.after = candidate.text
        self.mode = Mode.SPELL
        self.page = 0
        return True

    def delete(self) -> None:
        """``.`` or ⌫: the last key spelled, else the last character."""
        if self.keys:
            self.keys = self.keys[:-1]
        else:
            self.text = self.text[:-1]
        self.after = ""
        self.page = 0
        if self.mode is Mode.CHOOSE:
            self.mode = Mode.SPELL

    def type_letter(self, letter: str) -> None:
        """A letter from the touch keyboard (or a real keyboard)."""
        letter = letter.lower()
        if not ("a" <= letter <= "z" and len(letter) == 1):
            return
        if self.keys and not self.by_letters:
            self.keys = ""  # digits half spelled: the letters start anew
        self.by_letters = True
        self._spell(letter)

    def _spell(self, key: str) -> None:
        self.after = ""  # a new word: the association is left
        if len(self.keys) < SPELLING_LIMIT:
            self.keys += key
        self.mode = Mode.SPELL
        self.page = 0

    def switch_digits(self) -> None:
        """``+``: digits as digits, or back to spelling (then the words that
        follow a number are on offer, if the text ends in one: 号, 层)."""
        leaving = self.mode is Mode.DIGITS
        self.keys = ""
        self.page = 0
        self.mode = Mode.SPELL if leaving else Mode.DIGITS
        self.after = self._number_at_end() if leaving else ""

    def insert_tapped(self, text: str) -> None:
        """A tapped key that writes itself (a digit, a mark, a space); after
        a digit, the words that follow a number are on offer."""
        self.keys = ""
        self.insert(text)
        self.after = self._number_at_end() if text.isdigit() else ""

    def _number_at_end(self) -> str:
        digits = len(self.text) - len(self.text.rstrip("0123456789"))
        return self.text[len(self.text) - digits :] if digits else ""

    def clear(self) -> None:
        self.text = self.keys = self.after = ""
        self.mode = Mode.SPELL
        self.page = 0

    # -- the keypad -------------------------------------------------------

    def press(self, key: str) -> Outcome:
        """One keypad key: "0"-"9", "." (delete), "+" (digits) or "enter"."""
        if key == "enter":
            if self.keys and self.candidates():
                self.choose(1)
                return Outcome.HANDLED
            if self.keys:  # nothing matches: drop the keys, keep the text
                self.keys = ""
                self.mode = Mode.SPELL
                return Outcome.HANDLED
            return Outcome.FINISH
        if key == ".":
            self.delete()
            return Outcome.HANDLED
        if key == "+":
            self.switch_digits()
            return Outcome.HANDLED
        if not (len(key) == 1 and key.isdigit()):
            return Outcome.IGNORED
        if self.mode is Mode.DIGITS:
            self.insert(key)
        elif self.mode is Mode.CHOOSE:
            if key == "0":
                self.page = (self.page + 1) % self.page_count()
            else:
                self.choose(int(key))
        elif key == "0":
            if self.candidates():
                self.mode = Mode.CHOOSE
                self.page = 0
        elif key == "1":
            if not self.keys:
                self.insert("," if self.english else "，")
        else:
            if self.keys and self.by_letters:
                self.keys = ""  # letters half spelled: the digits start anew
            self.by_letters = False
            self._spell(key)
        return Outcome.HANDLED

    def hint_key(self) -> str:
        """The translation key of the rule for the current mode."""
        if self.mode is Mode.DIGITS:
            return "writing.rule_digits"
        if self.mode is Mode.CHOOSE:
            return "writing.rule_choose"
        if self.keys:
            return "writing.rule_spelling"
        if self.following():
            return "writing.rule_following"
        return "writing.rule_spell" if self.phrases else "writing.rule_spell_plain"
