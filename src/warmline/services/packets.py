"""The warm-transfer packet a person reads before taking over: built from the event log
(``domain/packet.py``), with the customer's account and their past conversations added."""

from __future__ import annotations

from collections.abc import Callable

from warmline.domain.conversation import fold
from warmline.domain.packet import Packet, build_packet
from warmline.services.customer_accounts import AccountCache
from warmline.services.packs import PackRuntime
from warmline.storage.conversations import ConversationRepository

HISTORY = 10


class Packets:
    def __init__(
        self,
        repo: ConversationRepository,
        pack: Callable[[str | None], PackRuntime],
        accounts: AccountCache,
    ) -> None:
        self.repo = repo
        self.pack = pack
        self.accounts = accounts

    async def packet(self, conversation_id: str, *, with_account: bool = True) -> Packet:
        """The packet, with the customer's account and past conversations
        (``with_account=False``: from the event log alone, no back-office call)."""
        events = await self.repo.events(conversation_id)
        packet = build_packet(conversation_id, events)
        if not packet.customer_id or not with_account:
            return packet
        runtime = self.pack(packet.pack)
        customer, _ = await self.accounts.get(runtime.pack, fold(events).customer_id)
        if customer is not None:
            packet.customer = customer.profile
        packet.history = [
            {
                "conversation_id": s.id,
                "status": s.status,
                "started": s.created_at.isoformat(),
            }
            for s in await self.repo.of_customer(packet.customer_id, limit=HISTORY)
            if s.id != conversation_id
        ]
        return packet
