"""JMAP answers kept between requests: /get renderings of records and Email/query results.

Both are exact for the state they were made at, and are checked against the change log before use,
so a change made by any process, through any frontend, is never answered from a stale copy.
"""
