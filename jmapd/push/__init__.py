"""Push: StateChange events (RFC 8620 §7) to whoever listens, from every commit of any process.

The broadcaster learns of changes from the store and fans them out; each push channel (EventSource
and WebSocket in jmapd/http, the PushSubscription sender in `webhooks`) is a subscriber with its own
bounded queue. `positions` encodes where a listener stands, so that a reconnecting one loses nothing.
"""

from .broadcaster import BUFFER_EVENTS, Broadcaster, Event, Subscriber
from .positions import encode_position, parse_position

__all__ = ["BUFFER_EVENTS", "Broadcaster", "Event", "Subscriber", "encode_position", "parse_position"]
