"""IMAP4rev2 (RFC 9051) with IMAP4rev1 (RFC 3501) compatibility, on the same store as JMAP.

How IMAP maps onto the store, once:

- Folders are JMAP Mailboxes; the hierarchy separator is "/", and the inbox role is INBOX
  (`names.py`). SPECIAL-USE attributes come from the roles.
- UIDs are per mailbox, strictly ascending and never reused, kept by the mail layer's writer for
  messages added by any path (`jmapd/mail/uids.py`); UIDVALIDITY is fixed per mailbox id.
- Flags are keywords (`flags.py`): \\Seen $seen, \\Answered $answered, \\Flagged $flagged,
  \\Draft $draft, \\Deleted $deleted, other keywords as themselves.
- A message in two JMAP mailboxes is in both folders, with one set of flags. COPY adds the target
  mailbox to the message; \\Deleted plus EXPUNGE takes it out of the selected mailbox only, and
  destroys it when that was its last mailbox.
- The mail layer keeps, per mailbox, the UIDs of each keyword and counters of them and of the
  mailbox's octets (`jmapd/mail/uids.py`): EXPUNGE reads only the `$deleted` messages, STATUS
  reads counters, and SEARCH on flags and UID sets reads no message records (`search.py`).
- MODSEQ is the account's change-log modseq: a message's MODSEQ is that of its last flag or
  placement change, HIGHESTMODSEQ the account's Email state.
- Changes by any client, protocol or process reach a session as untagged EXISTS, EXPUNGE (or
  VANISHED) and FETCH FLAGS at each command and during IDLE (`selected.py`, `idle.py`).

Writes go through the mail layer's writer (`jmapd.mail.writer`) and mailbox changes through JMAP's
Mailbox/set: IMAP has no write path of its own. One module per command group: `mailbox_commands`,
`fetch`, `search`, `store_command`, `copy_move`, `append`, `idle`, `auth`, `basics`, `sort_thread`,
`acl_quota`; the parser, the wire format and the connection loop beside them.
"""
