"""The turn pipeline end to end, in-process, against the reference back office."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import test_settings
from warmline.domain.events import ActionExecuted, ActionFailed, Decided, Escalated, Understood
from warmline.nlu.embeddings import Encoder
from warmline.policy.guided import ALL_LABEL
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"


async def _say(runtime: Runtime, cid: str, text: str):  # type: ignore[no-untyped-def]
    return await runtime.conversations.post_message(cid, text)


async def test_reservation_lookup_answers_from_the_back_office(runtime: Runtime) -> None:
    start = await runtime.conversations.start(None, USER)
    assert "AI assistant" in start.replies[0].text
    turn = await _say(runtime, start.conversation_id, "where is my reservation 4WQ150?")
    assert turn.decision and turn.decision.kind == "act"
    text = turn.replies[0].text
    assert "4WQ150" in text and "DFW" in text and "HAT170" in text


async def test_cancel_my_bag_never_stages_a_reservation_cancellation(runtime: Runtime) -> None:
    start = await runtime.conversations.start(None, USER)
    turn = await _say(runtime, start.conversation_id, "I need to cancel my bag")
    assert turn.decision and turn.decision.action != "cancel_reservation"
    assert not any(e.kind == "action_proposed" for e in turn.events)
    assert "not removed" in turn.replies[0].text


async def test_cancellation_needs_a_yes_then_changes_the_back_office(runtime: Runtime) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    proposed = await _say(runtime, cid, "please cancel my reservation 4WQ150")
    assert proposed.decision and proposed.decision.kind == "confirm"
    assert "4WQ150" in proposed.replies[0].text and proposed.replies[0].choices == ["yes", "no"]
    before = await runtime.backoffice.request("GET", "/airline/reservations/4WQ150")
    assert before.get("status") != "cancelled"
    done = await _say(runtime, cid, "yes")
    executed = [e for e in done.events if isinstance(e, ActionExecuted)]
    assert executed and executed[0].action == "cancel_reservation" and executed[0].idempotency_key
    after = await runtime.backoffice.request("GET", "/airline/reservations/4WQ150")
    assert after["status"] == "cancelled"


async def test_declining_changes_nothing(runtime: Runtime) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await _say(runtime, cid, "cancel reservation 4WQ150")
    turn = await _say(runtime, cid, "no")
    assert turn.decision and turn.decision.kind == "decline"
    after = await runtime.backoffice.request("GET", "/airline/reservations/4WQ150")
    assert after.get("status") != "cancelled"


async def test_a_back_office_outage_is_told_and_escalated(runtime: Runtime) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.backoffice.request("PUT", "/_admin/switches", json={"outage": True})
    turn = await _say(runtime, cid, "where is my reservation 4WQ150?")
    failed = [e for e in turn.events if isinstance(e, ActionFailed)]
    escalated = [e for e in turn.events if isinstance(e, Escalated)]
    assert failed and escalated and escalated[0].trigger == "action_failed"
    assert "isn't responding" in turn.replies[0].text and turn.status == "escalated"
    decided = next(e for e in turn.events if isinstance(e, Decided))
    assert "account_unavailable" in decided.decision.reason_codes()


async def test_every_turn_records_understanding_and_decision(runtime: Runtime) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await _say(runtime, cid, "hello")
    state, events = await runtime.conversations.state(cid)
    kinds = [e.kind for e in events]
    assert kinds == [
        "conversation_started",
        "bot_replied",
        "disclosed",
        "message_received",
        "understood",
        "decided",
        "bot_replied",
    ]
    understood = next(e for e in events if isinstance(e, Understood))
    assert understood.understanding.ranking[0].intent == "greet"
    assert state.version == len(events)


async def test_talk_to_a_person_is_honoured_and_the_bot_then_steps_back(runtime: Runtime) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    turn = await runtime.conversations.request_person(cid)
    assert turn.status == "escalated" and "person" in turn.replies[0].text
    later = await _say(runtime, cid, "hello?")
    assert later.decision and later.decision.kind == "escalate"
    assert not any(e.kind == "understood" for e in later.events)


async def test_unknown_customer_is_explained_not_hidden(runtime: Runtime) -> None:
    cid = (await runtime.conversations.start(None, "no_such_user")).conversation_id
    turn = await _say(runtime, cid, "hi")
    assert turn.decision and "account_not_found" in turn.decision.reason_codes()


async def test_a_confirmed_proposal_executes_under_its_own_key(runtime: Runtime) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    proposed = await _say(runtime, cid, "please cancel reservation 4WQ150")
    proposal_version = (await runtime.conversations.state(cid))[0].pending
    assert proposal_version is not None and proposed.decision is not None
    done = await _say(runtime, cid, "yes")
    executed = next(e for e in done.events if isinstance(e, ActionExecuted))
    assert executed.idempotency_key == f"{cid}:{proposal_version.proposal}:cancel_reservation"


async def test_events_from_another_process_are_caught_up_before_a_turn(runtime: Runtime) -> None:
    from datetime import UTC, datetime

    from warmline.domain.events import AgentMessage

    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await _say(runtime, cid, "hello")
    state, _ = await runtime.conversations.state(cid)
    # Another process appends behind this one's back.
    now = datetime.now(UTC)
    await runtime.repository.append(
        cid, state.version, [AgentMessage(at=now, agent="a", text="hi")], now
    )
    await _say(runtime, cid, "thanks")
    final, events = await runtime.conversations.state(cid)
    assert final.version == len(events)
    assert [t.author for t in final.transcript][-3:] == ["agent", "customer", "bot"]


async def test_a_racing_writer_fails_the_turn_and_drops_the_cached_state(runtime: Runtime) -> None:
    from datetime import UTC, datetime

    from warmline.domain.events import AgentMessage
    from warmline.errors import ConflictError

    service = runtime.conversations
    cid = (await service.start(None, USER)).conversation_id
    await _say(runtime, cid, "hello")
    real_events_after = runtime.repository.events_after

    async def racing(conversation_id: str, after: int):  # type: ignore[no-untyped-def]
        found = await real_events_after(conversation_id, after)
        now = datetime.now(UTC)
        await runtime.repository.append(
            conversation_id, after, [AgentMessage(at=now, agent="a", text="hi")], now
        )
        return found

    runtime.repository.events_after = racing  # type: ignore[method-assign]
    try:
        await _say(runtime, cid, "thanks")
        raise AssertionError("a turn that lost the race must not be recorded")
    except ConflictError:
        pass
    finally:
        runtime.repository.events_after = real_events_after  # type: ignore[method-assign]
    turn = await _say(runtime, cid, "thanks")
    final, events = await service.state(cid)
    assert turn.decision is not None and final.version == len(events)


async def test_the_account_is_reused_briefly_and_dropped_after_a_write(runtime: Runtime) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    first = await _say(runtime, cid, "hello")
    assert first.decision and "account_cached" not in first.decision.reason_codes()
    second = await _say(runtime, cid, "how many bags can I bring?")
    assert second.decision and "account_cached" in second.decision.reason_codes()
    await _say(runtime, cid, "cancel reservation 4WQ150")
    await _say(runtime, cid, "yes")
    after_write = await _say(runtime, cid, "hello")
    assert after_write.decision and "account_cached" not in after_write.decision.reason_codes()


async def test_an_open_circuit_hands_over_with_its_own_trigger(
    encoder,
    model_cache,
    backoffice_app,  # type: ignore[no-untyped-def]
) -> None:
    import httpx

    from tests.conftest import test_settings

    built = await Runtime.build(
        test_settings(model_cache, backoffice_circuit_threshold=2),  # account read + action
        transport=httpx.ASGITransport(app=backoffice_app),
        encoder=encoder,
    )
    try:
        await built.backoffice.request("PUT", "/_admin/switches", json={"outage": True})
        first = (await built.conversations.start(None, USER)).conversation_id
        turn = await _say(built, first, "where is my reservation 4WQ150?")
        assert [e.trigger for e in turn.events if isinstance(e, Escalated)] == ["action_failed"]
        second = (await built.conversations.start(None, USER)).conversation_id
        turn = await _say(built, second, "where is my reservation 4WQ150?")
        escalated = [e for e in turn.events if isinstance(e, Escalated)]
        assert escalated and escalated[0].trigger == "circuit_open"
        assert "circuit_open" in [r.code for r in escalated[0].reasons]
    finally:
        await built.aclose()


GUIDED_PACK = """
pack: guided_shop
rollout_default: autonomous  # these tests check what the write sends
persona:
  name: Juno
  company: Shop
  greeting: Hi, I'm an AI assistant; say "talk to a person" to reach a human.
account:
  lookup: {method: GET, path: "/retail/users/{customer_id}"}
  fields: {orders: orders}
entities:
  order_id: {kind: pattern, pattern: 'W\\\\d{7}'}
intents:
  return_items:
    action: return_items
    examples: [I want to return something, send back an item, return my order, I want a refund]
  affirm: {builtin: true, examples: ["yes", "sure", "ok"]}
actions:
  return_items:
    risk: write
    records:
      order: {method: GET, path: "/retail/orders/{order_id}"}
    parameters:
      order_id:
        entity: order_id
        choices_from_account: orders
        choices: {record: account, items: "account.get('orders', [])", label: "Order {{ item }}"}
      item_ids:
        many: true
        choices:
          record: order
          items: "order.get('items', [])"
          value: item.item_id
          label: "{{ item.name }}"
      payment_method_id:
        choices:
          record: account
          items: "account.get('payment_methods', {}).values()|list"
          value: item.id
          label: "{{ item.source }}"
    dry_run: true
    request:
      method: POST
      path: /retail/orders/{order_id}/return
      body: {item_ids: '{item_ids}', payment_method_id: '{payment_method_id}'}
    confirm: "Refund {{ record.summary.refund_total }} for {{ record.summary['items']|length }} items? yes or no"
    success: done
    refused: refused
templates:
  done: Done.
  refused: "Not possible: {{ reason }}"
"""


@pytest.fixture
async def guided(encoder: Encoder, model_cache: Path, tmp_path: Path, backoffice_app):  # type: ignore[no-untyped-def]
    """A runtime whose pack guides a return through the reference back office's records."""
    source = tmp_path / "guided_shop.yaml"
    source.write_text(GUIDED_PACK)
    settings = test_settings(model_cache, packs=[str(source)], default_pack="guided_shop")
    built = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=backoffice_app), encoder=encoder
    )
    yield built
    await built.aclose()


async def test_the_guide_offers_back_office_labels_and_sends_their_values(guided: Runtime) -> None:
    cid = (await guided.conversations.start(None, "raj_sanchez_2970")).conversation_id
    asked = await _say(guided, cid, "I want to return something from order W1067251")
    assert asked.decision and asked.decision.missing == "item_ids"
    assert asked.replies[0].choices == ["Wireless Earbuds", "Grill", ALL_LABEL]
    assert len(asked.decision.choice_values) == 2  # item ids, never shown
    paying = await _say(guided, cid, ALL_LABEL)
    assert paying.decision and paying.decision.missing == "payment_method_id"
    confirm = await _say(guided, cid, "gift_card")
    assert confirm.decision and confirm.decision.kind == "confirm"
    assert "for 2 items" in confirm.replies[0].text  # the dry run's own summary
    before = await guided.backoffice.request("GET", "/retail/orders/W1067251")
    assert before["status"] == "delivered"
    await _say(guided, cid, "yes")
    after = await guided.backoffice.request("GET", "/retail/orders/W1067251")
    assert after["status"] == "return requested"
    assert after["return_payment_method_id"] == "gift_card_2259499"
    assert sorted(after["return_items"]) == sorted(asked.decision.choice_values)


async def test_a_refused_dry_run_is_told_and_nothing_is_written(guided: Runtime) -> None:
    cid = (await guided.conversations.start(None, "raj_sanchez_2970")).conversation_id
    await _say(guided, cid, "I want to return something from order W4566809")
    await _say(guided, cid, ALL_LABEL)
    refused = await _say(guided, cid, "gift_card")
    assert refused.decision and refused.decision.kind == "answer"
    assert refused.replies[0].text.startswith("Not possible: Order #W4566809 is pending")
    assert not any(isinstance(e, ActionExecuted) for e in refused.events)
    after = await guided.backoffice.request("GET", "/retail/orders/W4566809")
    assert after["status"] == "pending"
