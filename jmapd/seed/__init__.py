"""Deterministic benchmark mailboxes.

``iter_messages(seed, count, options)`` yields ``SeedMessage`` structs for
in-process benchmarks; ``write_dataset`` puts the same messages on disk for any
mail server's importer; ``main`` is the ``jmapd seed`` command.  The same seed,
count and options give byte-identical output on every machine.

On disk (``write_dataset`` / ``jmapd seed --out DIR``):

- ``messages/NNNNN/NNNNNNNN.eml`` (format "eml"): one RFC 5322 message per
  file, CRLF line endings; or ``mbox/<folder>.mbox`` (format "mbox"): one
  mboxrd file per folder, LF line endings, "Lists/dev" as ``mbox/Lists/dev.mbox``.
- ``manifest.jsonl``: one JSON object per message, in receivedAt order, with
  file, folder, keywords, receivedAt, messageId, threadKey and size (see
  ``ManifestEntry``).
- ``manifest.json``: written last; counts per folder with the Mailbox role to
  give it, keyword counts, thread and orphan counts, and the marker words with
  the exact number of messages containing each (see ``SeedSummary``).

Marker words (``MARKERS``) are invented words placed in a fixed share of
messages, so a search benchmark can query a common, a rare and a very rare term
and know the right number of results.
"""

from .cli import main
from .generator import GENERATOR_ID, DatasetGenerator, iter_messages
from .model import ManifestEntry, SeedMessage, SeedOptions, SeedSummary
from .plan import FOLDERS
from .text import MARKERS
from .writers import write_dataset

__all__ = [
    "FOLDERS",
    "GENERATOR_ID",
    "MARKERS",
    "DatasetGenerator",
    "ManifestEntry",
    "SeedMessage",
    "SeedOptions",
    "SeedSummary",
    "iter_messages",
    "main",
    "write_dataset",
]
