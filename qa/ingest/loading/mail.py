"""E-mail to text with the standard library: ``.eml`` messages and ``.mbox`` mailboxes.

A message reads as a person reads it: the header lines a mail program shows (``From:``,
``To:``, ``Cc:``, ``Date:``, ``Subject:``), a blank line, then the body: its text/plain
version (hard-wrapped paragraphs joined: :func:`unwrap`), or its HTML one by the HTML rules (:func:`qa.ingest.loading.markup.html_to_text`) when there
is no plain text. Attachments are handed back as ``(name, bytes)`` for the loaders to read as
documents of their own (see :func:`qa.ingest.loading.load_file`); a forwarded message is one, named
after its subject (``Re: Offer.eml``); inline images without a file name are left out.

A mailbox (``.mbox``) is one part per message, cited by its number from 1; its attachments are
named ``message 3 › offer.pdf``.
"""

from __future__ import annotations

import email
import mimetypes
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

from qa.ingest.loading.errors import LoadError, reading
from qa.ingest.loading.limits import LimitExceeded, check_text, current

HEADERS = ("From", "To", "Cc", "Date", "Subject")
MAX_NAME = 120  # characters of an attachment's name kept
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')

Attachment = tuple[str, bytes]  # (file name, content)


def parse(data: bytes) -> EmailMessage:
    """A message from its bytes (RFC 5322, with the modern policy: headers decoded).

    Raises:
        LoadError: binary bytes, or no header a mail has (From, To, Date, Subject): not a mail.
    """
    if b"\x00" in data[:8192]:
        raise LoadError("binary file (contains NUL bytes), not a mail message")
    with reading("EML"):
        msg = email.message_from_bytes(data, policy=policy.default)
        if not any(msg[h] for h in ("From", "To", "Date", "Subject")):
            raise LoadError("not a mail message (no From, To, Date or Subject header)")
    return msg


_QUOTE = re.compile(r"^(?:>[ \t]?)*")
_NEW_BLOCK = re.compile(r"^\s*(?:[-*•–]\s|\d{1,3}[.)]\s|[A-Z][\w -]{0,30}:\s|--\s*$)")  # list item, "Key: value", signature
WRAP_WIDTHS = (60, 80)  # a plain-text body wrapped by its sender has its longest lines in this range


def unwrap(body: str, flowed: bool = False, delsp: bool = False) -> str:
    """A plain-text body with the line breaks its sender's program put inside paragraphs taken
    out, so that a sentence is one line (the splitter ends a sentence at a line break). With
    ``flowed`` (RFC 3676 ``format=flowed``) a line ending in a space runs on (``delsp``: the
    space goes too); else, when the body looks hard-wrapped (its longest lines end within
    :data:`WRAP_WIDTHS`), a line reaching near that width runs on into the next one of the same
    quote depth, unless that one starts a list item, a "Key: value" line or a signature."""
    lines = body.split("\n")
    out: list[str] = []
    if flowed:
        runs_on = False
        for line in lines:
            line = line.removeprefix(" ") if line.startswith(" ") and not line.startswith("  ") else line
            if runs_on and out:
                out[-1] = (out[-1][:-1] if delsp else out[-1]) + _QUOTE.sub("", line)
            else:
                out.append(line)
            runs_on = line.endswith(" ") and line.rstrip() != "--"
        return "\n".join(out)
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    width = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 4 else 0
    if not WRAP_WIDTHS[0] <= width <= WRAP_WIDTHS[1]:
        return body
    for line in lines:
        prev = out[-1] if out else ""
        depth = _QUOTE.match(line).group()
        rest = line[len(depth):]
        if (prev.strip() and rest.strip() and len(prev.rstrip()) >= width - 20 and not _NEW_BLOCK.match(rest)
                and _QUOTE.match(prev).group().replace(" ", "") == depth.replace(" ", "")):
            out[-1] = prev.rstrip() + " " + rest.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def _content(part) -> str:
    """A text part's content as text; undeclared or unknown charsets read as UTF-8 with
    replacements."""
    try:
        return part.get_content()
    except (LookupError, UnicodeError, KeyError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def body_text(msg: EmailMessage) -> str:
    """The body a person reads: text/plain when it has words (its paragraphs :func:`unwrap`-ped),
    else text/html by the HTML rules."""
    from qa.ingest.loading.markup import html_to_text

    plain = msg.get_body(preferencelist=("plain",))
    if plain is not None and _content(plain).strip():
        flowed = str(plain.get_param("format", "")).lower() == "flowed"
        return unwrap(_content(plain).replace("\r\n", "\n"), flowed, str(plain.get_param("delsp", "")).lower() == "yes")
    html = msg.get_body(preferencelist=("html",))
    return html_to_text(_content(html)) if html is not None else ""


def message_text(msg: EmailMessage) -> str:
    """Header lines (``Subject: Offer``), a blank line, the body."""
    lines = []
    for name in HEADERS:
        value = msg[name]
        if value is not None and str(value).strip():
            lines.append(f"{name}: {' '.join(str(value).split())}")
    return "\n".join(lines) + "\n\n" + body_text(msg)


def _safe_name(name: str, fallback: str) -> str:
    """A file name for an attachment: no folders or characters file systems refuse."""
    name = _UNSAFE.sub("_", name or "").strip(" .")[:MAX_NAME]
    return name or fallback


def attachments(msg: EmailMessage) -> list[Attachment]:
    """A message's attachments as ``(name, bytes)``, names made unique ("scan (2).pdf")."""
    out: list[Attachment] = []
    seen: set[str] = set()
    for n, part in enumerate(msg.iter_attachments(), start=1):
        filename = part.get_filename()
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if not isinstance(inner, email.message.Message):
                continue
            subject = str(inner["Subject"] or "") if inner["Subject"] is not None else ""
            name = _safe_name(filename or (subject + ".eml" if subject else ""), f"message {n}.eml")
            data = inner.as_bytes(policy=policy.default)
        else:
            if not filename and (part.get_content_disposition() != "attachment" or part.is_multipart()):
                continue  # an inline image or the like: not a file the sender attached
            ext = mimetypes.guess_extension(part.get_content_type()) or ""
            name = _safe_name(filename or "", f"attachment {n}{ext}")
            data = part.get_payload(decode=True) or b""
        stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
        unique, k = name, 2
        while unique.lower() in seen:
            unique, k = f"{stem} ({k}){dot}{ext}", k + 1
        seen.add(unique.lower())
        out.append((unique, data))
    return out


def read_eml(data: bytes) -> tuple[str, list[Attachment]]:
    """The text of one message's bytes and its attachments.

    Raises:
        LoadError: not an e-mail message, or one the parser cannot read.
    """
    msg = parse(data)
    with reading("EML"):
        return check_text(message_text(msg)), attachments(msg)


def read_mbox(path: str | Path) -> tuple[list[tuple[int, str]], list[Attachment]]:
    """``(message number from 1, text)`` for each message of a mailbox, and the attachments of
    all of them, named ``message N › name``.

    Raises:
        LoadError: not a mailbox (no message), or one that cannot be read.
        LimitExceeded: past the text_chars limit.
    """
    import mailbox

    with open(path, "rb") as f:
        if not f.read(5) == b"From ":
            raise LoadError("not an mbox mailbox (it does not start with a 'From ' line)")
    parts: list[tuple[int, str]] = []
    found: list[Attachment] = []
    total, limit = 0, current().text_chars
    with reading("MBOX"):
        box = mailbox.mbox(str(path), create=False)
        try:
            for number, key in enumerate(box.iterkeys(), start=1):
                msg = email.message_from_bytes(box.get_bytes(key), policy=policy.default)
                text = message_text(msg)
                total += len(text)
                if total > limit:
                    raise LimitExceeded(f"more than {limit:,} characters of text (the text_chars limit)")
                parts.append((number, text))
                found.extend((f"message {number} › {name}", data) for name, data in attachments(msg))
        finally:
            box.close()
    if not parts:
        raise LoadError("no messages in the mailbox")
    return parts, found
