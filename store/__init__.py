"""The LMDB message store: immutable blobs, typed records, per-type change logs.

It knows nothing about HTTP or JSON; the JMAP methods translate between the wire and these records.
"""

from . import feed
from .env import Store, StoreOpenError
from .records import CREATED, DESTROYED, UPDATED
from .schema import SchemaError
from .txn import ReadTxn, WriteTxn

__all__ = ["feed", "Store", "ReadTxn", "WriteTxn", "SchemaError", "StoreOpenError", "CREATED", "UPDATED", "DESTROYED"]
