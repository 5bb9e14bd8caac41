"""The JMAP wire protocol (RFC 8620 §3): envelopes, errors, references and the call engine."""
