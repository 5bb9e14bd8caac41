"""Bringing mail in and taking it out: IMAP, mbox, Maildir and .eml imports, continuous IMAP sync,
and Maildir/mbox export.

Every importer reads its source into batches of `Incoming` messages and hands them to one
`Destination` (destination.py), which parses them outside the store's writer (in worker processes
for large batches, as Email/import does), then stores each batch through the mail layer's writer in
one transaction together with the resume state that batch advances (ledger.py). A kill -9 between
two batches therefore leaves neither a duplicate nor a gap: the rerun starts where the last commit
stopped. A running server sees the imported mail through its change log, like any delivery.
"""
