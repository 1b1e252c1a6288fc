"""Print the README's tour conversations as they run today: a return in the retail demo and a
flight change in the airline demo, against the reference back office in-process.

    .venv/bin/python scripts/tour.py            # both, as Markdown
    .venv/bin/python scripts/tour.py return     # one of them

Each tour is a list of customer messages for a signed-in demo customer; every bot reply is
printed with the choices it offers and the decision it recorded, and the back office's record
afterwards, so the README never shows a conversation the product does not have.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from warmline.demo.backoffice.app import create_app
from warmline.services.runtime import Runtime
from warmline.settings import get_settings

PACKS = Path(__file__).resolve().parents[1] / "src" / "warmline" / "demo" / "packs"


@dataclass(frozen=True)
class Tour:
    pack: str
    customer: str
    messages: tuple[str, ...]
    record: str  # the back office record shown afterwards
    fields: tuple[str, ...]


TOURS = {
    "return": Tour(
        "retail",
        "raj_sanchez_2970",
        ("I want to return something", "Order #W1067251", "2", "Gift card ($30.00 left)", "yes"),
        "/retail/orders/W1067251",
        ("status", "return_items", "return_payment_method_id"),
    ),
    "flight_change": Tour(
        "airline",
        "daiki_jackson_9549",
        (
            "I want to change the flights on reservation 98AFPZ",
            "on 2024-05-21 please",
            "HAT099 16:00 -> HAT253 20:00, economy $286",
            "yes",
        ),
        "/airline/reservations/98AFPZ",
        ("flights",),
    ),
}


async def play(name: str, tour: Tour) -> list[str]:
    backoffice = create_app()
    transport = httpx.ASGITransport(app=backoffice)
    settings = get_settings(
        database_url="sqlite+aiosqlite:///:memory:",
        packs=[str(PACKS / f"{tour.pack}.yaml")],
        default_pack=tour.pack,
        backoffice_url="http://reference-backoffice",
    )
    runtime = await Runtime.build(settings, transport=transport)
    lines = [f"{tour.pack}, signed in as {tour.customer}:", "```text"]
    try:
        service = runtime.conversations
        started = await service.start(tour.pack, tour.customer, "web")
        lines += [f"bot:      {r.text}" for r in started.replies]
        for message in tour.messages:
            lines.append(f"customer: {message}")
            result = await service.post_message(started.conversation_id, message)
            for reply in result.replies:
                lines.append("bot:      " + reply.text.replace("\n", "\n          "))
                if reply.choices:
                    lines.append("          [" + "] [".join(reply.choices) + "]")
            if result.decision is not None:
                codes = ", ".join(result.decision.reason_codes())
                lines.append(f"          (decision: {result.decision.kind}; {codes})")
        async with httpx.AsyncClient(transport=transport, base_url="http://bo") as client:
            record = (await client.get(tour.record)).json()
        shown = {key: record.get(key) for key in tour.fields}
        lines += ["```", "", f"`GET {tour.record}` afterwards: `{json.dumps(shown)}`", ""]
    finally:
        await runtime.aclose()
    return lines


async def main(names: list[str]) -> None:
    for name in names or list(TOURS):
        print("\n".join(await play(name, TOURS[name])))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
