"""The mail layer: what every frontend needs of mail, and no frontend owns.

Emails, Threads and Mailboxes as records; the writer, the one place messages change, which keeps
threads, the receivedAt index, the mailbox counts and the search feed with each change; keywords and
placement; users' addresses, domains and aliases; the parsed messages behind body properties.

JMAP methods, the IMAP server, SMTP/LMTP delivery, the outbox and the importers all sit on top of
this package and translate their protocol into its calls, and its exceptions (`errors.py`) into
their protocol's errors. It knows no protocol itself: nothing here imports a frontend.

- `operations.Mail`: deliver, move, set_keywords, destroy, a mailbox's messages, changes since a
  modseq; each call one transaction.
- `writer`: the same changes inside a caller's transaction, for batches (JMAP /set and /import).
"""

from .errors import MailError
from .operations import Mail, MailChange, Stored

__all__ = ["Mail", "MailChange", "MailError", "Stored"]
