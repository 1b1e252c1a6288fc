"""The console's search over stored conversations: by customer id or name, conversation id,
order or reservation id, or a text of the transcript (``storage/search.py``).

Personal data is masked at rest, so the query is masked the same way before it is looked for:
an email address is found by its masked form (first letter and domain: ``m***@example.com``),
a card by its last four digits, a phone number by its last two. Such a search finds every
conversation holding the same masked form, another customer's among them, and never the raw
value, which is not stored. Ids, codes, names and ordinary words are not masked and match
as written.

An agent sees the conversations they may open (waiting for a person, or their own) and how
many others match; a supervisor sees them all."""

from __future__ import annotations

from dataclasses import dataclass, field

from warmline.privacy.pii import mask
from warmline.services.conversations import ConversationService
from warmline.storage.search import ConversationSearch, SearchHit

MIN_CHARS = 2
MAX_CHARS = 100


@dataclass(frozen=True)
class SearchResult:
    query: str
    searched: str  # the query as looked for: masked like the stored text
    hits: list[SearchHit] = field(default_factory=list)
    hidden: int = 0  # matches the agent may not open
    problem: str = ""


class ConsoleSearch:
    def __init__(self, conversations: ConversationService) -> None:
        self.conversations = conversations
        self.search = ConversationSearch(conversations.repo)

    async def find(self, query: str, agent: str, *, sees_all: bool) -> SearchResult:
        query = " ".join(query.split())
        if len(query) < MIN_CHARS or len(query) > MAX_CHARS:
            problem = f"Search for {MIN_CHARS} to {MAX_CHARS} characters."
            return SearchResult(query, query, problem=problem if query else "")
        searched = mask(query)
        hits = await self.search.find(searched)
        if sees_all:
            return SearchResult(query, searched, hits)
        allowed = []
        for hit in hits:
            state, _ = await self.conversations.state(hit.conversation.id)
            waiting = state.status == "escalated" and state.owner is None
            if waiting or state.owner == agent:
                allowed.append(hit)
        return SearchResult(query, searched, allowed, hidden=len(hits) - len(allowed))
