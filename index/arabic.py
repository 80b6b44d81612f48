"""Arabic language rules: orthographic normalisation and a light10-family stemmer.

Pure ``str -> str`` functions on ONE word (already NFKC-normalised).

Choices, applied everywhere (index and query alike):
- harakat, tatweel, dagger alef and Quranic marks are removed;
- alef with hamza or madda (أ إ آ ٱ) → bare alef ا, because writers drop them freely;
- hamza on a seat (ؤ ئ) → bare hamza ء, so مسؤول and مسئول meet;
- alef maksura ى → yeh ي (Lucene's choice) and teh marbuta ة → heh ه (light10's);
- Persian/Urdu and Maghrebi letters (ی ک ۀ ڤ ڨ گ) → their Arabic counterparts;
- Arabic-Indic and Persian digits → ASCII digits.

The stemmer strips articles (ال وال بال كال فال لل), the conjunction و and the
plural/dual/feminine/pronoun suffixes of Larkey's light10, with length guards so
short words and names keep their letters. It never reduces to roots: كتاب, كاتب
and مكتبة stay apart.
"""

from __future__ import annotations

import re
from typing import Final

#: Harakat, Quranic marks, tatweel, ZWNJ/ZWJ, and any other combining mark the
#: tokenizer keeps inside a word (a stray Latin accent from OCR or bad encoding).
_MARKS_RE: Final = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8"
    "\u06ea-\u06ed\u08d3-\u08ff\u0640\u200c\u200d"
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff"
    "\ufe20-\ufe2f\u00ad\u200b\u2060\ufeff]"
)
_FOLD: Final = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ؤ": "ء",
        "ئ": "ء",
        "ى": "ي",
        "ة": "ه",
        "ی": "ي",
        "ې": "ي",
        "ک": "ك",
        "ڪ": "ك",
        "گ": "ك",
        "ۀ": "ه",
        "ە": "ه",
        "ہ": "ه",
        "ھ": "ه",
        "ڤ": "ف",
        "ڨ": "ق",
        "پ": "ب",
        "چ": "ج",
        "ژ": "ز",
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        "٫": ".",
        "٬": "",
    }
)

#: Common function words as written; normalised below.
_STOPWORD_SPELLINGS: Final = """
    في من على الي الى عن مع ان انه انها ان لا ما لم لن هو هي هم هن هما انا نحن انت
    انتم هذا هذه ذلك تلك هولاء اولءك الذي التي الذين اللذين اللتين اللواتي اللاتي كان كانت
    كانوا يكون تكون قد ثم او ام اي كل بين بعد قبل عند حتي اذا اذ لو لكن لقد ايضا
    منذ حيث كما بل غير سوي مثل عليه عليها اليه اليها منه منها فيه فيها به بها له لها لهم
    عنه عنها معه ذات ذو هنا هناك الا الان اما وهو وهي وقد ولا وما ولم ولن وان وكان وكانت
    فان فقد لان بان كانه نحو خلال ضمن دون لدي لدى عبر تجاه يا اين متي كيف هل ليس ليست
    إلى على أن إن أنه أنها هؤلاء أولئك حتى أو أي أيضا إذا إذ أما إلا الآن أين متى لدى سوى
"""

#: Words that begin with و as a letter of the word, not as the conjunction "and".
#: Without this list light stemming turns وزير (minister) into زير (cauldron).
_WAW_SPELLINGS: Final = """
    وزير وزيره وزراء وزاره وزارات وطن وطني وطنيه وقت وقع وقائع وضع وضعيه وجه وجود وصل
    ولد ولايه ولايات وكاله وكالات وثيقه وثائق وفد وفود وفاه وسط وسائل ورد وعد وعي وحده
    واحد واضح واقع وكيل ولي وزن وحيد وادي واد ورقه وراء وصول وظيفه وظائف واجب وقف ولاء
    وهران وجده ورزازات واشنطن وارسو ويلز وقايه وباء ورشه والي والده والد وسيط وساطه
    وسائل وثائق وظائف وقائع وزارة وطنية ولاية وكالة وثيقة وحدة ورقة وظيفة وجدة وقاية ورشة
"""

_ARTICLES: Final = ("وال", "بال", "كال", "فال", "لل", "ال")
#: Suffix stages, each stripped at most once, in order: pronoun, then plural/dual,
#: then nisba/feminine (معلماتها → معلمات → معلم; الفلسطينيين → فلسطيني → فلسطين).
#: Each suffix has the number of letters that must remain.
_SUFFIX_STAGES: Final = (
    (("ها", 3),),
    (("ات", 3), ("ون", 4), ("ين", 3), ("ان", 5)),
    (("يه", 3), ("ه", 3), ("ي", 3)),
)

#: Each stage with the tuple of its suffixes (one ``endswith`` call rules the stage out).
_STAGES: Final = tuple((stage, tuple(suffix for suffix, _ in stage)) for stage in _SUFFIX_STAGES)

#: ين leaves three letters for the dual of short nouns (البلدين → بلد, يومين → يوم),
#: but not from the five-letter masdars and verbs that start with ت or يت, where ين
#: belongs to the word: تأمين (insurance) is not تام (complete), تمرين not تمر.
_DUAL_GUARD_PREFIXES: Final = ("ت", "يت")

#: Common words whose ending only LOOKS like a suffix (برلمان is not a dual of برلم).
_WHOLE_SPELLINGS: Final = """
    برلمان قانون فلسطين لبنان إيران السودان سودان إنسان مكان زمان بيان ميدان سلطان عمان اليونان
    يونان الصين مليون تلفزيون زيتون ليمون طيران عنوان ديوان مجلس امتحان حيوان لسان بستان
    شيطان رمضان عثمان سليمان حسين ياسين تطوان تلمسان وهران عمران إحسان لقمان قرآن برهان
    مرجان ميزان نيسان إيمان أمان ضمان كيان بنيان جيران صبيان فرسان شبان سكان ألوان أديان
    أوطان بلدان ركبان بنين سنين ملايين قوانين دواوين ميادين عناوين
    مسكين بنزين برلين بوتين ماكرون
"""

#: Number words whose ending only looks like a plural: ثلاثون/ثلاثين (30) must not
#: become ثلاث (3). Both case forms of a ten meet on the ين form.
_NUMBER_SPELLINGS: Final = {
    "عشرون": "عشرين",
    "ثلاثون": "ثلاثين",
    "أربعون": "أربعين",
    "خمسون": "خمسين",
    "ستون": "ستين",
    "سبعون": "سبعين",
    "ثمانون": "ثمانين",
    "تسعون": "تسعين",
    "اثنان": "اثنين",
}


def normalize(word: str) -> str:
    """Orthographic normalisation of one Arabic word (no affix removal)."""
    return _MARKS_RE.sub("", word).translate(_FOLD)


#: The two orders a writer types an indefinite accusative ending in: alef then
#: fathatan (لقاحاً) or fathatan then alef (لقاحًا).
_TANWEEN_ALEF: Final = ("\u0627\u064b", "\u064b\u0627")


def drop_tanween_alef(word: str, norm: str) -> str:
    """``norm`` without the final alef that only carries tanween fath in ``word``.

    Why: that alef is spelling, not part of the word (لقاحاً is لقاح in the
    accusative), but once the fathatan is removed with the other marks it looks
    like a letter, and لقاحاً would never meet لقاح. Only a visible fathatan says
    so: an unvoweled final alef (امريكا، دنيا) is kept, and so is the alef of a
    word that would keep fewer than three letters (جداً).
    """
    if word.endswith(_TANWEEN_ALEF) and norm.endswith("ا") and len(norm) >= 4:
        return norm[:-1]
    return norm


def is_stopword(norm: str) -> bool:
    """True for a function word, also when it carries the conjunction و (وفي, ومن)."""
    return norm in STOPWORDS or (len(norm) > 2 and norm[0] in "وف" and norm[1:] in STOPWORDS)


#: Names spelled like a stop word once ى is folded to ي: علي (Ali) is not على.
_YEH_NAMES: Final = frozenset({"علي"})


def is_yeh_name(word: str) -> bool:
    """True for a name written with a final ي whose folded form is a stop word.

    Stop words are checked after ى→ي folding, so the name علي would be dropped
    as the preposition على; the surface spelling (final ي, not ى) tells them apart.
    """
    plain = _MARKS_RE.sub("", word)
    if plain[:1] in "وف" and len(plain) == 4:
        plain = plain[1:]
    return plain in _YEH_NAMES


def stem(norm: str) -> str:
    """Light10-family stem of a NORMALISED word.

    Guards: an article is removed only if two letters remain; the conjunction و
    only from words of five letters or more that are not known و-initial words;
    suffixes only if enough letters remain (see ``_SUFFIX_STAGES``); the words of
    ``_WHOLE_SPELLINGS`` keep their ending and the tens of ``_NUMBER_SPELLINGS``
    take one form.
    """
    word = norm
    if len(word) >= 5 and word[0] == "و" and word not in _WAW_WORDS:
        word = word[1:]
    if word.startswith(_ARTICLES):  # one C call rules out most words
        for article in _ARTICLES:
            if word.startswith(article) and len(word) - len(article) >= 2:
                word = word[len(article) :]
                break
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    if word in _WHOLE_WORDS:
        return word
    for stage, endings in _STAGES:
        if not word.endswith(endings):  # unchanged, so still not a whole word
            continue
        for suffix, keep in stage:
            if suffix == "ين" and len(word) == 5 and word.startswith(_DUAL_GUARD_PREFIXES):
                continue
            if word.endswith(suffix) and len(word) - len(suffix) >= keep:
                word = word[: -len(suffix)]
                break
        if word in _WHOLE_WORDS:
            break
    return word


#: Function words, normalised like the words they are compared with.
STOPWORDS: Final = frozenset(normalize(w) for w in _STOPWORD_SPELLINGS.split())
_WAW_WORDS: Final = frozenset(normalize(w) for w in _WAW_SPELLINGS.split())
_WHOLE_WORDS: Final = frozenset(normalize(w) for w in _WHOLE_SPELLINGS.split())
_NUMBER_WORDS: Final = {
    normalize(spelling): normalize(form)
    for case_form, form in _NUMBER_SPELLINGS.items()
    for spelling in (case_form, form)
}
