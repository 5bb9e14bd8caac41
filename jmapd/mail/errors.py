"""What the mail layer refuses, in its own words.

Each frontend maps these to its protocol: a JMAP SetError, an SMTP reply code, an IMAP NO. The
mail layer never names a protocol's error itself, so the same refusal reads right in each.
"""

from __future__ import annotations


class MailError(Exception):
    """A mail operation refused; nothing was written."""


class NoSuchMailbox(MailError):
    def __init__(self, mailbox_id: str):
        super().__init__(f"no mailbox {mailbox_id}")
        self.mailbox_id = mailbox_id


class NoSuchEmail(MailError):
    def __init__(self, email_id: str):
        super().__init__(f"no email {email_id}")
        self.email_id = email_id


class NoMailbox(MailError):
    """A message is always in at least one mailbox (RFC 8621 §4.1.1 mailboxIds)."""

    def __init__(self):
        super().__init__("a message must be in at least one mailbox")


class TooManyMailboxes(MailError):
    def __init__(self, limit: int):
        super().__init__(f"a message may be in at most {limit} mailboxes")
        self.limit = limit


class InvalidKeywords(MailError):
    def __init__(self, keywords: list[str]):
        super().__init__(f"invalid keywords: {', '.join(map(str, keywords[:5]))}")
        self.keywords = keywords


class TooManyKeywords(MailError):
    def __init__(self, limit: int):
        super().__init__(f"a message may have at most {limit} keywords")
        self.limit = limit


class InvalidAddress(MailError):
    def __init__(self, address: str, why: str = "not a valid address"):
        super().__init__(f"{address!r}: {why}")
        self.address = address


class AddressTaken(MailError):
    def __init__(self, address: str, owner: str):
        super().__init__(f"{address} already belongs to {owner}")
        self.address = address
        self.owner = owner


class UnknownDomain(MailError):
    def __init__(self, domain: str):
        super().__init__(f"{domain} is not a domain of this server")
        self.domain = domain
