"""Turning one planned message into RFC 5322 bytes.

Layouts imitate the clients in ``people.CLIENTS`` (quoting style, HTML shape,
transfer encodings, boundary shapes) because servers meet all of them; a
dataset in one house style would leave parser and indexer paths untested.
"""

from __future__ import annotations

import base64
from typing import NamedTuple

from . import mime, text
from .headers import (
    address_list,
    display_name,
    fold_words,
    rfc5322_date,
    unstructured,
)
from .people import CLIENTS, DOC_NETS, OWN_DOMAIN, Client
from .rand import Ranges, Rng
from .words import NON_ASCII_FILENAMES


class Party(NamedTuple):
    """A sender or recipient as the composer needs it."""

    name: str
    address: str
    client: int
    tz: int
    charset: str
    enc: str


class Quoted(NamedTuple):
    """What a later reply or forward needs to know about an emitted message."""

    message_id: str
    references: tuple[str, ...]
    name: str
    address: str
    date: str
    subject: str
    excerpt: str


class Spec(NamedTuple):
    """Inputs for one message; everything random is drawn inside the composer."""

    ts: int
    category: str
    kind: str  # new / reply / forward / draft
    lang: str
    sender: Party
    to: tuple[Party, ...]
    cc: tuple[Party, ...]
    subject: str  # base subject, no Re:/Fwd:
    prefix: str  # "", "Re: ", "Fwd: "
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    parent: Quoted | None
    inject: tuple[str, ...]
    received: bool  # add transport trace fields
    list_name: str | None  # folder name of a mailing list
    owner: Party
    bcc: tuple[Party, ...] = ()  # kept only in the sender's own copy, as clients do


class Composed(NamedTuple):
    raw: bytes  # CRLF
    quoted: Quoted
    markers: tuple[str, ...]


# New-text length in words: (low, high, weight per thousand).
_WORDS = {
    "conversation": Ranges(((8, 40, 150), (40, 120, 300), (120, 300, 330), (300, 700, 160), (700, 1800, 60))),
    "dev": Ranges(((20, 80, 250), (80, 200, 400), (200, 500, 250), (500, 1500, 100))),
    "notification": Ranges(((40, 120, 400), (120, 300, 600))),
    "announce": Ranges(((150, 400, 500), (400, 1200, 500))),
    "spam": Ranges(((30, 80, 500), (80, 200, 500))),
}
_WORDS["outgoing"] = _WORDS["conversation"]
_WORDS["project"] = _WORDS["conversation"]

# Decoded attachment sizes in bytes.
# Base64 grows content by 4/3, so the large tail (0.75-7.5 MB decoded) makes
# messages of 1-10 MB.
_ATTACH_SIZES = Ranges(((2_000, 20_000, 250), (20_000, 100_000, 370), (100_000, 400_000, 300), (400_000, 600_000, 80)))
_LARGE_SIZES = Ranges(((750_000, 1_500_000, 400), (1_500_000, 3_000_000, 300), (3_000_000, 5_000_000, 200), (5_000_000, 7_500_000, 100)))
_IMAGE_SIZES = Ranges(((3_000, 20_000, 500), (20_000, 80_000, 500)))
_RECEIPT_SIZES = Ranges(((20_000, 150_000, 1),))
_ZIP_SIZES = Ranges(((5_000, 60_000, 1),))

_GREETINGS = ("Hi {n},", "Hello {n},", "Dear {n},", "{n},", "Hey {n},")
_LIST_GREETINGS = ("Hi all,", "Hello everyone,", "All,")
_CLOSINGS = ("Best,", "Thanks,", "Cheers,", "Regards,", "Best regards,", "Thank you,")
# Lines that begin with "From " force mboxrd quoting (RFC 4155) when written to mbox.
_FROM_LEADS = ("From what I understand, ", "From the notes: ", "From now on, ")
_LIST_DESC = {"Lists/dev": "Developer discussion", "Lists/announce": "Announcements"}


def _mailbox(p: Party, client: Client) -> str:
    dn = display_name(p.name, p.charset, p.enc, client.quote_names)
    return f"{dn} <{p.address}>" if dn else p.address


def _first_name(p: Party) -> str:
    n = p.name.split(" ")[0] if p.name else p.address.split("@")[0]
    return n.rstrip(".") or p.address.split("@")[0]


def _excerpt(plain: str, markers: tuple[str, ...], limit: int = 6000) -> str:
    """What later replies quote: the whole text, history included, within a limit.

    Marker words are replaced so they occur at their nominal rates instead of
    spreading down every thread through quotes.
    """
    if len(plain) > limit:
        plain = plain[: plain.rfind("\n", 0, limit)] + "\n[...]"
    for m in markers:
        plain = plain.replace(m, "note").replace(m.capitalize(), "Note")
    return plain


class Composer:
    """Builds messages; holds the two RNG streams it draws from.

    ``plan`` decides structure (parts, sizes, encodings); ``words`` supplies
    prose.  Keeping them apart limits how far a change to one kind of decision
    ripples into the other when the generator evolves.
    """

    def __init__(self, plan: Rng, words: Rng, max_attachment: int | None):
        self.rng = plan
        self.words = words
        self.cap = max_attachment

    # -- sizes ---------------------------------------------------------------

    def _size(self, table: Ranges) -> tuple[int, int]:
        """Draw a size and a content sub-seed; apply the cap after drawing."""
        size = table.pick(self.rng)
        subseed = self.rng.getrandbits(64)
        if self.cap is not None:
            size = min(size, self.cap)
        return size, subseed

    # -- text ----------------------------------------------------------------

    def _new_paragraphs(self, spec: Spec) -> list[str]:
        n = _WORDS[spec.category].pick(self.rng)
        if spec.lang == "en":
            paras = text.english_paragraphs(self.words, n, spec.inject)
        else:
            paras = text.foreign_paragraphs(self.words, spec.lang, n)
            if spec.inject:
                paras[0] = paras[0] + " " + " ".join(spec.inject)
        if self.rng.below(100) < 3:
            lead = _FROM_LEADS[self.rng.below(len(_FROM_LEADS))]
            p = paras[-1]
            paras[-1] = lead + p[0].lower() + p[1:]
        return paras

    def _plain_body(self, spec: Spec, blocks: list[list[str]], client: Client) -> tuple[str, list[str]]:
        """The text/plain rendering and the lines of its quote block."""
        rng = self.rng
        lines: list[str] = []
        personal = spec.category in ("conversation", "outgoing", "project", "dev")
        if personal and spec.to and rng.below(100) < 70:
            if spec.list_name:
                lines += [_LIST_GREETINGS[rng.below(len(_LIST_GREETINGS))], ""]
            else:
                g = _GREETINGS[rng.below(len(_GREETINGS))]
                lines += [g.format(n=_first_name(spec.to[0])), ""]
        for b in blocks:
            lines += b
            lines.append("")
        if personal:
            lines += [_CLOSINGS[rng.below(len(_CLOSINGS))], spec.sender.name or _first_name(spec.sender)]
            if rng.below(100) < 40:
                lines += ["", "-- ", spec.sender.name, f"+1 555 01{rng.below(100):02d}"]
        quote: list[str] = []
        par = spec.parent
        if par is not None:
            lines.append("")
        if par is not None and spec.kind in ("reply", "draft"):
            if client.boundary == "ol":
                quote = [
                    "-----Original Message-----",
                    f"From: {par.name} <{par.address}>" if par.name else f"From: {par.address}",
                    f"Sent: {par.date}",
                    f"Subject: {par.subject}",
                    "",
                ]
                quote += par.excerpt.split("\n")
            else:
                who = f"{par.name} <{par.address}>" if par.name else par.address
                quote = [f"On {par.date}, {who} wrote:"]
                if client.boundary == "mutt":
                    quote += [">" + ln for ln in par.excerpt.split("\n")]
                else:
                    quote += [(">" + ln) if ln[:1] == ">" else ("> " + ln if ln else ">") for ln in par.excerpt.split("\n")]
        elif par is not None and spec.kind == "forward":
            quote = [
                "---------- Forwarded message ---------",
                f"From: {par.name} <{par.address}>" if par.name else f"From: {par.address}",
                f"Date: {par.date}",
                f"Subject: {par.subject}",
                "",
            ]
            quote += par.excerpt.split("\n")
        return "\n".join(lines + quote).rstrip("\n"), quote

    def _html_body(self, spec: Spec, blocks: list[list[str]], quote: list[str], client: Client, cids: list[str]) -> str:
        """An HTML rendering shaped like the sending client's output.

        Paragraphs reuse the plain text's line breaks, which keeps every HTML
        line under the RFC 5322 limit without a second wrapping pass.
        """
        esc = text.html_escape
        if client.boundary == "ol":
            body_paras = "\n".join(
                f'<p class="MsoNormal"><span style="font-size:11.0pt">{esc(chr(10).join(b))}<o:p></o:p></span></p>\n'
                '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
                for b in blocks
            )
        else:
            body_paras = "\n".join(f"<div>{esc(chr(10).join(b))}</div><div><br></div>" for b in blocks)
        imgs = "".join(f'\n<p><img src="cid:{c}" alt="image{i}" width="480"></p>' for i, c in enumerate(cids))
        q = ""
        if quote:
            q = '\n<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">\n'
            plain_q = ("\n" + "\n".join(quote)).replace("\n> ", "\n").replace("\n>\n", "\n\n")
            q += esc(plain_q[1:]).replace("\n", "<br>\n") + "\n</blockquote>"
        cat = spec.category
        if cat in ("notification", "announce", "spam"):
            return _bulk_html(spec, blocks, imgs, self.rng)
        if client.boundary == "ol":
            return _OUTLOOK_HEAD + f'<div class="WordSection1">\n{body_paras}{imgs}\n</div>{q}\n</body>\n</html>'
        if client.boundary == "gmail":
            return f'<div dir="ltr">\n{body_paras}{imgs}\n</div><br>\n<div class="gmail_quote">{q}\n</div>'
        return (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\n'
            f'<body style="overflow-wrap: break-word; -webkit-nbsp-mode: space;">\n{body_paras}{imgs}{q}\n</body></html>'
        )

    # -- parts ---------------------------------------------------------------

    def _text_leaf(self, body: str, subtype: str, client: Client, params: str = "") -> bytes:
        """A text part with the charset and transfer encoding this client would pick."""
        if body.isascii():
            charset = "UTF-8" if client.boundary in ("gmail", "apple") else "us-ascii"
            cte = client.ascii_cte
        else:
            charset = "UTF-8"
            if client.latin1:
                try:
                    body.encode("latin-1")
                    charset = "ISO-8859-1"
                except UnicodeEncodeError:
                    pass
            cte = client.text_cte
        return mime.text_part(body, subtype, charset, cte, params)

    def _attachments(self, spec: Spec, domain: str) -> list[bytes]:
        rng = self.rng
        cat = spec.category
        out: list[bytes] = []
        n = 0
        if cat in ("conversation", "outgoing", "project"):
            if rng.below(1000) < 140:
                n = 1 + (rng.below(100) < 25) + (rng.below(100) < 8)
        elif cat == "notification" and rng.below(100) < 15:
            size, sub = self._size(_RECEIPT_SIZES)
            out.append(mime.binary_part("application/pdf", mime.KIND_BY_EXT["pdf"][2], f"receipt-{sub % 100000:05d}.pdf", None, size, sub))
        elif cat == "spam" and rng.below(100) < 10:
            size, sub = self._size(_ZIP_SIZES)
            out.append(mime.binary_part("application/zip", mime.KIND_BY_EXT["zip"][2], f"invoice_{sub % 10000:04d}.zip", None, size, sub))
        elif cat == "dev" and rng.below(100) < 8:
            out.append(mime.text_attachment("text/x-diff", f"{text.subject_words(rng, 1).lower()}-fix.patch", _patch(self.words, rng)))
        for _ in range(n):
            out.append(self._binary(self._size(_ATTACH_SIZES)))
        if cat in ("conversation", "outgoing", "project") and rng.below(1000) < 6:
            out.append(self._binary(self._size(_LARGE_SIZES)))
        return out

    def _binary(self, size_sub: tuple[int, int]) -> bytes:
        size, sub = size_sub
        rng = self.rng
        kinds = mime.BINARY_KINDS
        ctype, ext, magic = kinds[rng.below(len(kinds))]
        charset = None
        if rng.below(100) < 8:
            name, kind = NON_ASCII_FILENAMES[rng.below(len(NON_ASCII_FILENAMES))]
            base = name.rsplit(".", 1)[0]
            filename = f"{base}.{ext}"
            charset = "ISO-8859-1" if kind == "latin1" and rng.getrandbits(1) else "UTF-8"
        elif ext in ("jpg", "png") and rng.getrandbits(1):
            filename = f"IMG_{rng.below(10000):04d}.{ext}"
        else:
            filename = f"{text.subject_words(rng, 2).replace(' ', '_')}.{ext}"
        return mime.binary_part(ctype, magic, filename, charset, size, sub)

    def _forwarded_message(self, par: Quoted, owner: Party) -> tuple[bytes, str]:
        """The parent re-sent as message/rfc822, as 'forward as attachment' does."""
        body = par.excerpt
        frm = display_name(par.name) if par.name else ""
        head = f"Message-ID: {par.message_id}\nDate: {par.date}\n"
        head += f"From: {frm} <{par.address}>\n" if frm else f"From: {par.address}\n"
        head += f"To: <{owner.address}>\n"
        head += unstructured("Subject", par.subject)
        head += "MIME-Version: 1.0\n"
        cte = "7bit" if body.isascii() else "quoted-printable"
        leaf = mime.text_part(body, "plain", "UTF-8" if cte != "7bit" else "us-ascii", cte)
        return mime.rfc822_part(head.encode("ascii") + leaf), body

    # -- message -------------------------------------------------------------

    def compose(self, spec: Spec) -> Composed:
        rng = self.rng
        sender = spec.sender
        client = CLIENTS[sender.client]
        domain = sender.address.rsplit("@", 1)[1]
        cat = spec.category

        paras = self._new_paragraphs(spec)
        blocks = [text.wrap(p) for p in paras]
        plain, quote = self._plain_body(spec, blocks, client)

        html_only = cat == "spam" and rng.getrandbits(1)
        if cat in ("notification", "announce", "spam"):
            alt = True
        elif cat == "dev":
            alt = rng.below(100) < 5
        else:
            alt = rng.below(100) < client.html
        cids: list[str] = []
        if alt:
            nimg = 0
            if cat == "announce" and rng.below(100) < 25:
                nimg = 1 + rng.below(3)
            elif cat in ("conversation", "outgoing", "project") and rng.below(100) < 5:
                nimg = 1 + (rng.below(100) < 30)
            cids = [f"part{i + 1}.{rng.getrandbits(32):08x}@{domain}" for i in range(nimg)]

        fwd_part = None
        fwd_text = ""
        if spec.kind == "forward" and spec.parent is not None and rng.below(100) < 30:
            # Forward as attachment: a one-paragraph note, the original rides along.
            fwd_part, fwd_text = self._forwarded_message(spec.parent, spec.owner)
            lost = [m for m in spec.inject if m not in paras[0].lower()]
            paras = [" ".join([paras[0]] + lost)]
            blocks = [text.wrap(paras[0])]
            plain = "\n".join(blocks[0])
            quote = []

        flowed = "; format=flowed" if client.boundary == "tb" else ""
        if alt:
            html = self._html_body(spec, blocks, quote, client, cids)
            html_leaf = self._text_leaf(html, "html", client)
            if cids:
                imgs = []
                for i, cid in enumerate(cids):
                    size, sub = self._size(_IMAGE_SIZES)
                    ext = "png" if rng.getrandbits(1) else "jpg"
                    ctype, _, magic = mime.KIND_BY_EXT[ext]
                    imgs.append(mime.binary_part(ctype, magic, f"image{i + 1:03d}.{ext}", None, size, sub, "inline", cid))
                html_ent = mime.multipart("related", mime.boundary(client.boundary, rng, 2), [html_leaf] + imgs, ' type="text/html";')
            else:
                html_ent = html_leaf
            if html_only:
                body = html_ent
            else:
                body = mime.multipart(
                    "alternative", mime.boundary(client.boundary, rng, 1), [self._text_leaf(plain, "plain", client), html_ent]
                )
        else:
            body = self._text_leaf(plain, "plain", client, flowed)
        atts = self._attachments(spec, domain)
        if fwd_part is not None:
            atts.insert(0, fwd_part)
        if atts:
            body = mime.multipart("mixed", mime.boundary(client.boundary, rng, 0), [body] + atts)

        head, date = self._headers(spec, client, domain)
        raw = (head.encode("ascii") + b"MIME-Version: 1.0\n" + body).replace(b"\n", b"\r\n")

        # Quoted history is scrubbed of markers (see _excerpt), so only injected
        # words can be present; scanning rather than trusting ``inject`` keeps
        # the manifest honest.  Case is ignored: a marker opening a sentence is
        # capitalised, and search engines match it all the same.
        markers: tuple[str, ...] = ()
        if spec.inject:
            scanned = (plain + fwd_text).lower()
            markers = tuple(m for m in text.MARKER_WORDS if m in scanned)
        excerpt = _excerpt(plain, markers)
        subj = spec.prefix + spec.subject
        quoted = Quoted(spec.message_id, spec.references, sender.name, sender.address, date, subj, excerpt)
        return Composed(raw, quoted, markers)

    def _headers(self, spec: Spec, client: Client, domain: str) -> tuple[str, str]:
        rng = self.rng
        sender = spec.sender
        cat = spec.category
        if spec.received:
            date_ts = spec.ts - 3 - rng.below(600)
        else:
            date_ts = spec.ts
        date = rfc5322_date(date_ts, sender.tz)
        h: list[str] = []
        if spec.received:
            h += self._trace(spec, domain, date_ts)
        if spec.list_name:
            list_addr = "dev@lists.example.org" if spec.list_name == "Lists/dev" else "announce@lists.example.org"
            lid = list_addr.replace("@", ".")
            local = list_addr.split("@")[0]
            h.append(f"List-Id: {_LIST_DESC[spec.list_name]} <{lid}>\n")
            h.append(f"List-Unsubscribe: <mailto:{local}-leave@lists.example.org>,\n <https://lists.example.org/unsubscribe/{local}>\n")
            h.append(f"List-Post: <mailto:{list_addr}>\nList-Archive: <https://lists.example.org/archive/{local}/>\n")
            h.append("Precedence: list\n")
        elif cat in ("notification", "announce"):
            h.append(f"List-Unsubscribe: <https://{domain}/unsubscribe?u={rng.getrandbits(48):012x}>\n")
            h.append("Precedence: bulk\n")
            if domain.startswith("build") or domain.startswith("tracker"):
                h.append("Auto-Submitted: auto-generated\n")
        h.append(f"Message-ID: {spec.message_id}\n")
        h.append(f"Date: {date}\n")
        h.append(address_list("From", [_mailbox(sender, client)]))
        if cat == "spam" and rng.below(100) < 30:
            h.append("To: undisclosed-recipients:;\n")
        elif spec.to:
            h.append(address_list("To", [_mailbox(p, client) for p in spec.to]))
        if spec.cc:
            h.append(address_list("Cc", [_mailbox(p, client) for p in spec.cc]))
        if spec.bcc:
            h.append(address_list("Bcc", [_mailbox(p, client) for p in spec.bcc]))
        if cat in ("notification", "announce"):
            h.append(f"Reply-To: <no-reply@{domain}>\n")
        if spec.subject or spec.prefix:
            h.append(self._subject(spec, client))
        if spec.in_reply_to:
            h.append(f"In-Reply-To: {spec.in_reply_to}\n")
        if spec.references:
            h.append(fold_words("References", list(spec.references)))
        if client.ua_header:
            h.append(f"{client.ua_header}: {client.ua}\n")
        if client.boundary == "ol":
            h.append(f"Thread-Index: {base64.b64encode(rng.randbytes(22)).decode()}\n")
            h.append("Content-Language: en-US\n")
        if cat == "spam":
            score = 50 + rng.below(150)
            h.append(f"X-Spam-Flag: YES\nX-Spam-Status: Yes, score={score // 10}.{score % 10} required=5.0\n")
        if spec.kind == "draft":
            h.append("X-Mozilla-Draft-Info: internal/draft; vcard=0; receipt=0\n")
        return "".join(h), date

    def _subject(self, spec: Spec, client: Client) -> str:
        s = spec.subject
        sender = spec.sender
        if s.isascii():
            return unstructured("Subject", spec.prefix + s)
        charset, enc = "UTF-8", "B"
        try:
            s.encode("latin-1")
            enc = "Q"
            if client.latin1 or sender.charset == "ISO-8859-1":
                charset = "ISO-8859-1"
        except UnicodeEncodeError:
            pass
        return unstructured("Subject", s, charset, enc, spec.prefix)

    def _trace(self, spec: Spec, domain: str, date_ts: int) -> list[str]:
        """Return-Path, Received chain and authentication results (RFC 5321 4.4)."""
        rng = self.rng
        sender = spec.sender
        owner = spec.owner
        net = DOC_NETS[rng.below(3)]
        ip = f"{net}.{1 + rng.below(254)}"
        cip = f"{DOC_NETS[rng.below(3)]}.{1 + rng.below(254)}"
        qid = f"{rng.getrandbits(40):010X}"
        qid2 = f"{rng.getrandbits(40):010X}"
        mx = f"mx{1 + rng.below(4)}.{domain}"
        ts = spec.ts
        out = []
        if spec.list_name:
            local = "dev" if spec.list_name == "Lists/dev" else "announce"
            out.append(f"Return-Path: <{local}-bounces+{owner.address.replace('@', '=')}@lists.example.org>\n")
        else:
            out.append(f"Return-Path: <{sender.address}>\n")
        out.append(f"Delivered-To: {owner.address}\n")
        out.append(
            f"Received: from {mx} ({mx} [{ip}])\n\tby mx.{OWN_DOMAIN} (Postfix) with ESMTPS id {qid}\n"
            f"\tfor <{owner.address}>; {rfc5322_date(ts, 0)}\n"
        )
        if spec.list_name:
            out.append(
                f"Received: from lists.example.org (lists.example.org [{cip}])\n\tby {mx} (Postfix) with ESMTP id {qid2};\n"
                f"\t{rfc5322_date(ts - 1, 0)}\n"
            )
        else:
            out.append(
                f"Received: from [{cip}] (unknown [{cip}])\n\tby {mx} (Postfix) with ESMTPSA id {qid2};\n"
                f"\t{rfc5322_date(date_ts + 1, sender.tz)}\n"
            )
        if spec.category == "spam":
            out.append(f"Authentication-Results: mx.{OWN_DOMAIN};\n\tspf=softfail smtp.mailfrom={domain};\n\tdkim=none; dmarc=fail header.from={domain}\n")
            return out
        sel = f"s{rng.below(3)}"
        out.append(
            f"Authentication-Results: mx.{OWN_DOMAIN};\n\tdkim=pass header.d={domain} header.s={sel};\n"
            f"\tspf=pass smtp.mailfrom={domain};\n\tdmarc=pass header.from={domain}\n"
        )
        out.append(f"X-Spam-Status: No, score=-{rng.below(30) // 10}.{rng.below(10)} required=5.0\n\ttests=DKIM_SIGNED,DKIM_VALID,SPF_PASS autolearn=ham\n")
        style = CLIENTS[sender.client].boundary
        if style in ("gmail", "ol") or rng.below(100) < 30:
            # Forwarding hops and large providers add ARC sets (RFC 8617).
            out.append(f"ARC-Seal: i=1; a=rsa-sha256; t={date_ts}; cv=none; d={domain}; s=arc-{sel};\n\tb={_sig(rng, 256)}\n")
            out.append(
                f"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=arc-{sel};\n"
                f"\th=to:subject:message-id:date:from:mime-version:dkim-signature;\n\tbh={_sig(rng, 32)};\n\tb={_sig(rng, 256)}\n"
            )
            out.append(f"ARC-Authentication-Results: i=1; mx.{domain};\n\tdkim=pass header.i=@{domain} header.s={sel};\n\tspf=pass smtp.mailfrom={domain}\n")
        out.append(
            f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s={sel};\n"
            f"\tt={date_ts}; h=from:to:subject:date:message-id:mime-version;\n\tbh={_sig(rng, 32)};\n\tb={_sig(rng, 256)}\n"
        )
        if style == "gmail":
            out.append(
                "X-Google-DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=1e100.example; s=20230601;\n"
                f"\tt={date_ts}; h=x-gm-message-state:to:subject:message-id:date:from;\n\tbh={_sig(rng, 32)};\n\tb={_sig(rng, 256)}\n"
            )
            out.append(f"X-Gm-Message-State: {_sig(rng, 40)}\n")
            out.append(f"X-Google-Smtp-Source: {_sig(rng, 60)}\n")
        elif style == "ol":
            out += _exchange_headers(rng, date_ts)
        elif style == "bulk":
            # Bulk senders go through an email service provider, which signs too.
            out.append(
                "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=esp.example.net; s=esp1;\n"
                f"\tt={date_ts}; h=from:subject:list-unsubscribe:list-unsubscribe-post:mime-version:to:feedback-id;\n"
                f"\tbh={_sig(rng, 32)};\n\tb={_sig(rng, 256)}\n"
            )
            out.append(f"Feedback-ID: {rng.getrandbits(24)}:{rng.getrandbits(16)}:campaign:esp.example.net\n")
            out.append(f"X-ESP-EID: {_sig(rng, 180)}\n")
            out.append(f"X-ESP-Message-ID: {rng.getrandbits(96):024x}\n")
            out.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\n")
        return out


def _sig_pool() -> str:
    import random as _random

    raw = base64.b64encode(_random.Random("jmapd-seed/signatures/1").randbytes(70 * 3 // 4 * 1024)).decode("ascii")
    return "\n\t".join(raw[i : i + 70] for i in range(0, len(raw), 70))


# Signature values are never verified, so they are cut from one pre-folded pool
# of base64 lines (70 characters plus a folding "\n\t") at a random line.
_SIG_POOL = _sig_pool()
_SIG_LINES = len(_SIG_POOL) // 72


def _sig(rng: Rng, n: int) -> str:
    """A folded base64 value as long as the encoding of n bytes."""
    full, rem = divmod((n + 2) // 3 * 4, 70)
    start = rng.below(_SIG_LINES - full - 1) * 72
    end = start + full * 72 + rem
    return _SIG_POOL[start : end - 2] if rem == 0 else _SIG_POOL[start:end]


def _exchange_headers(rng: Rng, ts: int) -> list[str]:
    """The trace fields a hosted Exchange server adds; they are much of why real mail is big."""
    guid = f"{rng.getrandbits(128):032x}"
    guid = f"{guid[:8]}-{guid[8:12]}-{guid[12:16]}-{guid[16:20]}-{guid[20:]}"
    return [
        f"X-MS-Exchange-Organization-Network-Message-Id: {guid}\n",
        "X-MS-Exchange-Organization-SCL: 1\n",
        "X-MS-Exchange-Organization-AuthSource: mail.example.net\n",
        "X-MS-Exchange-Organization-AuthAs: Anonymous\n",
        f"X-MS-Office365-Filtering-Correlation-Id: {guid}\n",
        "X-MS-TrafficTypeDiagnostic: DM6PR01MB0001:EE_|SA1PR01MB0002:EE_\n",
        "X-Microsoft-Antispam: BCL:0;ARA:13230040|1800799024|366016|376014;\n",
        f"X-Microsoft-Antispam-Message-Info:\n\t{_sig(rng, 900)}\n",
        "X-Forefront-Antispam-Report: CIP:192.0.2.10;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;\n"
        "\tH:mail.example.net;PTR:;CAT:NONE;SFS:(13230040)(1800799024)(366016);DIR:INB;\n",
        f"X-MS-Exchange-CrossTenant-OriginalArrivalTime: {rfc5322_date(ts, 0)}\n",
        f"X-MS-Exchange-CrossTenant-Id: {guid}\n",
        "X-MS-Exchange-Transport-CrossTenantHeadersStamped: SA1PR01MB0002\n",
    ]


_OUTLOOK_HEAD = (
    '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
    'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
    '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n'
    "<style><!--\n/* Font Definitions */\n"
    '@font-face\n\t{font-family:"Cambria Math";\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\n'
    "@font-face\n\t{font-family:Calibri;\n\tpanose-1:2 15 5 2 2 2 4 3 2 4;}\n"
    "/* Style Definitions */\n"
    "p.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0cm;\n\tfont-size:11.0pt;\n\t"
    'font-family:"Calibri",sans-serif;\n\tmso-ligatures:standardcontextual;\n\tmso-fareast-language:EN-US;}\n'
    "a:link, span.MsoHyperlink\n\t{mso-style-priority:99;\n\tcolor:#0563C1;\n\ttext-decoration:underline;}\n"
    "span.EmailStyle17\n\t{mso-style-type:personal-compose;\n\tfont-family:\"Calibri\",sans-serif;\n\tcolor:windowtext;}\n"
    ".MsoChpDefault\n\t{mso-style-type:export-only;\n\tfont-size:10.0pt;\n\tmso-fareast-language:EN-US;}\n"
    "@page WordSection1\n\t{size:612.0pt 792.0pt;\n\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}\n"
    "div.WordSection1\n\t{page:WordSection1;}\n--></style><!--[if gte mso 9]><xml>\n"
    '<o:shapedefaults v:ext="edit" spidmax="1026" />\n</xml><![endif]--><!--[if gte mso 9]><xml>\n'
    '<o:shapelayout v:ext="edit">\n<o:idmap v:ext="edit" data="1" />\n</o:shapelayout></xml><![endif]-->\n'
    '</head>\n<body lang="EN-US" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">\n'
)

_BULK_STYLE = (
    "<style type=\"text/css\">\nbody{margin:0;padding:0;background:#f4f4f4;font-family:Helvetica,Arial,sans-serif}\n"
    "table{border-collapse:collapse}\n.container{width:600px;margin:0 auto;background:#ffffff}\n"
    ".header{background:#1a73e8;color:#ffffff;padding:24px;font-size:22px}\n"
    ".content{padding:24px;font-size:15px;line-height:22px;color:#333333}\n"
    ".button{display:inline-block;padding:12px 24px;background:#1a73e8;color:#ffffff;text-decoration:none;border-radius:4px}\n"
    ".footer{padding:16px;font-size:12px;color:#888888;text-align:center}\n"
    "@media only screen and (max-width:620px){.container{width:100% !important}}\n</style>\n"
)


_BULK_FOOTER = "\n".join(
    [
        '<tr><td style="padding:16px 24px;border-top:1px solid #eeeeee">',
        '<table role="presentation" width="100%"><tr>',
    ]
    + [
        f'<td align="center" style="padding:4px"><a href="https://{{domain}}/social/{n}" style="color:#888888;'
        f'text-decoration:none"><img src="https://cdn.{{domain}}/icons/{n}.png" width="24" height="24" alt="{n}" '
        'style="display:block;border:0"></a></td>'
        for n in ("facebook", "twitter", "linkedin", "instagram", "youtube")
    ]
    + [
        "</tr></table>",
        "</td></tr>",
        '<tr><td class="footer" style="padding:16px;font-size:12px;line-height:18px;color:#888888;text-align:center">',
        "You receive this email because you have an account at {domain}.<br>",
        "Example Corporation, 123 Example Street, Springfield, EX 00000<br>",
        '<a href="https://{domain}/preferences" style="color:#888888">Email preferences</a> |',
        '<a href="https://{domain}/unsubscribe" style="color:#888888">Unsubscribe</a> |',
        '<a href="https://{domain}/privacy" style="color:#888888">Privacy policy</a> |',
        '<a href="https://{domain}/help" style="color:#888888">Help centre</a>',
        "</td></tr>",
        "</table>",
        '<img src="https://{domain}/open/pixel.gif" width="1" height="1" alt="" style="display:none">',
        "</body></html>",
    ]
)


def _bulk_html(spec: Spec, blocks: list[list[str]], imgs: str, rng: Rng) -> str:
    """Table-layout HTML in the style of newsletters and notification mailers."""
    esc = text.html_escape
    domain = spec.sender.address.rsplit("@", 1)[1]
    rows = []
    for b in blocks:
        rows.append(
            '<tr><td class="content" style="padding:12px 24px;font-size:15px;line-height:22px;color:#333333">'
            f"\n{esc(chr(10).join(b))}\n</td></tr>"
        )
        if spec.category == "announce" and rng.below(100) < 40:
            rows.append(
                f'<tr><td style="padding:0 24px"><img src="https://cdn.{domain}/img/{rng.getrandbits(48):012x}.jpg" '
                'width="552" height="240" alt="" style="display:block;border:0"></td></tr>'
            )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        + _BULK_STYLE
        + '</head><body>\n<table class="container" role="presentation" width="600" align="center">\n'
        + f'<tr><td class="header">{esc(spec.sender.name)}</td></tr>\n'
        + "\n".join(rows)
        + imgs
        + f'\n<tr><td style="padding:24px"><a class="button" href="https://{domain}/view/{rng.getrandbits(48):012x}">'
        "View online</a></td></tr>\n"
        + _BULK_FOOTER.replace("{domain}", domain)
    )


def _patch(words: Rng, rng: Rng) -> str:
    """A unified diff, the classic dev-list attachment."""
    name = text.sample_words(words, 1)[0]
    lines = [f"diff --git a/src/{name}.py b/src/{name}.py", "index 3f2a1b4..9c8d7e6 100644",
             f"--- a/src/{name}.py", f"+++ b/src/{name}.py", f"@@ -{1 + rng.below(200)},7 +{1 + rng.below(200)},9 @@"]
    for _ in range(6 + rng.below(30)):
        ws = text.sample_words(words, 3 + rng.below(5))
        sign = " +-"[rng.below(3)]
        lines.append(f"{sign}    {ws[0]}_{ws[1]} = {'_'.join(ws[2:])}()")
    return "\n".join(lines)
