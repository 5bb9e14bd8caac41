"""jmapd: an embedded mail server with its own message store, JMAP first.

Layers, lowest first; a module imports only from its own layer or those below it
(tests/foundation/test_layers.py holds the code to this):

- `store/` (LMDB) and `index/` (Whoosh), top-level packages beside this one;
- `mime/` (parsing and composing messages) and `protocol/` (the JMAP wire), which know no store;
- `mail/`: the mail layer every frontend shares (records, the writer, threads, counts, addresses);
- `workers/`: work beside the requests (the search indexer, the parse pool);
- `methods/`: the JMAP methods over the mail layer;
- frontends: `http/` (JMAP over HTTP), `push/`, and the entry points `cli/`, `server.py`,
  `testing.py`; tools: `seed/` and `loadgen/`.
"""
