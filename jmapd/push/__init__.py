"""Push: StateChange events (RFC 8620 §7) to whoever listens, from every commit of any process.

The broadcaster learns of changes from the store and fans them out; each push channel (EventSource
today, WebSocket and PushSubscription next) is a subscriber with its own queue.
"""

from .broadcaster import Broadcaster, Subscriber

__all__ = ["Broadcaster", "Subscriber"]
