"""HTML to text as a browser shows it, without the page's boilerplate (BeautifulSoup).

Inline elements (``<b>``, ``<sub>``, ``<a>``, ...) flow into the text around
them: "un<b>treated</b>" reads "untreated", "CO<sub>2</sub>" reads "CO2".
Block elements (paragraphs, headings, list items, table rows, ``<br>``) end
a line. A table row is one line with its cells joined by `` | ``; a cell spanning rows is
repeated in each, one spanning columns written once; a table whose first row is all ``<th>``
(or in ``<thead>``) names the column in each cell (:func:`qa.ingest.loading.tables.row_texts`; without
such markup its text decides).

Boilerplate is left out by rules: navigation, asides, forms and buttons;
page headers and footers (kept inside an ``<article>`` or ``<main>``; the ``<h1>`` of a page
header is kept: it is often the page's title);
elements whose ARIA role is navigation, banner, contentinfo, complementary,
search or a dialog; elements whose id or class names a menu, breadcrumbs, a sidebar, share
buttons, a newsletter box or a pop-up; and hidden elements. Consent managers (cookie banners,
preference centres, vendor lists) are left out whatever their size: by their vendors' ids and
classes, or by a generic cookie/consent name or label on an element whose text asks for consent
(:func:`_is_consent_manager`); an article about cookies stays.
"""

from __future__ import annotations

import itertools
import re
import textwrap

from qa.ingest.loading.errors import LoadError
from qa.ingest.loading.tables import merge_header_rows, row_texts, spans_all, title_rows
from qa.ingest.loading.text import CELL_SEP, LIST_NUMBERS

_DROP = {"script", "style", "noscript", "template", "svg", "iframe", "nav", "aside", "form",
         "button", "select", "textarea", "head", "object", "canvas"}
_PAGE_FRAME = {"header", "footer"}
_BLOCK = {"address", "article", "blockquote", "body", "caption", "dd", "details", "dialog", "div",
          "dl", "dt", "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
          "header", "hr", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody",
          "tfoot", "thead", "tr", "ul", "html", "center"}
_CELLS = {"td", "th"}
_BOILERPLATE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog",
                      "alertdialog", "menu", "menubar"}
_BOILERPLATE_NAMES = re.compile(
    r"(?:^|[-_\s])(?:navbar|nav|navigation|menu|breadcrumbs?|sidebar|share|sharing|"
    r"social|newsletter|subscribe|popup|modal|skip-link|site-footer|site-header|masthead|"
    r"advert|ads?|comments?|commentlist|comment-list|disqus|respond|"
    r"related[-_]?(?:posts?|stories|articles?|content|links|news|reads)|more-stories|recommended)(?:$|[-_\s])",
    re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _is_boilerplate(tag, page_chars: int, frame: bool = True) -> bool:
    """True for an element to leave out (see the module docstring).

    Rules on ARIA roles and id/class names never drop the page's body, main
    content or article, nor an element holding half of the page's text or
    more (a wrapper whose class merely mentions a menu, say). ``frame=False`` leaves out the rule
    on page headers and footers.
    """
    if tag.name in _DROP:
        return True
    attrs = tag.attrs or {}
    if frame and tag.name in _PAGE_FRAME and not tag.find_parent(["article", "main"]):
        return True
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    if _HIDDEN_STYLE.search(str(attrs.get("style", ""))):
        return True
    names = " ".join([str(attrs.get("id", ""))] + list(attrs.get("class", []) or []))
    if _is_consent_manager(tag, names):
        return True
    flagged = (str(attrs.get("role", "")).lower() in _BOILERPLATE_ROLES
               or bool(_BOILERPLATE_NAMES.search(names)))
    if not flagged or tag.name in ("body", "main", "article", "html"):
        return False
    return len(tag.get_text(" ", strip=True)) < page_chars / 2


# Consent managers by their vendors' own ids and classes (OneTrust, Cookiebot, Didomi, Usercentrics,
# Quantcast, TrustArc, Sourcepoint, Google Funding Choices, CookieYes, Complianz, Iubenda, Osano,
# Klaro, Termly, Evidon, Cookie Law Info, the CookieConsent script): left out whatever their size.
_CONSENT_VENDORS = re.compile(
    r"(?:^|\s)(?:onetrust-|ot-sdk-|ot-pc-|optanon|cybotcookiebot|didomi|usercentrics|qc-cmp|truste[-_]|"
    r"consent_blackbar|sp_message|fc-consent|cky-consent|cmplz-|iubenda-cs|osano-cm|klaro|termly-|"
    r"_?evidon|cookie-law-info|cc-window|cc_banner)",
    re.IGNORECASE)
# Names that say "cookie banner" in so many words: a cookie, consent or GDPR widget.
_CONSENT_WIDGETS = re.compile(
    r"(?:(?:cookies?|consent|gdpr|cmp)[-_]?(?:banner|notice|bar|popup|pop-up|modal|dialog|overlay|"
    r"wall|consent|layer|prompt|sdk)|privacy[-_]?(?:banner|popup|pop-up|modal|dialog|overlay|wall|prompt)"
    r"|(?:banner|notice|popup|modal)[-_](?:cookies?|consent|gdpr))(?=$|[-_\s])",
    re.IGNORECASE)
# Generic names and labels of cookie and consent banners: left out only when their text asks for
# consent (:data:`_CONSENT_WORDS`), so that a recipe or an article about cookies stays.
_CONSENT_NAMES = re.compile(r"(?:^|[-_\s])(?:cookies?|consent|gdpr|ccpa|cmp)(?:$|[-_\s])", re.IGNORECASE)
_CONSENT_LABELS = re.compile(r"cookie|consent|privacy|gdpr", re.IGNORECASE)
_CONSENT_WORDS = re.compile(
    r"\b(?:accept|reject|allow|deny|decline|refuse|agree|manage|customi[sz]e|save)\s+(?:all|cookies|"
    r"(?:my\s+)?(?:preferences|settings|choices|options))\b|legitimate interest|cookie (?:settings|"
    r"preferences|policy)|we use cookies|(?:site|website) uses cookies|\bvendors?\b|(?:our|\d+) partners"
    r"|\bstrictly necessary\b|cookie duration",
    re.IGNORECASE)


def _is_consent_manager(tag, names: str) -> bool:
    """Whether ``tag`` is a cookie or consent manager (banner, preference centre, vendor list).

    A vendor's own id or class, or a name such as ``cookie-banner`` or ``consent-modal``,
    decides it outright; a generic name (``cookie``, ``consent``,
    ``gdpr``, ``cmp``), an ``aria-label`` naming cookies or consent, or ``role=dialog`` needs
    consent phrases in its text ("Accept all", "vendors", "legitimate interest"): one in a
    short notice (under 400 characters), two in a longer one. Never
    the page's body, main content or article, an element holding one, nor (for the generic
    rules) an element holding the page's ``<h1>``: an article about cookies stays.
    """
    if tag.name in ("body", "main", "article", "html") or tag.find(["main", "article"]) is not None:
        return False
    if _CONSENT_VENDORS.search(names) or _CONSENT_WIDGETS.search(names):
        return True
    label = str(tag.get("aria-label", ""))
    role = str(tag.get("role", "")).lower()
    if not (_CONSENT_NAMES.search(names) or _CONSENT_LABELS.search(label) or role in ("dialog", "alertdialog")):
        return False
    if tag.find("h1") is not None:
        return False
    text = tag.get_text(" ", strip=True)
    found = {m.group(0).lower() for m in _CONSENT_WORDS.finditer(text)}
    return len(found) >= (1 if len(text) < 400 else 2)


def _page_titles(tag, page_chars: int) -> list:
    """The visible ``<h1>`` elements of a page header dropped only for being the page's frame
    (not hidden, not a banner or pop-up); none for anything else."""
    if tag.name != "header" or _is_boilerplate(tag, page_chars, frame=False):
        return []

    def shown(h1) -> bool:  # neither it nor an element between it and the header is boilerplate
        inside = itertools.takewhile(lambda x: x is not tag, [h1, *h1.parents])
        return not any(_is_boilerplate(x, page_chars) for x in inside)

    return [h1 for h1 in tag.find_all("h1") if shown(h1)]


def _ends_a_line(text: str) -> bool:
    """Whether a ``<br>`` after ``text`` ends a line: after sentence or clause punctuation, or at
    a block's start. Mid-sentence ("director is Eleanor<br>Whitcombe") it is only a wrap."""
    text = text.rstrip(" ")
    return not text or text[-1] in ".!?:;\n"


def _item_number(node) -> str:
    """"3. " before the third ``<li>`` of an ``<ol>`` as a browser draws it (``start``, ``value``,
    ``reversed`` and ``type`` 1 / a / A / i / I kept); "" for other elements and bullet lists."""
    parent = node.parent
    if node.name != "li" or parent is None or parent.name != "ol":
        return ""
    items = parent.find_all("li", recursive=False)
    step = -1 if parent.has_attr("reversed") else 1
    n = _int(parent.get("start"), len(items) if step < 0 else 1)
    for item in items:
        n = _int(item.get("value"), n)
        if item is node:
            break
        n += step
    kind = _OL_TYPES.get(str(parent.get("type", "1")), "decimal")
    return f"{LIST_NUMBERS[kind](n) if n > 0 else n}. "


_OL_TYPES = {"1": "decimal", "a": "lowerLetter", "A": "upperLetter", "i": "lowerRoman", "I": "upperRoman"}


def _after_item_number(out: list[str]) -> bool:
    """Whether the text so far ends with a list item's number: the item's first paragraph
    (``<li><p>``, a loose Markdown list) goes on its line."""
    last = next((t for t in reversed(out) if t.strip()), "")
    return re.fullmatch(r"[0-9A-Za-z]+\. ", last) is not None


def _int(value, default: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _defines(node) -> bool:
    """Whether ``node`` is a ``<dd>`` right after its ``<dt>`` or after another ``<dd>`` of it:
    "Nearest airport: Milan Malpensa", "Languages: English; German" read as one line, as a
    person reads a definition list."""
    if node is None or node.name != "dd":
        return False
    before = node.find_previous_sibling(True)
    while before is not None and before.name == "dd":
        before = before.find_previous_sibling(True)
    return before is not None and before.name == "dt"


def _after_term(node, out: list[str]) -> str:
    """What joins ``node`` (a ``<dt>`` or ``<dd>``) to the ``<dd>`` after it: ": " after the
    term (" " when it ends in a colon already), "; " between two definitions."""
    if node.name == "dd":
        return "; "
    return " " if "".join(out[-3:]).rstrip().endswith(":") else ": "


_CODE_START, _CODE_END = "\x02", "\x03"  # around preformatted text in _walk's output (never text)
_NO_MARKERS = dict.fromkeys(map(ord, _CODE_START + _CODE_END))


def _is_code_block(tag, in_cell: bool, in_pre: bool) -> bool:
    """Whether ``tag`` starts preformatted text, kept line by line with its indentation: a ``<pre>``
    (Markdown fenced and indented code blocks render as one), or a ``<code>`` of several lines
    outside one that is all its parent holds; not inside a table cell (a cell is one line)."""
    if in_cell or in_pre:
        return False
    if tag.name == "pre":
        return True
    text = tag.get_text().strip()  # a <code> of lines, alone in its parent (not inline in prose)
    return tag.name == "code" and "\n" in text and tag.parent is not None and tag.parent.get_text().strip() == text


def _walk(node, out: list[str], in_cell: bool, in_pre: bool, page_chars: int) -> None:
    """Append the text of ``node`` to ``out``: "\\n" marks block ends (a space inside table cells)."""
    from bs4 import NavigableString, Tag
    from bs4.element import CData, PreformattedString

    for child in node.children:
        if isinstance(child, PreformattedString) and not isinstance(child, CData):
            continue  # comments, <!DOCTYPE ...>, <?xml ...?> and other declarations are not text
        if isinstance(child, NavigableString):
            text = str(child)
            out.append(text if in_pre else re.sub(r"\s+", " ", text))
            continue
        if not isinstance(child, Tag):
            continue
        if _is_boilerplate(child, page_chars):
            out.extend(f"\n{_cell_text(h1, page_chars)}\n" for h1 in _page_titles(child, page_chars))
            continue
        name = child.name
        if name == "br":
            out.append(" " if in_cell or not _ends_a_line("".join(out[-4:])) else "\n")
        elif name == "table" and child.find("table") is None:
            lead = "" if _after_item_number(out) else "\n"  # "<li><table>": the first row on the number's line
            out.append(lead + "\n".join(_table_lines(child, page_chars)) + "\n")
        elif name in _CELLS:
            if child.find_previous_sibling(list(_CELLS)):
                out.append(CELL_SEP)
            _walk(child, out, True, in_pre, page_chars)
        elif _is_code_block(child, in_cell, in_pre):
            out.append(f"\n{_CODE_START}")
            _walk(child, out, False, True, page_chars)
            out.append(f"{_CODE_END}\n")
        elif name in _BLOCK:
            brk = " " if in_cell and name != "table" else "\n"
            out.append("" if _defines(child) or _after_item_number(out) else brk)
            out.append(_item_number(child))
            _walk(child, out, in_cell and name != "table", in_pre or name == "pre", page_chars)
            out.append(_after_term(child, out) if _defines(child.find_next_sibling(True)) else brk)
        else:
            _walk(child, out, in_cell, in_pre, page_chars)


MAX_SPAN = 100


def _span(cell, attr: str) -> int:
    try:
        return min(max(int(str(cell.get(attr, 1)).strip() or 1), 1), MAX_SPAN)
    except ValueError:
        return 1


def _cell_text(cell, page_chars: int) -> str:
    """The text of one element (a table cell, a heading) on one line, its boilerplate left out."""
    buf: list[str] = []
    _walk(cell, buf, True, False, page_chars)
    return " ".join("".join(buf).split())


def _table_grid(table, page_chars: int) -> tuple[list[list[str | None]], list[list[bool]]]:
    """The table's rows as a grid (a cell spanning rows repeated below, one spanning columns
    followed by None), and which grid cells are ``<th>``."""
    grid, heads = [], []
    below: dict[int, tuple[int, str | None, bool]] = {}  # column -> (rows left, text, th) of rowspans
    for tr in table.find_all("tr"):
        if _is_boilerplate(tr, page_chars):
            continue
        row: list[str | None] = []
        th: list[bool] = []
        for cell in tr.find_all(list(_CELLS), recursive=False):
            if _is_boilerplate(cell, page_chars):
                continue
            _fill_from_above(row, th, below)
            text, across, down = _cell_text(cell, page_chars), _span(cell, "colspan"), _span(cell, "rowspan")
            for k in range(across):
                if down > 1:
                    below[len(row)] = (down - 1, text if k == 0 else None, cell.name == "th")
                row.append(text if k == 0 else None)
                th.append(cell.name == "th")
        _fill_from_above(row, th, below)
        grid.append(row)
        heads.append(th)
    return grid, heads


def _fill_from_above(row: list, th: list, below: dict) -> None:
    """Append to ``row`` the cells that rowspans from rows above put at its next columns."""
    while len(row) in below:
        left, text, is_th = below.pop(len(row))
        if left > 1:
            below[len(row)] = (left - 1, text, is_th)
        row.append(text)
        th.append(is_th)


def _table_lines(table, page_chars: int) -> list[str]:
    """A table (with no table inside) as lines: its caption, then its rows (see module docstring)."""
    grid, heads = _table_grid(table, page_chars)
    caption = table.find("caption")
    lines = [_cell_text(caption, page_chars)] if caption is not None else []
    titles = title_rows(grid)  # one cell across the table: its title
    lines += [row[0] or "" for row in grid[:titles]]
    grid, heads = grid[titles:], heads[titles:]
    header: bool | None = None
    if heads and heads[0] and (all(heads[0]) or _in_thead(table, titles)):
        header = True  # else the text decides: <th> down the first column names rows, not columns
    header_rows = 0  # a group header over its columns' own names: rows of <th>, as wide as the first
    while (header_rows < len(grid) and heads[header_rows] and all(heads[header_rows])
           and len(grid[header_rows]) == len(grid[0]) and not spans_all(grid[header_rows])):
        header_rows += 1
    if 2 <= header_rows < len(grid):
        grid = merge_header_rows(grid, header_rows)
    return [line for line in lines + [t for t in row_texts(grid, header) if t] if line]


def _in_thead(table, skipped: int) -> bool:
    """Whether the first row left after ``skipped`` title rows sits in the table's ``<thead>``."""
    rows = table.find_all("tr")
    return len(rows) > skipped and rows[skipped].find_parent("thead") is not None


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_LINE_END = "<div></div>"  # an empty block: ends the line in html_to_text


def _hard_break(self, tokens, idx, options, env) -> str:
    """A Markdown hard break (two spaces or a backslash at a line's end) ends the line."""
    return _LINE_END


_KEY_VALUE = re.compile(r"^\s*[A-Z][\w .&/()'-]{0,40}:\s+\S")  # "Owner: Platform team", "Assigned to: Maria"


def _soft_break(self, tokens, idx, options, env) -> str:
    """A wrapped line joins the next, except between rows of pipes that are not a GFM table
    ("| x | y" over "| 1 | 2" with no rule line) and between "Key: value" lines ("Owner:
    Platform team" over "OS: Debian 12", as notes are written and note apps show them), which
    stay one line each."""
    before = tokens[idx - 1].content if idx else ""
    after = tokens[idx + 1].content if idx + 1 < len(tokens) else ""
    pipes = (before.rstrip().endswith("|") or before.lstrip().startswith("|")) and after.lstrip().startswith("|")
    pairs = bool(_KEY_VALUE.match(before)) and bool(_KEY_VALUE.match(after))
    return _LINE_END if pipes or pairs else "\n"


def markdown_to_text(source: str) -> str:
    """The text of a Markdown document as it reads rendered: emphasis, link and heading marks gone,
    wrapped lines joined, hard breaks kept, GFM pipe tables written as HTML tables are (rendered by
    markdown-it-py, CommonMark with GFM tables, then read by :func:`html_to_text`). A leading YAML
    front-matter block is left out. HTML tags inside are kept as written text, never interpreted:
    prose that mentions a ``<script>`` tag must not lose what follows it."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "maxNesting": 100}).enable(["table", "strikethrough"])
    md.add_render_rule("hardbreak", _hard_break)
    md.add_render_rule("softbreak", _soft_break)
    return html_to_text(md.render(_FRONT_MATTER.sub("", source, count=1)))


MAX_DEPTH = 500  # elements nested deeper than any real page; the rules below walk the tree recursively


def _check_depth(soup) -> None:
    """Raises LoadError when elements nest deeper than :data:`MAX_DEPTH` (found without recursion,
    before the recursive rules run: 100,000 nested <div>s are refused in a second, not minutes)."""
    stack = [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise LoadError(f"nested too deeply to read (markup more than {MAX_DEPTH} levels deep)")
        stack.extend((child, depth + 1) for child in getattr(node, "contents", ()))


def html_to_text(markup: str) -> str:
    """The readable main text of an HTML page (see the module docstring)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup.translate(_NO_MARKERS), "html.parser")
    _check_depth(soup)
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    out: list[str] = []
    _walk(soup, out, False, False, len(soup.get_text(" ", strip=True)))
    return "\n".join(_output_lines("".join(out)))


def _output_lines(text: str) -> list[str]:
    """The non-empty lines of :func:`_walk`'s output: runs of whitespace made one space, except in
    preformatted text (between ``_CODE_START`` and ``_CODE_END``), whose lines keep their
    indentation (the indentation common to all its lines taken off) and lose trailing spaces."""
    lines: list[str] = []
    for i, piece in enumerate(re.split(f"{_CODE_START}(.*?){_CODE_END}", text, flags=re.DOTALL)):
        if i % 2:
            lines += [line.rstrip() for line in textwrap.dedent(piece).splitlines() if line.strip()]
        else:
            lines += [line for line in (" ".join(raw.split()) for raw in piece.split("\n"))
                      if line and line != "|"]
    return lines
