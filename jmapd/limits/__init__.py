"""Limits every listener shares: how many connections a client address and the whole process may
hold, and the timeouts of a connection's phases.

Any protocol's listener (HTTP, IMAP, SMTP/LMTP) calls the same gate, so that one client cannot take
all of the process's file descriptors through whichever port it finds:

    from jmapd.limits import Refusal, gate_of

    gate = gate_of(server.extras)       # the server's gate: the process's under `jmapd serve`
    try:
        ticket = gate.admit(peer_host)
    except Refusal as refusal:          # answer str(refusal) in the protocol's words, then close
        ...
    gate.release(ticket)                # when the connection closes (twice is harmless)

`admit` and `release` are cheap and thread-safe. The settings (`ConnectionSettings`) come from the
`[connections]` table of the configuration; header and body phase timeouts are each protocol's to
apply (HTTP: jmapd.http.connections), with the same numbers. `LoginLimits` (the `[logins]` table)
are the numbers of the login back-off that jmapd.auth applies for every protocol.
"""

from .connections import (EXTRAS_KEY, ConnectionGate, ConnectionSettings, Refusal, Ticket, configure_process,
                          connection_gate, gate_of)
from .descriptors import raise_descriptor_limit
from .logins import LoginLimits

__all__ = ["EXTRAS_KEY", "gate_of", "ConnectionGate", "ConnectionSettings", "Refusal", "Ticket", "configure_process", "connection_gate",
           "raise_descriptor_limit", "LoginLimits"]
