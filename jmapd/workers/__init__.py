"""Work beside the requests: the full-text indexer and search, parsing large imports in worker
processes, and giving memory back to the system after large batches."""
