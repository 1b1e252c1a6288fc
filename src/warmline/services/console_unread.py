"""What each agent has read of each conversation, for the console's unread badges and the
count in its page title.

A conversation's unread messages are the customer's messages after the last line the agent
saw (the conversation page marks what it shows, and every message it receives live). A
conversation the agent never opened has every customer message unread. Kept in the server
process's memory, like who is on shift (``services/presence.py``): a restart starts every agent
with nothing read. With ``WARMLINE_REDIS_URL``, ``SharedReadMarks`` (``services/shared_state.py``)
keeps them in Redis for every worker; the runtime holds the one to use (``Runtime.read_marks``)."""

from __future__ import annotations

from collections.abc import Sequence

from warmline.domain.packet import PacketLine

MAX_MARKS = 100_000


class ReadMarks:
    def __init__(self, size: int = MAX_MARKS) -> None:
        self.size = size
        self._seen: dict[tuple[str, str], int] = {}

    def mark(self, agent: str, conversation_id: str, lines: int) -> None:
        """``agent`` has seen the first ``lines`` lines of the transcript (never fewer than
        they had seen before)."""
        key = (agent, conversation_id)
        if key not in self._seen and len(self._seen) >= self.size:
            self._seen.clear()
        self._seen[key] = max(lines, self._seen.get(key, 0))

    def seen(self, agent: str, conversation_id: str) -> int:
        return self._seen.get((agent, conversation_id), 0)

    def unread(self, agent: str, conversation_id: str, transcript: Sequence[PacketLine]) -> int:
        """The customer's messages after the lines ``agent`` has seen."""
        after = transcript[self.seen(agent, conversation_id) :]
        return sum(1 for line in after if line.author == "customer")
