"""JMAP over HTTP (RFC 8620 §2-3, §6-7): Starlette routes for the Session, the API, upload and
download, and EventSource; authentication, CORS and the request limits."""
