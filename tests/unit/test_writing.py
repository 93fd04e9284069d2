"""Writing without an input method: the dictionary and the composer."""

from __future__ import annotations

from importlib import resources

import pytest

from kiosk.writing.composer import Composer, Mode, Outcome
from kiosk.writing.dictionary import (
    Following,
    load_dictionary,
    parse_chinese,
    parse_english,
    to_digits,
)

LEAK = "568" + "7484"  # lou shui


@pytest.fixture(scope="module")
def dictionary():
    return load_dictionary()


def texts(candidates):
    return [c.text for c in candidates]


def press_all(composer: Composer, keys: str) -> None:
    for key in keys:
        assert composer.press(key) is Outcome.HANDLED


def test_keypad_letters():
    assert to_digits("loushui") == LEAK
    assert to_digits("wangxiuying") == "92649489464"
    assert to_digits("lv") == "58"  # ü is typed as v


def test_whole_words_come_before_single_characters(dictionary):
    found = dictionary.chinese.candidates(LEAK)
    assert found[0].text == "漏水"
    assert found[0].consumed == len(LEAK)
    assert found[0].spelling == "lou shui"
    words_end = next(i for i, c in enumerate(found) if len(c.text) == 1)
    assert all(len(c.text) == 1 for c in found[words_end:] if c.consumed == 7)


@pytest.mark.parametrize(
    ("keys", "letters", "word"),
    [
        (LEAK, False, "漏水"),
        ("57", False, "漏水"),  # by initials
        ("5687", False, "漏水"),  # the last syllable begun
        ("loushui", True, "漏水"),
        ("ls", True, "漏水"),
        (to_digits("loudao"), False, "楼道"),
        (to_digits("danyuan"), False, "单元"),
        (to_digits("wuye"), False, "物业"),
        (to_digits("dianti"), False, "电梯"),
        (to_digits("zaoyin"), False, "噪音"),
        (to_digits("zhandao"), False, "占道"),
        (to_digits("feixianchongdian"), False, "飞线充电"),
    ],
)
def test_domain_words_come_first(dictionary, keys, letters, word):
    assert dictionary.chinese.candidates(keys, letters=letters)[0].text == word


def test_a_name_is_on_the_first_page(dictionary):
    # a name is written character by character: each on the first two pages
    for char, spelling in (("王", "wang"), ("秀", "xiu"), ("英", "ying")):
        found = dictionary.chinese.candidates(to_digits(spelling))
        assert char in texts(found[:18])


def test_syllables_split_anywhere(dictionary):
    found = texts(dictionary.chinese.candidates(to_digits("xian")))
    assert "西安" in found and "先" in found  # xi an and xian


def test_a_long_run_is_chosen_piece_by_piece(dictionary):
    keys = LEAK + to_digits("yi")
    found = dictionary.chinese.candidates(keys)
    assert ("漏水", len(LEAK)) in [(c.text, c.consumed) for c in found]


def test_no_candidates_for_what_is_not_keys(dictionary):
    assert dictionary.chinese.candidates("") == []
    assert dictionary.chinese.candidates("01") == []
    assert dictionary.chinese.candidates("[a-z]*") == []
    assert dictionary.chinese.candidates("\t\n") == []


def test_english_spells_words(dictionary):
    assert dictionary.english.candidates(to_digits("leak"))[0].text == "leak"
    assert "leaking" in texts(dictionary.english.candidates(to_digits("leak")))
    assert dictionary.english.candidates("roo", letters=True)[0].text == "roof"


def test_small_lexicons_parse():
    chinese = parse_chinese(
        "# comment\n# syllables: lou shui\n## 5\n漏水\tlou shui\n楼\tlou\n"
    )
    assert len(chinese) == 2
    assert texts(chinese.candidates("568")) == ["楼", "漏水"]
    assert chinese.candidates("5687484")[0].spelling == "lou shui"
    english = parse_english("# c\nLeak\nroof\n3d\n")
    assert texts(english.candidates("5325")) == ["leak"]


# -- the composer ----------------------------------------------------------


def composer(dictionary, **values) -> Composer:
    return Composer(limit=values.pop("limit", 500), dictionary=dictionary, **values)


def test_keypad_spells_and_enter_takes_the_first(dictionary):
    writing = composer(dictionary)
    press_all(writing, LEAK)
    assert writing.shown()[0].text == "漏水"
    assert "lou shui" in writing.spellings()
    assert writing.press("enter") is Outcome.HANDLED
    assert (writing.text, writing.keys) == ("漏水", "")
    assert writing.press("enter") is Outcome.FINISH


def test_zero_switches_to_choosing_by_number(dictionary):
    writing = composer(dictionary)
    press_all(writing, to_digits("wang"))
    assert writing.press("0") is Outcome.HANDLED
    assert writing.mode is Mode.CHOOSE
    number = texts(writing.shown()).index("王") + 1
    writing.press(str(number))
    assert writing.text == "王"
    assert writing.mode is Mode.SPELL


def test_zero_pages_while_choosing(dictionary):
    writing = composer(dictionary)
    press_all(writing, "9")
    writing.press("0")
    first = texts(writing.shown())
    writing.press("0")
    assert writing.page == 1
    assert texts(writing.shown()) != first


def test_dot_deletes_keys_then_text(dictionary):
    writing = composer(dictionary, text="楼")
    press_all(writing, "56")
    writing.press("0")
    writing.press(".")
    assert (writing.keys, writing.mode) == ("5", Mode.SPELL)
    writing.press(".")
    writing.press(".")
    assert (writing.text, writing.keys) == ("", "")
    writing.press(".")  # nothing left: nothing happens
    assert writing.text == ""


def test_digits_as_digits(dictionary):
    writing = composer(dictionary)
    press_all(writing, "+3+")
    assert writing.text == "3"
    press_all(writing, to_digits("danyuan"))
    writing.press("enter")
    assert writing.text == "3单元"


def test_phrases_are_picked_by_number_and_combined(dictionary):
    writing = composer(dictionary, phrases=("楼上漏下来", "已经好几天", "影响用电"))
    press_all(writing, "01")
    press_all(writing, "02")
    assert writing.text == "楼上漏下来，已经好几天"
    writing.language = "en"
    writing.clear()
    press_all(writing, "01")
    writing.press("0")
    writing.press("3")
    assert writing.text == "楼上漏下来, 影响用电"


def test_letters_from_the_touch_keyboard(dictionary):
    writing = composer(dictionary)
    for letter in "ls":
        writing.type_letter(letter)
    assert writing.shown()[0].text == "漏水"
    assert writing.choose(1)
    assert writing.text == "漏水"
    writing.type_letter("Q")
    writing.type_letter("!")
    assert writing.keys == "q"


def test_english_words_are_spaced(dictionary):
    writing = composer(dictionary, language="en")
    press_all(writing, to_digits("roof"))
    writing.press("enter")
    press_all(writing, to_digits("leak"))
    writing.press("enter")
    assert writing.text == "roof leak"


def test_the_limit_holds(dictionary):
    writing = composer(dictionary, limit=3, text="12345")
    assert writing.text == "123"
    press_all(writing, LEAK)
    writing.press("enter")
    assert writing.text == "123"


def test_without_the_dictionary_nothing_is_offered():
    writing = Composer(limit=10)
    press_all(writing, LEAK)
    assert writing.candidates() == []
    writing.press("enter")  # drops the keys, keeps the text
    assert writing.keys == "" and writing.text == ""


def test_nothing_is_learned_across_residents(dictionary):
    before = texts(dictionary.chinese.candidates(to_digits("wang")))
    writing = composer(dictionary)
    press_all(writing, to_digits("wang"))
    writing.press("0")
    writing.press("9")
    assert texts(dictionary.chinese.candidates(to_digits("wang"))) == before


def test_the_bench_phrases_are_thirty_real_items():
    from bench.input import PHRASES, load_phrases
    from kiosk.catalog import load_catalog

    phrases = load_phrases()
    assert len(phrases) == 30
    catalog = load_catalog()
    header = PHRASES.read_text(encoding="utf-8")
    for item, text, source in phrases:
        category, _, code = item.partition("/")
        assert catalog.category(category).item(code).details
        assert text and "\t" not in text
        assert f"\n# {source} " in header  # each phrase says where it is from


def test_every_character_is_offered_for_its_whole_spelling(dictionary):
    """Any character can be written with the keypad alone: its spelling's
    digits offer it (page by page), even where they spell 200 others."""
    spelled: dict[str, set[str]] = {}
    for line in (
        resources.files("assets")
        .joinpath("pinyin", "zh.txt")
        .read_text(encoding="utf-8")
        .splitlines()
    ):
        word, tab, spelling = line.partition("\t")
        if tab and len(word) == 1:
            spelled.setdefault(to_digits(spelling), set()).add(word)
    missing = {}
    for keys, characters in spelled.items():
        offered = {c.text for c in dictionary.chinese.candidates(keys)}
        if characters - offered:
            missing[keys] = sorted(characters - offered)[:5]
    assert missing == {}


# Surnames by the 2020 百家姓, then the given names older residents bear.
NAME_FIRST = [("wang", "王"), ("li", "李"), ("zhang", "张"), ("liu", "刘"),
              ("chen", "陈"), ("huang", "黄"), ("zhou", "周"), ("zhu", "朱"),
              ("ma", "马"), ("ouyang", "欧阳")]  # fmt: skip
GIVEN_FIRST = [("xiu", "秀"), ("ying", "英"), ("xiuying", "秀英"), ("wei", "伟"),
               ("fang", "芳"), ("lan", "兰"), ("guiying", "桂英")]  # fmt: skip


@pytest.mark.parametrize(("spelling", "surname"), NAME_FIRST)
def test_a_name_begins_with_the_commonest_surname(dictionary, spelling, surname):
    name = Composer(limit=10, dictionary=dictionary, person_name=True)
    press_all(name, to_digits(spelling))
    assert name.candidates()[0].text == surname
    name.press("enter")
    assert name.text == surname


@pytest.mark.parametrize(("spelling", "given"), GIVEN_FIRST)
def test_after_the_surname_given_names_come_first(dictionary, spelling, given):
    name = Composer(limit=10, dictionary=dictionary, person_name=True, text="王")
    press_all(name, to_digits(spelling))
    assert name.candidates()[0].text == given
    by_touch = Composer(limit=10, dictionary=dictionary, person_name=True, text="李")
    for letter in spelling:
        by_touch.type_letter(letter)
    assert by_touch.candidates()[0].text == given


def test_wang_xiu_ying_is_three_enters_on_the_keypad(dictionary):
    name = Composer(limit=10, dictionary=dictionary, person_name=True)
    for spelling in ("wang", "xiu", "ying"):
        press_all(name, to_digits(spelling))
        name.press("enter")
    assert name.text == "王秀英"


def test_names_rank_only_in_the_name_field(dictionary):
    description = Composer(limit=10, dictionary=dictionary)
    press_all(description, LEAK)
    assert description.candidates()[0].text == "漏水"
    english = Composer(limit=10, dictionary=dictionary, person_name=True, language="en")
    press_all(english, to_digits("wang"))
    assert all(c.text.isascii() for c in english.candidates())


# -- word association (联想) and phrases of several words ------------------


def test_after_a_word_the_words_that_follow_it_are_offered(dictionary):
    writing = composer(dictionary)
    press_all(writing, to_digits("louding"))
    writing.press("enter")  # 楼顶
    assert writing.text == "楼顶" and writing.keys == ""
    assert texts(writing.shown())[0] == "漏水"
    assert writing.hint_key() == "writing.rule_following"
    press_all(writing, "01")  # choosing, then its number: no spelling
    assert writing.text == "楼顶漏水"
    assert writing.following() == dictionary.following.after("漏水")


def test_a_spelling_key_leaves_the_association(dictionary):
    writing = composer(dictionary)
    press_all(writing, to_digits("louding"))
    writing.press("enter")
    press_all(writing, to_digits("yijing"))
    assert writing.following() == []
    assert texts(writing.shown())[0] == "已经"
    writing.press("enter")
    assert writing.text == "楼顶已经"


def test_a_comma_or_a_deletion_leaves_the_association(dictionary):
    writing = composer(dictionary, phrases=("楼上漏下来", "已经好几天"))
    press_all(writing, to_digits("louding"))
    writing.press("enter")
    writing.press("1")
    assert writing.text == "楼顶，"
    assert texts(writing.candidates()) == list(writing.phrases)
    press_all(writing, to_digits("louding"))
    writing.press("enter")
    writing.press(".")
    assert writing.text == "楼顶，楼"
    assert texts(writing.candidates()) == list(writing.phrases)


def test_a_phrase_is_not_followed_by_associations(dictionary):
    writing = composer(dictionary, phrases=("楼上漏下来", "已经好几天"))
    press_all(writing, "01")  # a common detail
    assert writing.text == "楼上漏下来"
    assert writing.following() == []
    assert texts(writing.candidates()) == list(writing.phrases)


def test_no_association_in_english_or_in_a_name(dictionary):
    english = Composer(limit=100, language="en", dictionary=dictionary)
    press_all(english, to_digits("water"))
    english.press("enter")
    assert english.following() == [] and english.hint_key() != "writing.rule_following"
    name = Composer(limit=20, dictionary=dictionary, person_name=True)
    press_all(name, to_digits("wang"))
    name.press("enter")
    assert name.following() == []


def test_a_phrase_of_several_words_ends_in_the_follow_of_its_last(dictionary):
    assert dictionary.following.after("楼道里") == dictionary.following.after("里")
    assert dictionary.following.after("") == []


@pytest.mark.parametrize(
    ("spelled", "phrase"),
    [
        ("loudaoli", "楼道里"),
        ("loudaol", "楼道里"),
        ("jiukeyi", "就可以"),
        ("jiuky", "就可以"),
    ],  # fmt: skip
)
def test_several_words_spelled_at_once_offer_the_phrase(dictionary, spelled, phrase):
    writing = composer(dictionary)
    press_all(writing, to_digits(spelled))
    assert phrase in texts(writing.candidates())[:2]


def test_the_association_is_the_same_for_every_resident(dictionary):
    first = composer(dictionary)
    press_all(first, to_digits("louding"))
    first.press("enter")
    before = first.following()
    press_all(first, "07")  # a resident takes the seventh
    second = composer(dictionary)
    press_all(second, to_digits("louding"))
    second.press("enter")
    assert second.following() == before


def test_following_parses_its_lines():
    following = Following("# a comment\n楼顶\t漏水 的\n水\t管\n")
    assert following.after("楼顶") == ["漏水", "的"]
    assert following.after("自来水") == ["管"]  # its longest listed ending
    assert following.after("门") == []
    # a word's own followers first, then (deduplicated) its ending's
    backed_off = Following("楼顶\t漏水\n顶\t层 漏水\n")
    assert backed_off.after("楼顶") == ["漏水", "层"]


def test_after_a_number_the_words_that_follow_numbers_are_offered(dictionary):
    writing = composer(dictionary)
    press_all(writing, "+11+")  # 11 as digits, then back to spelling
    assert writing.text == "11"
    offered = texts(writing.candidates())
    assert {"岁", "号", "楼"} <= set(offered[:18])  # on the first two pages
    assert writing.hint_key() == "writing.rule_following"
    page, number = divmod(offered.index("号"), 9)
    press_all(writing, "0" * (1 + page) + str(number + 1))
    assert writing.text == "11号"
    tapped = composer(dictionary)
    tapped.insert_tapped("3")  # the touch keyboard's digit
    assert tapped.following() == dictionary.following.after("0")
    tapped.insert_tapped("，")
    assert tapped.following() == []


def test_the_bench_resident_takes_what_the_screen_offers_after_a_word():
    from bench.input import Writer

    writer = Writer()
    cost, steps = writer.write("楼顶的", ())
    word_cost = writer.word_cost("楼顶")
    assert word_cost is not None
    assert steps == ["5 楼顶", "联想 的"] and cost == word_cost[0] + 2  # 0 2
    cost, steps = Writer().write("11号", ())
    assert steps[-1] == "联想 号"
    words_only_cost, words_only_steps = Writer(words_only=True).write("11号", ())
    assert "联想 号" not in words_only_steps and words_only_cost > cost


# -- several words in one run of keys (整句) ---------------------------------


@pytest.mark.parametrize(
    ("spelled", "sentence"),
    [
        ("xiwangjinkuaijiejue", "希望尽快解决"),
        ("lajimeirenqingli", "垃圾没人清理"),
        ("woxiwangjinkuaichuli", "我希望尽快处理"),
        ("diantihuaile", "电梯坏了"),
    ],
)
def test_a_sentence_spelled_in_one_run_is_the_first_candidate(
    dictionary, spelled, sentence
):
    for keys, letters in ((to_digits(spelled), False), (spelled, True)):
        writing = composer(dictionary)
        if letters:
            for letter in keys:
                writing.type_letter(letter)
        else:
            press_all(writing, keys)
        first = writing.candidates()[0]
        assert (first.text, first.consumed) == (sentence, len(keys))
        assert writing.press("enter") is Outcome.HANDLED
        assert (writing.text, writing.keys) == (sentence, "")


@pytest.mark.parametrize(
    ("spelled", "sentence"),
    [
        # shui spelled whole was read as s hui (社会); du as d t (电梯);
        # ping shi xi guan as 水管你是一还
        ("quanshishui", "全是水"),
        ("doushishui", "都是水"),
        ("duzaidanyuanmenkou", "都在单元门口"),
        ("pingshixiguan", "平时喜欢"),
    ],
)
def test_syllables_spelled_whole_are_read_whole_in_a_sentence(
    dictionary, spelled, sentence
):
    for category in ("", "housing"):
        found = dictionary.sentence(to_digits(spelled), category=category)
        assert found is not None and found.text == sentence


def test_a_sentence_offers_its_first_word_next_and_its_spelling(dictionary):
    writing = composer(dictionary)
    press_all(writing, to_digits("diantihuaile"))
    assert texts(writing.shown()[:2]) == ["电梯坏了", "电梯"]
    assert writing.spellings()[0] == "dian ti huai le"
    writing.press("0")
    writing.press("2")  # the first word alone: the rest stays spelled
    assert writing.text == "电梯"
    assert writing.keys == to_digits("huaile")
    assert writing.candidates()[0].text == "坏了"


@pytest.mark.parametrize("spelled", ["loushui", "loudao", "dianti", "yijing"])
def test_a_word_spelled_whole_stays_first(dictionary, spelled):
    writing = composer(dictionary)
    press_all(writing, to_digits(spelled))
    assert (
        writing.candidates()[0].text
        == dictionary.chinese.candidates(to_digits(spelled))[0].text
    )


def test_a_sentence_is_the_same_for_every_resident(dictionary):
    from kiosk.writing.dictionary import clear_caches

    keys = to_digits("lajimeirenqingli")
    first = dictionary.sentence(keys)
    for other in ("woxiwangjinkuaichuli", "lajimeiren", "diantihuaile"):
        writing = composer(dictionary)
        press_all(writing, to_digits(other))
        writing.press("enter")
    assert dictionary.sentence(keys) == first
    clear_caches()  # looked up afresh: the same
    assert dictionary.sentence(keys) == first


def test_no_sentence_for_one_word_or_in_english_or_a_name(dictionary):
    assert dictionary.sentence(LEAK) is None
    assert dictionary.sentence("9") is None
    english = composer(dictionary, language="en")
    press_all(english, to_digits("waterleak"))
    assert all(c.text.isascii() for c in english.candidates())
    name = composer(dictionary, person_name=True)  # a name: surname first
    press_all(name, to_digits("wangxiuying"))
    assert name.candidates()[0].text == "王"


# -- the request's own words ------------------------------------------------


@pytest.mark.parametrize(
    ("category", "keys", "word"),
    [
        ("housing", "77", "渗水"),  # s s
        ("order", "77", "拴绳"),
        ("fire", "3", "电动车"),  # d …
        ("market", "96", "油烟"),  # y y
    ],
)
def test_the_requests_own_words_come_first(dictionary, category, keys, word):
    writing = composer(dictionary, category=category)
    press_all(writing, keys)
    assert writing.candidates()[0].text == word
    plain = composer(dictionary)
    press_all(plain, keys)
    assert plain.candidates()[0].text != word  # only in its own requests


def test_every_category_has_its_own_words(dictionary):
    from kiosk.catalog import load_catalog

    for category in load_catalog().categories:
        assert len(dictionary.context(category.code)) >= 10, category.code
    assert len(dictionary.context("")) == 0
    assert len(dictionary.context("no-such-category")) == 0


def test_the_requests_own_words_show_their_syllables(dictionary):
    writing = composer(dictionary, category="housing")
    press_all(writing, LEAK)
    assert writing.spellings() == ["lou shui"]


@pytest.mark.parametrize(
    ("spelled", "own", "plain"),
    [
        ("wudingshenshui", "屋顶渗水", "屋顶深水"),
        ("tianhuabanshenshui", "天花板渗水", None),
    ],
)
def test_a_sentence_prefers_the_requests_own_words(dictionary, spelled, own, plain):
    keys = to_digits(spelled)
    assert dictionary.sentence(keys, category="housing").text == own
    elsewhere = dictionary.sentence(keys, category="order")
    assert elsewhere is None or elsewhere.text != own
    if plain:
        assert dictionary.sentence(keys).text == plain
    writing = composer(dictionary, category="housing")
    press_all(writing, keys)
    writing.press("enter")
    assert writing.text == own
