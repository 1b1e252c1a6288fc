"""Who is on shift: agents signed in, the skills they cover, how many conversations each can
hold at once, and the conversations each holds; with the handle times observed as conversations
end. Held in the process (one server); with ``WARMLINE_REDIS_URL``, ``services/shared_state.py``
keeps this in step with every other worker through Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from warmline.types import Clock


@dataclass
class AgentPresence:
    agent: str
    skills: frozenset[str]
    capacity: int
    active: dict[str, float] = field(default_factory=dict)  # conversation -> claimed at (s)

    def covers(self, skill: str | None) -> bool:
        return not self.skills or skill is None or skill in self.skills


class Presence:
    def __init__(self, clock: Clock, default_capacity: int = 3) -> None:
        self.clock = clock
        self.default_capacity = default_capacity
        self.agents: dict[str, AgentPresence] = {}
        self.handle_times: list[float] = []

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def sign_in(
        self, agent: str, skills: tuple[str, ...] = (), capacity: int | None = None
    ) -> None:
        current = self.agents.get(agent)
        self.agents[agent] = AgentPresence(
            agent,
            frozenset(skills),
            capacity or self.default_capacity,
            current.active if current else {},
        )

    def sign_out(self, agent: str) -> None:
        self.agents.pop(agent, None)

    def slots(self, skill: str | None = None) -> int:
        return sum(a.capacity for a in self.agents.values() if a.covers(skill))

    def free(self, skill: str | None = None) -> int:
        return sum(
            max(0, a.capacity - len(a.active)) for a in self.agents.values() if a.covers(skill)
        )

    def assign(self, agent: str, conversation_id: str) -> None:
        if agent not in self.agents:
            self.sign_in(agent)
        self.agents[agent].active[conversation_id] = self._now()

    def release(self, agent: str, conversation_id: str) -> None:
        presence = self.agents.get(agent)
        started = presence.active.pop(conversation_id, None) if presence else None
        if started is not None:
            self.handle_times.append(self._now() - started)
            del self.handle_times[:-200]
