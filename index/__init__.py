"""Full-text index of emails (Whoosh): text FilterConditions and SearchSnippets.

See :class:`SearchIndex`. The package knows nothing of the store or of JMAP
methods; callers hand it :class:`IndexBatch` objects and get email ids back.
"""

from .durable import IndexBusyError
from .query import QueryTerms, parse_query
from .schema import FIELD_OF, IndexBatch, IndexDocument
from .searchindex import PREVIEW_MAX_BYTES, SearchIndex
from .segments import MergePolicy
from .snippet import snippet
from .writer import WriterConfig

__all__ = [
    "FIELD_OF",
    "PREVIEW_MAX_BYTES",
    "IndexBatch",
    "IndexBusyError",
    "IndexDocument",
    "MergePolicy",
    "QueryTerms",
    "SearchIndex",
    "WriterConfig",
    "parse_query",
    "snippet",
]
