"""Properties that must hold for any seed, count and option values.

The fixed-seed tests look at one mailbox in depth; these look shallowly at many,
including edge cases (no messages, one day, zero-byte attachments) where
schedule apportioning and thread truncation are most likely to break.
"""

from __future__ import annotations

import email
import email.policy
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jmapd.seed import SeedOptions, iter_messages
from jmapd.seed.headers import parse_rfc3339

_IRT = re.compile(rb"(?im)^In-Reply-To: <([^>]+)>")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=-(2**63), max_value=2**63),
    count=st.integers(min_value=0, max_value=60),
    days=st.sampled_from([1, 2, 30, 1096]),
    cap=st.sampled_from([0, 1, 57, 3000]),
)
def test_any_parameters_give_a_consistent_mailbox(seed, count, days, cap):
    """Guards exact counts, increasing receivedAt, backward references and parseability."""
    opts = SeedOptions(max_attachment_bytes=cap, days=days)
    msgs = list(iter_messages(seed, count, opts))
    assert len(msgs) == count
    ts = [parse_rfc3339(m.received_at) for m in msgs]
    assert all(a < b for a, b in zip(ts, ts[1:]))
    start = parse_rfc3339(opts.start)
    assert all(start <= t < start + (days + 1) * 86400 for t in ts)
    seen: dict[str, str] = {}
    for m in msgs:
        irt = _IRT.search(m.raw.split(b"\r\n\r\n", 1)[0])
        if irt and irt.group(1).decode() in seen:
            assert seen[irt.group(1).decode()] == m.thread_key
        seen[m.message_id] = m.thread_key
        parsed = email.message_from_bytes(m.raw, policy=email.policy.default)
        assert parsed["Message-ID"] and parsed["Date"] and parsed["From"]
        assert not any(p.defects for p in parsed.walk())


def test_invalid_arguments_are_rejected():
    """Guards argument validation: nonsense fails loudly instead of producing an odd dataset."""
    with pytest.raises(ValueError):
        list(iter_messages(1, -1, SeedOptions()))
    with pytest.raises(ValueError):
        list(iter_messages(1, 5, SeedOptions(days=0)))
    with pytest.raises(ValueError):
        list(iter_messages(1, 5, SeedOptions(max_attachment_bytes=-1)))
    with pytest.raises(ValueError):
        list(iter_messages(1, 5, SeedOptions(start="yesterday")))


def test_generation_speed_floor():
    """Guards against pathological slowdowns (quadratic joins, per-byte Python loops).

    The floor is far below the real rate so a busy machine does not fail it; CPU
    time is used so waiting for other processes does not count.
    """
    t0 = time.process_time()
    n = sum(1 for _ in iter_messages(8, 1000, SeedOptions(max_attachment_bytes=4096)))
    rate = n / (time.process_time() - t0)
    assert rate > 400, f"{rate:.0f} messages/s"


def test_public_message_shape():
    """Guards the API benchmarks code against: a msgspec Struct with the documented fields."""
    import msgspec

    from jmapd.seed import DatasetGenerator, SeedMessage

    (m,) = list(iter_messages(1, 1))
    assert isinstance(m, SeedMessage) and isinstance(m, msgspec.Struct)
    assert SeedMessage.__struct_fields__[:6] == ("raw", "folder", "keywords", "received_at", "message_id", "thread_key")
    assert isinstance(m.raw, bytes) and m.raw.endswith(b"\r\n")
    gen = DatasetGenerator(1, 3, SeedOptions())
    list(gen.messages())
    with pytest.raises(RuntimeError):
        list(gen.messages())
