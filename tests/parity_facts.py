"""Synthetic conversation facts for the parity monitor's tests and power benchmark: every
outcome the facts carry, drawn per conversation, with a gap planted (or not) in one group."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from warmline.analytics.facts import ConversationFacts

START = datetime(2026, 11, 1, tzinfo=UTC)


def planted(
    seed: int,
    *,
    conversations: int = 2000,
    channels: tuple[str, ...] = ("web", "sms"),
    escalation: float = 0.15,
    gaps: dict[str, float] | None = None,
    languages: tuple[str, ...] = ("en", "es"),
) -> list[ConversationFacts]:
    """``conversations`` split evenly between ``channels`` (and, independently, languages):
    escalation at ``escalation`` plus ``gaps[channel]`` for a channel with a gap; contained is
    its complement; every other outcome drawn alike for all."""
    rng, gaps = random.Random(seed), gaps or {}
    facts = []
    for i in range(conversations):
        channel = channels[i % len(channels)]
        language = languages[(i // len(channels)) % len(languages)]
        escalated = float(rng.random() < escalation + gaps.get(channel, 0.0))
        rated = rng.random() < 0.4
        outcomes: dict[str, float | None] = {
            "escalated": escalated,
            "contained": 1.0 - escalated,
            "abandoned": float(rng.random() < 0.05),
            "fcr": float(rng.random() < 0.7),
            "csat": float(rng.random() < 0.8) if rated else None,
            "ces": float(rng.randint(3, 7)) if rated else None,
            "aht_bot_s": rng.lognormvariate(4.0, 0.5),
            "aht_human_s": rng.lognormvariate(6.0, 0.6) if escalated else None,
            "cost": 0.4 + (3.5 if escalated else 0.0),
        }
        at = START + timedelta(minutes=i)
        facts.append(
            ConversationFacts(
                f"c{seed}-{i}",
                at,
                at + timedelta(minutes=5),
                {"channel": channel, "language": language, "pack": "retail"},
                outcomes,
            )
        )
    return facts
