"""Limits every listener shares: how many connections a client address and the whole process may
hold, and the timeouts of a connection's phases.

Any protocol's listener (HTTP, IMAP, SMTP/LMTP) calls the same gate, so that one client cannot take
all of the process's file descriptors through whichever port it finds:

    from jmapd.limits import connection_gate

    gate = connection_gate()            # the process's gate (configure_process() sets its limits)
    ticket = gate.admit(peer_host)      # None: refuse the connection at once (say why, then close)
    ...
    gate.release(ticket)                # exactly once, when the connection closes

`admit` and `release` are cheap and thread-safe. The settings (`ConnectionSettings`) come from the
`[connections]` table of the configuration; header and body phase timeouts are each protocol's to
apply (HTTP: jmapd.http.connections), with the same numbers.
"""

from .connections import ConnectionGate, ConnectionSettings, Refusal, Ticket, configure_process, connection_gate
from .descriptors import raise_descriptor_limit
from .logins import LoginLimits

__all__ = ["ConnectionGate", "ConnectionSettings", "Refusal", "Ticket", "configure_process", "connection_gate",
           "raise_descriptor_limit", "LoginLimits"]
