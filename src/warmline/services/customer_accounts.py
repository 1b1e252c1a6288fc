"""The customer's account as the back office holds it, read at most ``ttl_s`` ago and dropped
after any write the bot makes, so a decision never rests on stale records for long. How the
account was read (fresh, cached and how old, missing, unavailable) is a reason of the turn."""

from __future__ import annotations

import time
from collections.abc import Callable

from warmline.domain.customers import Customer, facts_from_profile
from warmline.domain.decision import Reason
from warmline.domain.pack import DomainPack
from warmline.errors import BackOfficeNotFound, ConnectorError
from warmline.services.actions import ActionRunner

ACCOUNT_CACHE_SIZE = 10_000


class AccountCache:
    def __init__(
        self,
        runner: ActionRunner,
        ttl_s: float,
        *,
        size: int = ACCOUNT_CACHE_SIZE,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runner = runner
        self.ttl_s = ttl_s
        self.size = size
        self._now = now
        self._accounts: dict[tuple[str, str], tuple[float, Customer]] = {}

    async def get(
        self, pack: DomainPack, customer_id: str | None
    ) -> tuple[Customer | None, Reason | None]:
        """The customer (None without an account) and, unless it was read just now, how it
        was read."""
        if not customer_id or pack.account is None:
            return None, None
        key = (pack.pack, customer_id)
        cached = self._accounts.get(key)
        now = self._now()
        if cached is not None and now - cached[0] <= self.ttl_s:
            age = round(now - cached[0], 2)
            return cached[1], Reason(
                code="account_cached",
                detail=f"account read {age} s ago (limit {self.ttl_s} s)",
                values={"age_s": age, "limit_s": self.ttl_s},
            )
        try:
            profile = await self.runner.account(pack, customer_id)
        except BackOfficeNotFound:
            return None, Reason(code="account_not_found", detail=f"no account {customer_id}")
        except ConnectorError as exc:
            return None, Reason(code="account_unavailable", detail=exc.title)
        customer = Customer(
            id=customer_id, profile=profile, facts=facts_from_profile(profile, pack.account.fields)
        )
        if len(self._accounts) >= self.size:
            self._accounts.clear()
        self._accounts[key] = (now, customer)
        return customer, None

    def forget(self, pack: str, customer_id: str | None) -> None:
        """Drop the account after a write: the next turn reads it afresh."""
        if customer_id:
            self._accounts.pop((pack, customer_id), None)
