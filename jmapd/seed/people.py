"""Correspondents, their domains and the mail clients they write with.

Only reserved names are used (RFC 2606 / RFC 6761 ``example.*``, ``*.example``,
``*.test``) and documentation address blocks (RFC 5737), so a dataset loaded
into a real server, or replayed over SMTP by mistake, can never reach a real
mailbox or host.
"""

from __future__ import annotations

from typing import NamedTuple

from . import words as _words
from .rand import Rng, Weights

OWN_DOMAIN = "example.com"
PARTNER_DOMAINS = (
    "acme.example",
    "globex.example",
    "initech.example",
    "umbrella.example",
    "example.org",
    "example.net",
    "uni.example",
)
FREEMAIL_DOMAINS = ("mail.example", "post.example", "inbox.example")
DOC_NETS = ("192.0.2", "198.51.100", "203.0.113")
TZ_OFFSETS = (-480, -420, -360, -300, -240, -180, 0, 0, 60, 60, 60, 120, 120, 180, 330, 480, 540, 600)


class Client(NamedTuple):
    """How one mail program lays out a message: the bits servers must cope with."""

    ua_header: str  # "User-Agent", "X-Mailer" or "" (webmail sends neither)
    ua: str
    boundary: str  # boundary style key, see mime.boundary()
    html: int  # per cent of messages sent as multipart/alternative
    ascii_cte: str  # transfer encoding for ASCII text parts
    text_cte: str  # transfer encoding for non-ASCII text parts
    quote_names: bool  # always quote display names
    latin1: bool  # prefers ISO-8859-1 when the text fits


CLIENTS: tuple[Client, ...] = (
    Client("User-Agent", "Mozilla Thunderbird", "tb", 25, "7bit", "8bit", False, False),
    Client("X-Mailer", "Microsoft Outlook 16.0", "ol", 100, "quoted-printable", "quoted-printable", True, True),
    Client("X-Mailer", "Apple Mail (2.3774.300.61)", "apple", 60, "7bit", "quoted-printable", False, False),
    Client("", "", "gmail", 90, "7bit", "base64", True, False),
    Client("User-Agent", "NeoMutt/20231103", "mutt", 0, "7bit", "8bit", False, True),
    Client("X-Mailer", "Roundcube Webmail/1.6.6", "rc", 70, "7bit", "quoted-printable", True, True),
    # Not a person's client: newsletters, notifications and spam.
    Client("X-Mailer", "PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)", "bulk", 100, "quoted-printable", "quoted-printable", True, False),
)
BULK_CLIENT = len(CLIENTS) - 1
# Weights for picking a person's client, per thousand.
CLIENT_WEIGHTS = Weights((180, 260, 160, 280, 40, 80))


class Person(NamedTuple):
    name: str
    address: str
    client: int
    tz: int  # minutes east of UTC
    charset: str  # for the display name when it is not ASCII
    enc: str  # "B" or "Q"


def _charset_for(rng: Rng, kind: str, client: Client) -> tuple[str, str]:
    if kind == "latin1" and (client.latin1 or rng.getrandbits(1)):
        return "ISO-8859-1", "Q"
    if kind == "latin1":
        return "UTF-8", "Q"
    return "UTF-8", "B"


def make_people(rng: Rng, count: int = 260) -> list[Person]:
    """A fixed cast for one dataset: colleagues, partners, friends.

    About one in eight has a name outside ASCII, so display names exercise RFC
    2047 in both UTF-8 and ISO-8859-1.
    """
    firsts = _words.FIRST_NAMES.split()
    lasts = _words.LAST_NAMES.split()
    people: list[Person] = []
    used: set[str] = set()
    while len(people) < count:
        client_i = CLIENT_WEIGHTS.pick(rng)
        client = CLIENTS[client_i]
        r = rng.below(100)
        if r < 30:
            domain = OWN_DOMAIN
        elif r < 80:
            domain = PARTNER_DOMAINS[rng.below(len(PARTNER_DOMAINS))]
        else:
            domain = FREEMAIL_DOMAINS[rng.below(len(FREEMAIL_DOMAINS))]
        if rng.below(8) == 0:
            name, local, kind = _words.NON_ASCII_PEOPLE[rng.below(len(_words.NON_ASCII_PEOPLE))]
        else:
            first = firsts[rng.below(len(firsts))]
            last = lasts[rng.below(len(lasts))]
            kind = "ascii"
            if rng.below(20) == 0:
                name = f"{first[0]}. {last}"  # needs quoting: '.' is a special
            else:
                name = f"{first} {last}"
            local = f"{first}.{last}".lower().replace("'", "")
        address = f"{local}@{domain}"
        if address in used:
            address = f"{local}{len(people)}@{domain}"
        used.add(address)
        charset, enc = _charset_for(rng, kind, client)
        tz = TZ_OFFSETS[rng.below(len(TZ_OFFSETS))]
        if domain == OWN_DOMAIN:
            tz = 60
        people.append(Person(name, address, client_i, tz, charset, enc))
    return people


# Automated senders: (name, address, subject templates) per kind.
NOTIFIERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Shop Example", "orders@shop.example", ("Your order #{n} has shipped", "Receipt for order #{n}", "Your order #{n} is confirmed")),
    ("CI Server", "ci@build.example.net", ("Build #{n} failed on main", "Build #{n} fixed", "Nightly report #{n}")),
    ("Tracker", "noreply@tracker.example.org", ("[TICKET-{n}] {w} updated", "[TICKET-{n}] New comment on {w}", "[TICKET-{n}] Assigned to you")),
    ("Calendar", "calendar@example.com", ("Invitation: {w} @ {d}", "Updated invitation: {w}", "Reminder: {w} starts soon")),
    ("Bank Example", "alerts@bank.example", ("Your statement is ready", "Payment of {n}.00 received", "Security notice for your account")),
    ("Travel Example", "bookings@travel.example", ("Booking confirmation {n}", "Your trip to {w} is coming up", "Check in now for flight EX{n}")),
)

LISTS: dict[str, tuple[str, str]] = {
    "Lists/dev": ("dev@lists.example.org", "dev.lists.example.org"),
    "Lists/announce": ("announce@lists.example.org", "announce.lists.example.org"),
}

SPAM_SUBJECTS = (
    "You have won a {w} prize!!!",
    "URGENT: verify your {w} account",
    "Cheap {w} - 90% off today only",
    "Re: your invoice #{n}",
    "Confidential business proposal",
    "Your mailbox is almost full",
)
