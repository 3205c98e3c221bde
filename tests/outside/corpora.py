"""Messages written outside the project, mapped onto Concord's intents: an evaluation set.

The texts come from public packages whose authors never saw Concord: ChatterBot's contributed
corpus, Home Assistant's voice-command templates, real chats between people (chitchat-dataset),
OVOS skill intents, CLDR's yes/no words and Rasa's starter bot. They show how the NLU copes with
wording nobody here thought of, so they are never used for training or for writing examples:
that would make them ours and the measure worthless.

`fetch` downloads the pinned archives into a cache directory and `rows` reads the texts straight
out of them (Rasa's starter data out of .venv-rasa), so no third-party text is stored in the repo.
The mapping was decided by hand, source by source: a label carries over only where it means the
same to a payment assistant (greetings, thanks, goodbyes, "are you a bot?", yes/no); everything
else people ask a chat partner or a smart speaker is out_of_scope, unless it touches money,
stopping or pausing, the bot itself or languages, which our own intents claim. No source has
anything for the account and payment intents. Big pools are sampled with a fixed seed.
"""

import ast
import hashlib
import itertools
import json
import random
import re
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from hassil.errors import HassilError
from hassil.expression import Sentence
from hassil.intents import Intents
from hassil.sample import sample_sentence

from bot.config import ROOT

LANGUAGES = ("en", "es", "hi", "id", "ja", "ko", "ms", "th", "tl", "vi", "zh")
# At most this many rows per source, intent and language, so that one big pool cannot swamp a
# language; the sample is fixed by SEED.
CAP = 300
SEED = 20240601


@dataclass(frozen=True)
class Row:
    """One outside message and the intent it means to us."""

    source: str  # a name in SOURCES
    language: str  # one of LANGUAGES (zh includes Traditional; hi includes romanised Hindi)
    intent: str
    text: str


@dataclass(frozen=True)
class Source:
    """A pinned package the messages come from: one line of the table the README quotes."""

    name: str
    version: str
    registry: Literal["PyPI", "npm", "installed"]  # "installed": read from .venv-rasa, not fetched
    licence: str
    used: str


SOURCES = (
    Source(
        "rasa",
        "3.6.21",
        "installed",
        "Apache-2.0",
        "rasa/cli/initial_project/data/nlu.yml (the `rasa init` bot): greet, goodbye, affirm, deny, bot_challenge",
    ),
    Source(
        "chatterbot-corpus",
        "1.3.3",
        "PyPI",
        "BSD-3-Clause",
        "data/<language>/*.yml: hand-picked greetings, thanks, agreements and 'are you a robot?' turns; "
        "first turns of the topic files (science, history, sports …) as out_of_scope",
    ),
    Source(
        "home-assistant-intents",
        "2026.12.1",
        "PyPI",
        "Apache-2.0",
        "data/<lang>.json, rendered with hassil: smart-home commands as out_of_scope, HassRespond 'hello' as greet",
    ),
    Source(
        "chitchat-dataset",
        "0.9.0",
        "PyPI",
        "MIT",
        "dataset.json (English chats between people): opening greetings, closing goodbyes, thanks, "
        "mid-chat questions as out_of_scope",
    ),
    Source(
        "ovos-skill-hello-world",
        "0.2.1",
        "PyPI",
        "Apache-2.0",
        "locale/{en-us,es-es}: Greetings and HowAreYou as greet, ThankYouKeyword as thank",
    ),
    Source(
        "ovos-skill-personal",
        "0.1.19",
        "PyPI",
        "Apache-2.0",
        "locale/{en-us,es-es}: WhatAreYou and the 'who are you' lines of WhoAreYou as bot_challenge",
    ),
    Source(
        "ovos-skill-date-time",
        "1.1.5",
        "PyPI",
        "Apache-2.0",
        "locale/{en-us,es-es}/*.intent as out_of_scope",
    ),
    Source(
        "ovos-skill-weather",
        "1.0.6",
        "PyPI",
        "Apache-2.0",
        "locale/{en-us,es-es}/*.intent as out_of_scope",
    ),
    Source(
        "ovos-skill-wikipedia",
        "0.8.13",
        "PyPI",
        "Apache-2.0",
        "locale/{en-us,es-es}/*.intent as out_of_scope",
    ),
    Source(
        "ovos-skill-icanhazdadjokes",
        "0.3.7",
        "PyPI",
        "Apache-2.0",
        "locale/{en-us,es-es}/*.intent as out_of_scope",
    ),
    Source(
        "yes-no-words",
        "2022.4.8",
        "PyPI",
        "Apache-2.0",
        "yes_no_words.py (English): YES as affirm, NO as deny, less the words that mean something else to us",
    ),
    Source(
        "ovos-yes-no-plugin",
        "0.3.0",
        "PyPI",
        "Apache-2.0",
        "locale/{en-US,es-ES}/yesno.json: 'yes' as affirm, 'no' as deny (not the 'neutral' lists)",
    ),
    Source(
        "cldr-misc-full",
        "48.2.0",
        "npm",
        "Unicode-3.0",
        "main/<locale>/posix.json: yesstr as affirm, nostr as deny, in all eleven languages",
    ),
)
_BY_NAME = {s.name: s for s in SOURCES}


def fetch(cache: Path) -> None:
    """Download the pinned archives that `cache` does not have yet (about 14 MB)."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = [s for s in SOURCES if s.registry != "installed" and not _find(cache, s)]
    wheels = [f"{s.name}=={s.version}" for s in missing if s.registry == "PyPI"]
    if wheels:
        # wheels only: an sdist would run its setup.py just to be downloaded
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
        subprocess.run([*pip, "--dest", str(cache), *wheels], check=True)
    for s in missing:
        if s.registry == "npm":
            subprocess.run(
                ["npm", "pack", "--silent", f"{s.name}@{s.version}"],
                cwd=cache,
                check=True,
                stdout=subprocess.DEVNULL,
            )


def rows(cache: Path) -> list[Row]:
    """The evaluation set in a fixed order, from the archives `fetch` put in `cache`."""
    found = [
        *_rasa(),
        *_chatterbot(cache),
        *_home_assistant(cache),
        *_chitchat(cache),
        *_ovos(cache),
        *_cldr(cache),
        *_yes_no_words(cache),
        *_ovos_yes_no(cache),
    ]
    # a text that two sources share is kept once, from the earlier one
    return _dedupe(found)


# --------------------------------------------------------------------------- helpers


def _find(cache: Path, source: Source) -> Path | None:
    if source.registry == "npm":
        pattern = f"{source.name}-{source.version}.tgz"
    else:
        pattern = f"{source.name.replace('-', '_')}-{source.version}-*.whl"
    return next(iter(sorted(cache.glob(pattern))), None)


def _archive(cache: Path, name: str) -> Path:
    path = _find(cache, _BY_NAME[name])
    if path is None:
        raise FileNotFoundError(f"{name} is not in {cache}: call fetch({str(cache)!r}) first")
    return path


def _wheel(cache: Path, name: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(_archive(cache, name))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> int:
    return len(text.split())


def _dedupe(found: list[Row]) -> list[Row]:
    """The first row of each (language, intent, case-folded text)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for row in found:
        key = (row.language, row.intent, row.text.casefold())
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def _capped(pool: list[Row], label: str) -> list[Row]:
    """The pool deduplicated; if more than CAP rows are left, a sample of CAP (seeded by `label`) by text."""
    pool = _dedupe(pool)
    if len(pool) <= CAP:
        return pool
    return sorted(random.Random(f"{SEED}:{label}").sample(pool, CAP), key=lambda r: r.text)


# Words that bring an unrelated message too close to what a payment assistant handles itself, so it
# is not a fair out_of_scope row: money and accounts (FIN); "stop", "pause", "cancel", which mean
# opt_out, request_extension or deny to us (HALT); the bot itself (BOT); languages (LANGUAGE).
FIN = re.compile(
    r"(?i)\b(money|pay|paid|paying|payment|bill|bills|debt|loan|bank|credit|owe|owed|balance|"
    r"account|dollars?|cash|rent|price|prices|cost|costs|fee|fees|afford|budget|salary|broke|"
    r"spend|bought|buy|card|pounds?|cheap|expensive|refund|reference|ref|tax|taxes|stock|ticket|how much|"
    r"dinero|pagar|pago|deuda|cuenta|precio|uang|bayar|hutang|utang|tagihan|harga|"
    r"pinjam|pinjaman|wang|bayaran|tiền|trả|nợ)\b"
    r"|\$|お金|支払|借金|料金|値段|口座|돈|결제|빚|계좌|가격|钱|錢|付款|欠|账|帳|价格|價格|费|費|消费|消費|元|"
    r"पैसा|पैसे|भुगतान|कर्ज|बिल|เงิน|จ่าย|หนี้|บิล|ราคา"
)
HALT = re.compile(
    r"(?i)\b(stop|pause|paused|cancel|unsubscribe|resume|parar|para|pausa|pausar|detener|detén|cancelar|"
    r"berhenti|hentikan|henti|jeda|batal|batalkan|dừng|hủy|huỷ)\b"
    r"|停止|暂停|暫停|取消|止め|一時停止|キャンセル|멈춰|정지|취소|중지|หยุด|ยกเลิก|रोको|रोकें|रद्द"
)
BOT = re.compile(r"(?i)\b(bot|robot|human|real person|who is this|who are you|your name)\b")
LANGUAGE = re.compile(
    r"(?i)\b(english|spanish|language|speak|hindi|chinese|japanese|korean|"
    r"thai|tagalog|malay|vietnamese|indonesian)\b"
)
# scripts that put spaces between words (Latin, Devanagari; not Thai)
SPACED = re.compile(r"[A-Za-z\u00C0-\u024F\u0900-\u097F]")
THAI = re.compile(r"[\u0E00-\u0E7F]")


def _out_of_scope_ok(text: str) -> bool:
    if FIN.search(text) or HALT.search(text) or BOT.search(text) or LANGUAGE.search(text):
        return False
    # one word or two characters is too little to be a question about anything
    if SPACED.search(text) and not THAI.search(text):
        return _words(text) >= 2
    return len(text) >= 3


# --------------------------------------------------------------------------- rasa

RASA_INTENTS = {"greet", "goodbye", "affirm", "deny", "bot_challenge"}  # not mood_great/mood_unhappy
RASA_DROP = {"let's go", "moin"}  # Rasa's greetings, but not greetings in our languages


def _rasa() -> list[Row]:
    found = sorted(
        (ROOT / ".venv-rasa" / "lib").glob("python3*/site-packages/rasa/cli/initial_project/data/nlu.yml")
    )
    if not found:
        raise FileNotFoundError("Rasa's initial project is not in .venv-rasa: run make install")
    out = []
    for block in yaml.safe_load(found[0].read_text(encoding="utf-8"))["nlu"]:
        if block["intent"] not in RASA_INTENTS:
            continue
        lines = (line.strip() for line in block["examples"].splitlines())
        texts = (line[2:].strip() for line in lines if line.startswith("- "))
        out += [Row("rasa", "en", block["intent"], t) for t in texts if t and t not in RASA_DROP]
    return out


# --------------------------------------------------------------------------- chatterbot

CB_LANGUAGES = {
    "english": "en",
    "spanish": "es",
    "hindi": "hi",
    "hinglish": "hi",
    "indonesian": "id",
    "japanese": "ja",
    "korean": "ko",
    "chinese": "zh",
    "traditionalchinese": "zh",
    "thai": "th",
}
# The first turn of these topic files is out_of_scope. Left out: ai/botprofile (insults and talk
# about robots), emotion/psychology/gossip (the bot's feelings) and money.
CB_TOPICS = {
    "computers",
    "history",
    "literature",
    "movies",
    "politics",
    "science",
    "sports",
    "trivia",
    "food",
    "health",
    "humor",
    "coding",
}
# Turns picked by hand from the greetings, conversations and ai files of each language, named by
# _cb_hash so that no corpus text lives here: plain greetings and "how are you" / "nice to meet you"
# openers, "thank you" lines, "are you a robot / who are you / what are you", and "yes it is /
# I agree" replies. Not picked: "buenas noches" (greeting or goodbye), "have you eaten?" idioms,
# and machine-translation oddities such as the Hindi and Japanese "top of the morning".
CB_PICKS = {
    "greet": """
        4b9013806334 ef68210d27bb fdc980cd8815 fc4fb0094f09 5fbdbb074bfe e63ec60ca627 7b718e9d67c2
        409785e0d891 6c383532a265 bda10cd2a38b fe7badf99f5c 9f69e1d56b2d 5ce5075517d2 8b63a7bc03db
        8f3e98c0f474 069844e3ca4b 9c8bf141d20c 329f13666bca 5e83bb71db89 55575b6ea195 51fdf850613c
        f32879ca5d2e 97cf11474d16 e4adff709b85 39cf064c01e2 80ed2725d3a3 9cf07a41f058 03acc08693fe
        6e9a78277fd0 858799c43bf7 761c7e29266d 3e3c2afff010 8d5205925784 98dc0b4abd26 2f5f81b212d6
        bd65307bf458 6bb93cc74ec5 da245f5a229b 16d2f4554d9e 8c3b1c9181ec 75330669a5df ee580fedcd41
        75178f9dab8e 5adb90ee0ce6 39f8b34eb239 ff682669120d 8ed7b5d9cb86 2b13bbbe7ab7 a7749ed66aa8
        1de6b67b92c4 a9ce2fdce7a9 6e99cbe51ed9 1817ec1a62dd ce7dc122de0a 5fa5d591136e ae7d320732bf
        5fe90ae271f3 c9dc3e8ef926 2522bd4ac544 590c81ebeb18 ebda5160caf7 ad72574780fe 8259ffdca926
        46df6b0e933a 4f94b48cf6ff 9fd468be08a5 307dd44af241 19978f3aee07 834a90561576 50a804bf9b8a
        c28db588ce63 8af9634163fc 0dfc2f548d08 48d298bcf69e c9bc4727c402 bfde3306eeda 8e75b626b4f3
        6e71f01929b7 56fae0b8c679 f16913245b7a f4b7e6426650 6eae1fecc046 e8829d74981f 65f8110d7a57
        6c1d32b2a87f af7423d9db31 b53b0d75a39b 464449a46086 307a7379938c b7eac6112a05 b0f3f68a5a81
        4766792de329 949790bfae27 e540b9249d07 976a9c366eae f003e4dbd166 86c81ddea7cf 4dbf7a7348b1
        3b35467a0b61 7421b4d55cb8 52548272d31f 3a5f05dfd51c 8299149adff1 40b7fa6b5f95 0cfda01e6a29
        8c7f0e818156 d2aa5850e442 d23b429d55ff a181cfca9311 12605c4a29b3 ff989aeb127a bafb914bdd4e
        f044f4087865 9ce63c511a65 733ae3f0846c 6d9903097e6e 0ced108ead06 ea39e86bd35a 9053ce4ddc77
        15787f923628 44bb1f4c3e9d 5e89b4fc15cf c95a41f44bab
    """,
    "thank": """
        e543e83d3a32 8daeb6977dd6 7d9beb25a669 88d5d4a720f4 58e4588adac7 bcc426724793 62124af7913c
        a6c3159347d6 d6709e08e551 d2620af9ed5a 818bbe2881f0 d1fd961a09ff 7cf22cef4540 1fe641e26fb8
        525ba07ac910 12dd939d6343 929f42fed2a7 a529e58c1382
    """,
    "bot_challenge": """
        f04e376bd6d8 73fb8ddff471 30bd43e663da 69ba33e2c76d 455cf2cdd4e0 d9faeec686b5 722881588a90
        fba4714eb7fa 0bb7803f343a d71c99c08d83 861dfc4dcdca dd9498ba9104 673713b7eea5 df091e9191f9
        ba8003c0b7ee eab04af5b8e2 38229ad288d2 082f99098d24 af4291995938 98de11da5533 8300f02cbd15
        4d4ec48c59d6 28d32912b437
    """,
    "affirm": """
        fce68e223fd1 335895ba90bf 6dd7cf09d9e9 98cab3e185d5 d037c04327de 8b60b346f75a 09f3ab37e8f9
        07e67aaba635 7e534722d9f4 4589718dc4c1 71a48c8ececc 2b0db3b75ef4 c8b08e8124c5 7a853a8e0e1b
        c2947ba79553 6cfaf9d20887 7c685a2b7571 5a3328ae5491 6262a0a6712c c3ee7e518fd7 7de475509e08
        fa3ecda2e54b
    """,
    "goodbye": """
        31dc848f4631
    """,
}
_CB_INTENT = {digest: intent for intent, digests in CB_PICKS.items() for digest in digests.split()}


def _cb_hash(language_dir: str, text: str) -> str:
    return hashlib.sha1(f"{language_dir}\x00{text}".encode()).hexdigest()[:12]


# libyaml when PyYAML has it: the pure-Python loader takes seconds over the corpus
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _chatterbot(cache: Path) -> list[Row]:
    picked = []
    out_of_scope: defaultdict[str, list[Row]] = defaultdict(list)
    with _wheel(cache, "chatterbot-corpus") as whl:
        for name in whl.namelist():
            match = re.fullmatch(r"chatterbot_corpus/data/([^/]+)/([^/]+)\.yml", name)
            if not match or match[1] not in CB_LANGUAGES:
                continue
            language_dir, topic = match.groups()
            language = CB_LANGUAGES[language_dir]
            for conversation in yaml.load(whl.read(name), Loader=_YAML_LOADER).get("conversations") or []:
                for turn, utterance in enumerate(conversation):
                    text = _norm(str(utterance))
                    intent = _CB_INTENT.get(_cb_hash(language_dir, text))
                    if intent:
                        picked.append(Row("chatterbot-corpus", language, intent, text))
                    if turn == 0 and topic in CB_TOPICS and _out_of_scope_ok(text):
                        out_of_scope[language].append(
                            Row("chatterbot-corpus", language, "out_of_scope", text)
                        )
    return picked + [r for lang, pool in out_of_scope.items() for r in _capped(pool, f"cb:{lang}")]


# --------------------------------------------------------------------------- home assistant

HA_LANGUAGES = {
    "en": "en",
    "es": "es",
    "hi": "hi",
    "id": "id",
    "ja": "ja",
    "ko": "ko",
    "ms": "ms",
    "th": "th",
    "vi": "vi",
    "zh-CN": "zh",
    "zh-TW": "zh",
}  # zh-HK is Cantonese
HA_SKIP = {"HassNevermind"}  # "never mind" / "cancel" could be deny or opt_out to us
HA_PRODUCT = re.compile(r"(?i)home ?assistant|家庭助手|โฮม")


def _render(
    sentence: Sentence, intents: Intents, rules: dict[str, Sentence], language: str, limit: int
) -> list[str]:
    """The first `limit` renderings of a template, optional parts left out."""
    renderings = sample_sentence(
        sentence, intents.slot_lists, rules, language=language, expand_ranges=False, skip_optionals=True
    )
    try:
        texts = list(itertools.islice(renderings, limit))
    except HassilError:
        return []  # the template needs a list that only a running Home Assistant has ({name}, {area})
    return [t for t in map(_norm, texts) if t and "{" not in t and not HA_PRODUCT.search(t)]


def _home_assistant(cache: Path) -> list[Row]:
    out = []
    with _wheel(cache, "home-assistant-intents") as whl:
        for ha_language, language in HA_LANGUAGES.items():
            intents = Intents.from_dict(
                json.loads(whl.read(f"home_assistant_intents/data/{ha_language}.json"))
            )
            out_of_scope = []
            for name, intent in intents.intents.items():
                if name in HA_SKIP:
                    continue
                for data in intent.data:
                    rules = {**intents.expansion_rules, **data.expansion_rules}
                    if name == "HassRespond":
                        # only "hello"; not "are you listening", "who made you", "what can I say"
                        if data.response == "hello":
                            for sentence in data.sentences:
                                out += [
                                    Row("home-assistant-intents", language, "greet", t)
                                    for t in _render(sentence, intents, rules, ha_language, 50)
                                ]
                        continue
                    # two renderings per template: the rest vary only a device or a number
                    for sentence in data.sentences:
                        out_of_scope += [
                            Row("home-assistant-intents", language, "out_of_scope", t)
                            for t in _render(sentence, intents, rules, ha_language, 2)
                            if _out_of_scope_ok(t)
                        ]
            out += _capped(out_of_scope, f"ha:{ha_language}")
    return out


# --------------------------------------------------------------------------- chitchat

GREETING = re.compile(r"(?i)^(hi+|hello+|hey+|hiya|howdy|good (morning|afternoon|evening)|greetings|yo)\b")
FAREWELL = re.compile(
    r"(?i)(^|[.!,]\s*|\b(ok(ay)?|alright|well|so|k)\s+)(bye+|bye bye|goodbye|good bye|"
    r"see (you|ya)( later| around| soon)?|talk (to you |2 you |with you )?(later|soon)|ttyl|"
    r"good ?night|take care|have a (good|great|nice|wonderful) (day|night|one|evening|weekend|afternoon))\b"
)
THANKS = re.compile(r"(?i)^(thanks|thank you|thx|ty)\b")
# a question opening with these answers the partner rather than asking something new
REPLY = re.compile(
    r"(?i)^(yes|yeah|yep|no|nope|ok|okay|sure|great|thanks?|thank you|perfect|that|alright|not)\b"
)


def _chitchat_intent(text: str, index: int, length: int) -> str | None:
    """What a message of a chat means to us, from its place in the chat and its opening words."""
    # "hi, who is this?" asks about the bot
    if index == 0 and _words(text) <= 6 and GREETING.match(text) and not re.search(r"(?i)\bwho\b", text):
        return "greet"
    if index >= length - 2 and _words(text) <= 10 and FAREWELL.search(text) and "?" not in text:
        return "goodbye"
    if _words(text) <= 6 and THANKS.match(text) and "?" not in text and not re.search(r"[:;]\(", text):
        return "thank"
    # a question well into the chat: the small talk a user could bring to any assistant
    if (
        index >= 2
        and text.endswith("?")
        and 5 <= _words(text) <= 20
        and _out_of_scope_ok(text)
        and not REPLY.match(text)
        and not GREETING.match(text)
        and not FAREWELL.search(text)
        and not THANKS.match(text)
    ):
        return "out_of_scope"
    return None


def _chitchat(cache: Path) -> list[Row]:
    with _wheel(cache, "chitchat-dataset") as whl:
        chats = json.loads(whl.read("chitchat_dataset/dataset.json"))
    pools: defaultdict[str, list[Row]] = defaultdict(list)
    for chat_id in sorted(chats):
        messages = [_norm(m["text"]) for turn in chats[chat_id]["messages"] for m in turn]
        for index, text in enumerate(messages):
            intent = _chitchat_intent(text, index, len(messages)) if text else None
            if intent:
                pools[intent].append(Row("chitchat-dataset", "en", intent, text))
    return [r for intent, pool in pools.items() for r in _capped(pool, f"cc:{intent}")]


# --------------------------------------------------------------------------- OVOS skills

OVOS_LANGUAGES = {"en-us": "en", "es-es": "es"}
OVOS_FILES = (  # package, file name ending, intent
    ("ovos-skill-hello-world", "/Greetings.intent", "greet"),
    ("ovos-skill-hello-world", "/HowAreYou.intent", "greet"),
    ("ovos-skill-hello-world", "/ThankYouKeyword.voc", "thank"),
    ("ovos-skill-personal", "/WhatAreYou.intent", "bot_challenge"),
    ("ovos-skill-personal", "/WhoAreYou.intent", "bot_challenge"),
    ("ovos-skill-date-time", ".intent", "out_of_scope"),
    ("ovos-skill-weather", ".intent", "out_of_scope"),
    ("ovos-skill-wikipedia", ".intent", "out_of_scope"),
    ("ovos-skill-icanhazdadjokes", ".intent", "out_of_scope"),
)
# WhoAreYou.intent also asks "what is your name" and "tell me about yourself"
OVOS_WHO = re.compile(r"(?i)^(who are you|who do you identify as|qui[eé]n eres( t[uú])?)$")


def _expand(line: str) -> list[str]:
    """The utterances of a .intent/.voc line: "(a|b)" groups and top-level "a|b" expanded."""
    line = line.strip()
    if not line or line.startswith("#"):
        return []
    group = re.search(r"\(([^()]*)\)", line)
    if group:
        return [
            t
            for alt in group[1].split("|")
            for t in _expand(line[: group.start()] + alt + line[group.end() :])
        ]
    return [t for t in map(_norm, line.split("|")) if t]


def _ovos(cache: Path) -> list[Row]:
    out = []
    for ovos_language, language in OVOS_LANGUAGES.items():
        # the skills share one out_of_scope pool, so that OVOS as a whole gives at most CAP rows
        out_of_scope = []
        for package, ending, intent in OVOS_FILES:
            with _wheel(cache, package) as whl:
                for name in sorted(whl.namelist()):
                    if f"/locale/{ovos_language}/" not in name or not name.endswith(ending):
                        continue
                    for line in whl.read(name).decode().splitlines():
                        for text in _expand(line):
                            if "{" in text or (ending == "/WhoAreYou.intent" and not OVOS_WHO.match(text)):
                                continue
                            if intent != "out_of_scope":
                                out.append(Row(package, language, intent, text))
                            elif _out_of_scope_ok(text):
                                out_of_scope.append(Row(package, language, intent, text))
        out += _capped(out_of_scope, f"ovos:{language}")
    return out


# --------------------------------------------------------------------------- CLDR yes/no

CLDR_LOCALES = {
    "en": "en",
    "es": "es",
    "hi": "hi",
    "id": "id",
    "ja": "ja",
    "ko": "ko",
    "ms": "ms",
    "th": "th",
    "fil": "tl",
    "vi": "vi",
    "zh": "zh",
    "zh-Hant": "zh",
}


def _cldr(cache: Path) -> list[Row]:
    out = []
    with tarfile.open(_archive(cache, "cldr-misc-full")) as tgz:
        for locale, language in CLDR_LOCALES.items():
            member = tgz.extractfile(f"package/main/{locale}/posix.json")
            assert member is not None
            messages = json.load(member)["main"][locale]["posix"]["messages"]
            for key, intent in (("yesstr", "affirm"), ("nostr", "deny")):
                # "yes:y": the one-letter abbreviations are for terminals, not for people
                out += [
                    Row("cldr-misc-full", language, intent, t)
                    for t in messages[key].split(":")
                    if len(t) > 1 or not t.isascii()
                ]
    return out


# --------------------------------------------------------------------------- yes and no word lists

# Left out: words that mean something else to a payment assistant ("cancel" and "pass" stop or skip,
# "zero" is an amount, "impossible" says the customer cannot pay, "fail", "not", "way", "word" and
# "good" are not answers on their own) and words of other languages ("nada", "nein nein nein").
YES_NO_WORDS_SKIP = {
    "cancel",
    "pass",
    "zero",
    "impossible",
    "fail",
    "not",
    "way",
    "word",
    "good",
    "nada",
    "nein nein nein",
}


def _yes_no_words(cache: Path) -> list[Row]:
    with _wheel(cache, "yes-no-words") as whl:
        code = whl.read("yes_no_words.py").decode()
    out = []
    # the lists are Python literals: read them as data, never run the module
    for name, intent in (("YES", "affirm"), ("NO", "deny")):
        literal = re.search(rf"^{name} = frozenset\(\s*(\[.*?\])\s*\)", code, re.S | re.M)
        assert literal is not None, name
        words = ast.literal_eval(literal[1])
        out += [Row("yes-no-words", "en", intent, w) for w in sorted(words) if w not in YES_NO_WORDS_SKIP]
    return out


OVOS_YES_NO_LOCALES = {"en-US": "en", "es-ES": "es"}


def _ovos_yes_no(cache: Path) -> list[Row]:
    out = []
    with _wheel(cache, "ovos-yes-no-plugin") as whl:
        for locale, language in OVOS_YES_NO_LOCALES.items():
            words = json.loads(whl.read(f"ovos_yes_no/locale/{locale}/yesno.json"))
            for key, intent in (("yes", "affirm"), ("no", "deny")):
                # "not" alone is a word of a sentence, not an answer
                out += [Row("ovos-yes-no-plugin", language, intent, w) for w in words[key] if w != "not"]
    return out


if __name__ == "__main__":
    cache = ROOT / ".cache" / "outside"
    fetch(cache)
    found = rows(cache)
    counts = Counter((r.intent, r.language) for r in found) + Counter(("all", r.language) for r in found)
    print(f"{'':14}" + "".join(f"{lang:>6}" for lang in LANGUAGES) + "   all")
    for intent in [*sorted({r.intent for r in found}), "all"]:
        line = [counts[intent, lang] for lang in LANGUAGES]
        print(f"{intent:14}" + "".join(f"{n:>6}" for n in line) + f"{sum(line):>6}")
