"""Full-text index of emails (Whoosh): text FilterConditions and SearchSnippets.

See :class:`SearchIndex`. The package knows nothing of the store or of JMAP
methods; callers hand it :class:`IndexBatch` objects and get email ids back.

Names load from their modules on first use (PEP 562), so that importing one
light module of the package -- :mod:`index.workers`, which every worker
process starts from -- does not load Whoosh.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_MODULE_OF = {
    "IndexBusyError": "durable",
    "QueryTerms": "query",
    "parse_query": "query",
    "FIELD_OF": "schema",
    "IndexBatch": "schema",
    "IndexDocument": "schema",
    "PREVIEW_MAX_BYTES": "searchindex",
    "SearchIndex": "searchindex",
    "MergePolicy": "segments",
    "snippet": "snippets",
    "WriterConfig": "writer",
}

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


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .durable import IndexBusyError
    from .query import QueryTerms, parse_query
    from .schema import FIELD_OF, IndexBatch, IndexDocument
    from .searchindex import PREVIEW_MAX_BYTES, SearchIndex
    from .segments import MergePolicy
    from .snippets import snippet
    from .writer import WriterConfig
