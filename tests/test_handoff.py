"""The warm-transfer packet: what the person taking over sees, built from the event log."""

from __future__ import annotations

import httpx

from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"


async def test_the_packet_holds_what_happened_and_how_the_customer_felt(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    service = runtime.conversations
    earlier = (await service.start(None, USER)).conversation_id
    cid = (await service.start(None, USER)).conversation_id
    await service.post_message(cid, "where is my reservation 4WQ150?")
    await runtime.backoffice.request("PUT", "/_admin/switches", json={"outage": True})
    await service.post_message(
        cid, "This is the THIRD time I ask!!! Cancel reservation 4WQ150, change of plan"
    )
    await runtime.backoffice.request("PUT", "/_admin/switches", json={"outage": False})

    r = await client.get(f"/api/conversations/{cid}/packet")
    assert r.status_code == 200
    packet = r.json()
    assert packet["trigger"] == "action_failed"
    assert packet["customer_id"] == USER and packet["customer"]["user_id"] == USER
    assert [h["conversation_id"] for h in packet["history"]] == [earlier]
    assert "get_reservation" in [a["action"] for a in packet["attempts"]]
    failed = [a for a in packet["attempts"] if a["outcome"] == "failed"]
    assert failed and failed[0]["action"] == "cancel_reservation"
    assert packet["entities"]["reservation_id"] == ["4WQ150"]
    feelings = packet["feelings"]
    assert (
        len(feelings) == 2
        and feelings[0]["frustration"] < 0.3 <= 0.75 <= feelings[1]["frustration"]
    )
    assert "repeat_complaint" in feelings[1]["cues"]
    summary = " ".join(packet["summary"])
    assert '"where is my reservation 4WQ150?"' in summary  # the customer's own words
    assert (
        "Action cancel_reservation(reservation_id=4WQ150, reason=change_of_plan): failed" in summary
    )
    assert "Most frustrated at turn 2" in summary
    assert "Handed over because: action failed." in summary
    authors = [line["author"] for line in packet["transcript"]]
    assert authors[:3] == ["bot", "customer", "bot"]


async def test_a_packet_of_an_unknown_conversation_is_a_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/conversations/nope/packet")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
