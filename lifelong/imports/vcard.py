"""vCard 2.1, 3.0 and 4.0 (RFC 2426, RFC 6350): reading address books, writing customers.

Reading is forgiving, as address books are: folded lines are unfolded, quoted-printable
values of 2.1-style exports decoded, TYPE parameters read in any case and form
(`TYPE=HOME`, `type=home,pref`, 2.1's bare `;HOME`), Apple's grouped `item1.EMAIL` with
its `item1.X-ABLabel` label understood, and properties we do not keep (PHOTO, however
large, and anything unknown) skipped. Writing is strict: vCard 4.0 (or 3.0), CRLF line
ends, lines folded at 75 octets, text escaped.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from lifelong.customers.models import Customer
from lifelong.customers.partial_dates import PartialDate


@dataclass
class Contact:
    """What we keep of one vCard, in plain text (dates as written, labels as ours)."""

    line: int = 0  # the physical line of BEGIN:VCARD
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    nickname: str = ""
    company: str = ""
    job_title: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    notes: str = ""
    birthday: str = ""
    anniversary: str = ""
    emails: list[tuple[str, str]] = field(default_factory=list)  # (address, label)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (number, label)
    categories: list[str] = field(default_factory=list)


@dataclass
class _Property:
    group: str
    name: str
    params: dict[str, list[str]]
    value: str

    def types(self) -> set[str]:
        return {t.lower() for t in self.params.get("TYPE", [])}


# ---------------------------------------------------------------- reading


def looks_like_vcard(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n")[:11].upper() == "BEGIN:VCARD"


def _unfold(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines with the physical line each starts on.

    A line that starts with a space or a tab continues the one before (RFC 6350 3.2);
    a quoted-printable value that ends in "=" continues on the next line (vCard 2.1).
    """
    parts: list[str] = []
    start = 0
    qp = False
    # Only CR and LF end lines: other Unicode line separators may sit inside a value.
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), 1):
        if parts and line[:1] in (" ", "\t"):
            parts.append(line[1:])
            continue
        if parts and qp and parts[-1].endswith("="):
            parts[-1] = parts[-1][:-1]
            parts.append(line)
            continue
        if parts:
            yield start, "".join(parts)
        parts, start = [line], number
        head = line.split(":", 1)[0].upper()
        qp = "QUOTED-PRINTABLE" in head
    if parts:
        yield start, "".join(parts)


def _split(text: str, sep: str, limit: int = -1, *, quotes: bool = True) -> list[str]:
    """Split on `sep` not escaped with a backslash, and outside double quotes unless
    `quotes` is False (quotes group parameter values; in a value they are text)."""
    out, current, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"' and quotes:
            quoted = not quoted
            current.append(ch)
        elif ch == sep and not quoted and (limit < 0 or len(out) < limit):
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out


def _parse_line(line: str) -> _Property | None:
    # The name and parameters end at the first colon outside quotes.
    head_value = _split(line, ":", 1)
    if len(head_value) != 2:
        return None
    head, value = head_value
    pieces = _split(head, ";")
    name = pieces[0].strip()
    group = ""
    if "." in name:
        group, name = name.rsplit(".", 1)
    params: dict[str, list[str]] = {}
    for piece in pieces[1:]:
        if "=" in piece:
            key, raw = piece.split("=", 1)
        else:  # vCard 2.1: ";HOME;VOICE" are types, ";QUOTED-PRINTABLE" an encoding
            key = "ENCODING" if piece.upper() in ("QUOTED-PRINTABLE", "BASE64", "B") else "TYPE"
            raw = piece
        # TYPE=home,pref and TYPE="home,pref" both name two types.
        values = [v.strip() for part in _split(raw, ",") for v in part.strip('" ').split(",")]
        params.setdefault(key.strip().upper(), []).extend(v for v in values if v)
    return _Property(group.lower(), name.upper(), params, value)


def _decode(prop: _Property) -> str:
    """The raw value, quoted-printable decoded (in its CHARSET, UTF-8 by default)."""
    if "QUOTED-PRINTABLE" in {e.upper() for e in prop.params.get("ENCODING", [])}:
        charset = (prop.params.get("CHARSET") or ["utf-8"])[0]
        data = quopri.decodestring(prop.value.encode("latin-1", "replace"))
        try:
            return data.decode(charset, "replace")
        except LookupError:
            return data.decode("utf-8", "replace")
    return prop.value


_ESCAPES = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\", ":": ":"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], "\\" + m[1]), text)


def _components(raw: str) -> list[str]:
    return [_unescape(c) for c in _split(raw, ";", quotes=False)]


def _list(raw: str) -> list[str]:
    return [_unescape(c) for c in _split(raw, ",", quotes=False)]


_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")


def _email_label(types: set[str], label: str) -> str:
    words = types | {label.lower()}
    if "work" in words:
        return "work"
    if "home" in words or ("internet" in words and not label):
        return "home"
    return "other" if label or "other" in words else "home"


def _phone_label(types: set[str], label: str) -> str:
    words = types | {label.lower()}
    if words & {"cell", "mobile", "iphone", "text"}:
        return "mobile"
    if "work" in words:
        return "work"
    if "home" in words:
        return "home"
    return "other" if label or "other" in words else "mobile"


def _date(prop: _Property, value: str) -> str:
    """BDAY/ANNIVERSARY as written, except Apple's year-less form (1604-04-03 with
    X-APPLE-OMIT-YEAR=1604), which becomes --04-03."""
    value = value.strip()
    omit = prop.params.get("X-APPLE-OMIT-YEAR")
    if omit and value.startswith(omit[0]):
        rest = value[len(omit[0]) :].lstrip("-")[:5].replace("-", "")
        return f"--{rest}" if len(rest) == 4 else value
    return value


def parse_vcards(text: str) -> Iterator[Contact]:
    """Every card in `text`, in order; lines outside BEGIN/END:VCARD are ignored."""
    contact: Contact | None = None
    labels: dict[str, str] = {}
    pending: list[tuple[_Property, str]] = []
    for number, line in _unfold(text):
        if not line.strip():
            continue
        prop = _parse_line(line)
        if prop is None:
            continue
        if prop.name == "BEGIN" and prop.value.strip().upper() == "VCARD":
            contact, labels, pending = Contact(line=number), {}, []
            continue
        if contact is None:
            continue
        if prop.name == "END" and prop.value.strip().upper() == "VCARD":
            for kind, _ in pending:  # grouped emails and phones get their X-ABLabel now
                label = labels.get(kind.group, "")
                if kind.name == "X-ABDATE":
                    # Apple's anniversary: a grouped date labelled _$!<Anniversary>!$_.
                    if "anniversary" in label.lower() and not contact.anniversary:
                        contact.anniversary = _date(kind, _decode(kind))
                elif kind.name == "EMAIL":
                    address = _unescape(_decode(kind)).strip()
                    contact.emails.append((address, _email_label(kind.types(), label)))
                else:
                    number_text = _unescape(_decode(kind)).strip()
                    if number_text.lower().startswith("tel:"):
                        number_text = number_text[4:]
                    contact.phones.append((number_text, _phone_label(kind.types(), label)))
            yield contact
            contact = None
            continue
        _read(contact, prop, labels, pending)


def _read(
    contact: Contact,
    prop: _Property,
    labels: dict[str, str],
    pending: list[tuple[_Property, str]],
) -> None:
    name = prop.name
    if name in ("PHOTO", "LOGO", "SOUND", "KEY"):
        return  # binary, often huge: skipped
    if name in ("EMAIL", "TEL"):
        if _decode(prop).strip():
            pending.append((prop, name))
        return
    if name == "X-ABLABEL" and prop.group:
        raw = _unescape(_decode(prop)).strip()
        m = _APPLE_LABEL.match(raw)
        labels[prop.group] = m[1] if m else raw
        return
    value = _decode(prop)
    if name == "N":
        parts = _components(value) + [""] * 5
        contact.last_name, contact.first_name = parts[0].strip(), parts[1].strip()
    elif name == "FN":
        contact.full_name = _unescape(value).strip()
    elif name == "NICKNAME":
        contact.nickname = ", ".join(n.strip() for n in _list(value) if n.strip())
    elif name == "ORG":
        contact.company = _components(value)[0].strip()
    elif name == "TITLE":
        contact.job_title = _unescape(value).strip()
    elif name == "ADR" and not contact.street:
        parts = _components(value) + [""] * 7
        # post office box; extended address; street; locality; region; code; country
        street = "\n".join(p.strip() for p in (parts[2], parts[1]) if p.strip())
        contact.street, contact.city, contact.region = street, parts[3].strip(), parts[4].strip()
        contact.postal_code, contact.country = parts[5].strip(), parts[6].strip()
    elif name == "NOTE":
        note = _unescape(value).strip()
        contact.notes = f"{contact.notes}\n\n{note}".strip() if contact.notes else note
    elif name == "BDAY":
        contact.birthday = _date(prop, value)
    elif name in ("ANNIVERSARY", "X-ANNIVERSARY"):
        contact.anniversary = _date(prop, value)
    elif name == "CATEGORIES":
        contact.categories.extend(c.strip() for c in _list(value) if c.strip())
    elif name == "X-ABDATE" and prop.group:
        pending.append((prop, name))


# ---------------------------------------------------------------- writing


def escape(text: str) -> str:
    """A text value with `\\ , ;` escaped and line breaks as \\n (RFC 6350 3.4)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """The content line folded so that no physical line passes `limit` octets of UTF-8
    (the continuation's leading space counted), never inside a character."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size = [" "], 1
        current.append(ch)
        size += width
    out.append("".join(current))
    return "\r\n".join(out) + "\r\n"


_EMAIL_TYPES = {"home": "home", "work": "work"}
_PHONE_TYPES = {"mobile": "cell", "home": "home", "work": "work"}


def _vcard_date(value: str, version: str) -> str:
    date = PartialDate.parse(value)
    if date.year is None:
        return f"--{date.month:02d}{date.day:02d}"
    if version == "4.0":
        return f"{date.year:04d}{date.month:02d}{date.day:02d}"
    return date.isoformat()


def write_vcard(contact: Contact, version: str = "4.0") -> str:
    """One vCard for `contact`: vCard 4.0, or 3.0 when `version` says so."""
    if version not in ("3.0", "4.0"):
        raise ValueError("vCard version must be 3.0 or 4.0")
    full = (
        contact.full_name
        or " ".join(p for p in (contact.first_name, contact.last_name) if p)
        or contact.company
    )
    lines = ["BEGIN:VCARD", f"VERSION:{version}", f"FN:{escape(full)}"]
    lines.append(f"N:{escape(contact.last_name)};{escape(contact.first_name)};;;")
    if contact.nickname:
        lines.append(f"NICKNAME:{escape(contact.nickname)}")
    if contact.company:
        lines.append(f"ORG:{escape(contact.company)}")
    if contact.job_title:
        lines.append(f"TITLE:{escape(contact.job_title)}")
    for i, (address, label) in enumerate(contact.emails):
        params = [f"TYPE={_EMAIL_TYPES[label]}"] if label in _EMAIL_TYPES else []
        if version == "3.0":
            params.insert(0, "TYPE=internet")
        if i == 0:
            params.append("PREF=1" if version == "4.0" else "TYPE=pref")
        lines.append(";".join(["EMAIL", *params]) + f":{escape(address)}")
    for i, (number, label) in enumerate(contact.phones):
        params = [f"TYPE={_PHONE_TYPES[label]}"] if label in _PHONE_TYPES else []
        if i == 0:
            params.append("PREF=1" if version == "4.0" else "TYPE=pref")
        lines.append(";".join(["TEL", *params]) + f":{escape(number)}")
    if any((contact.street, contact.city, contact.region, contact.postal_code, contact.country)):
        parts = ("", "", contact.street, contact.city, contact.region, contact.postal_code,
                 contact.country)  # fmt: skip
        lines.append("ADR:" + ";".join(escape(p) for p in parts))
    if contact.birthday:
        lines.append(f"BDAY:{_vcard_date(contact.birthday, version)}")
    if contact.anniversary:
        name = "ANNIVERSARY" if version == "4.0" else "X-ANNIVERSARY"
        lines.append(f"{name}:{_vcard_date(contact.anniversary, version)}")
    if contact.categories:
        lines.append("CATEGORIES:" + ",".join(escape(c) for c in contact.categories))
    if contact.notes:
        lines.append(f"NOTE:{escape(contact.notes)}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def contact_of(customer: Customer) -> Contact:
    """The Contact for a saved customer (prefetch emails, phones, tags and answers)."""
    answers = {a.question.key: a.value for a in customer.answers.all()}
    return Contact(
        first_name=customer.first_name,
        last_name=customer.last_name,
        nickname=customer.nickname,
        company=customer.company,
        job_title=customer.job_title,
        street=customer.street,
        postal_code=customer.postal_code,
        city=customer.city,
        region=customer.region,
        country=customer.country,
        notes=customer.notes,
        birthday=answers.get("birthday", ""),
        anniversary=answers.get("wedding_anniversary", ""),
        emails=[(e.address, e.label) for e in customer.emails.all()],
        phones=[(p.number, p.label) for p in customer.phones.all()],
        categories=[t.name for t in customer.tags.all()],
    )


def iter_vcards(customers: Iterable[Customer], version: str = "4.0") -> Iterator[str]:
    """One vCard text per customer, for streaming."""
    for customer in customers:
        yield write_vcard(contact_of(customer), version)


def export_vcards(customers: Iterable[Customer], version: str = "4.0") -> str:
    """Every customer as one vCard file (4.0 by default, 3.0 with version="3.0")."""
    return "".join(iter_vcards(customers, version))


def write_vcards(customers: Iterable[Customer], out: IO[str], version: str = "4.0") -> int:
    """Write every customer to `out` as a vCard as they arrive; how many were written."""
    count = 0
    for text in iter_vcards(customers, version):
        out.write(text)
        count += 1
    return count
