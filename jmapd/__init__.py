"""jmapd: an embedded mail server with its own message store, JMAP first.

Layers, lowest first; a module imports only from its own layer or those below it
(tests/foundation/test_layers.py holds the code to this):

- `store/` (LMDB) and `index/` (Whoosh), top-level packages beside this one;
- `mime/` (parsing and composing messages), `protocol/` (the JMAP wire), `config.py`, `limits/`;
- `mail/`: the mail layer every frontend shares (records, the writer, threads, counts, addresses,
  delivery, the submission queue), and `auth/` (logins for every protocol);
- `workers/`: work beside the requests (the search indexer, the parse pool);
- `methods/`: the JMAP methods over the mail layer;
- frontends: `http/` (JMAP over HTTP and WebSocket), `push/`, `imap/`, `smtp/` (mail in),
  `outbox/` (mail out), `draft/` (the draft JMAP-for-Mail dialect), `importers/`;
- entry points: `cli/`, `server.py`, `testdouble/` and `testing.py`; tools: `seed/`, `loadgen/`.
"""
