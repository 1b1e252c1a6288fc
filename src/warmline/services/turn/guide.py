"""Guide: the choices of a guided parameter (``policy/guided.py``), evaluated from fresh
records before the policy decides. The policy asks; this stage reads the action's ``records``
whose placeholders are filled (and the account), evaluates the parameter's ``items``,
``where``, ``value`` and ``label`` in the responder's sandbox, and hands them back as offers,
until the decision asks for nothing it has not been offered. When the decision would then ask
for a yes to a write with ``dry_run``, the dry run is sent here, and a refusal (its rule and
reason) is handed to the policy too; for a write that takes stock, its units are held before
the confirmation and a hold not taken up is released (``services/turn/stock_holds.py``). Only
reads, dry runs and holds happen here."""

from __future__ import annotations

import operator
from dataclasses import replace
from typing import Any

from jinja2 import TemplateError

from warmline.domain.conversation import ConversationState, Filling, Offer, Refusal
from warmline.domain.decision import Decision
from warmline.domain.grounding import Grounding
from warmline.domain.pack import Action, HttpRequest, Parameter
from warmline.domain.understanding import Understanding
from warmline.errors import BackOfficeNotFound, BackOfficeRejected, ConnectorError
from warmline.policy.decide import decide
from warmline.policy.guided import (
    as_list,
    candidate_key,
    first_choice,
    is_correction,
    offer_key,
    preview_key,
)
from warmline.policy.outcomes import after_refused_write
from warmline.policy.preferences import preferred
from warmline.policy.reading import request_words
from warmline.services.actions import ActionRunner, build_request
from warmline.services.stock import StockView
from warmline.services.turn.act import preview_once
from warmline.services.turn.context import Turn
from warmline.services.turn.stock_holds import Holds, without_holds

MAX_STEPS = 12  # questions settled in one turn at most (each from the customer's own words)
STOCK_MAX_AGE_S, HOLD_TTL_S = 30.0, 600.0  # the settings' defaults (``services/runtime.py``)


class Guide:
    def __init__(self, runner: ActionRunner) -> None:
        self.runner = runner
        self.holds = Holds(runner, StockView(runner.client, STOCK_MAX_AGE_S), HOLD_TTL_S)

    async def gather(self, turn: Turn) -> tuple[dict[str, Offer], dict[str, Refusal]]:
        """The offers the turn's decision needs and, when it would ask for a yes to a write
        previewed by a dry run, the dry run's refusal (a confirmation is never asked for a
        write the back office would refuse)."""
        turn.reads = {}  # the records, read once while the offers are gathered
        try:
            offers = await self.offers(turn)
        finally:
            turn.reads = None  # from the dry run on, every read is made afresh
        seen = turn.seen
        refusals: dict[str, Refusal] = {}
        if seen.understanding is None:
            return offers, refusals
        decision = None
        for _ in range(4):  # the write, the one proposed instead, a question asked again
            decision = decided(turn, offers, refusals)
            asked = _asked(turn, decision) if refusals else None
            if asked is not None and not _current(offers.get(asked[0]), dict(decision.params)):
                # a refusal asks a question again: its choices read with the values kept
                key, again, name, index = asked
                offers[key] = await self.offer(turn, again, name, dict(decision.params), index)
                continue
            action = turn.pack.actions.get(decision.action or "")
            if decision.kind != "confirm" or action is None or not action.dry_run:
                break
            refusal = await self._dry_run(turn, decision)
            if refusal is None:  # it would go through: its units held before the yes is asked
                refusal = await self.holds.hold(turn, decision, offers)
            elif refusal.rule == "out_of_stock":
                refusal = self.holds.sold_out(turn, decision, offers, refusal.reason)
            if refusal is None:
                break
            refusals[preview_key(decision.action or "", dict(decision.params))] = refusal
        if decision is not None:
            await self.holds.settle(turn, decision)
        return offers, refusals

    async def after_refusal(self, turn: Turn, follow: Decision) -> Decision:
        """The follow-up to a write refused after the yes (``policy/outcomes.py``), with the
        choices of the question it asks again read afresh (the account may have changed)."""
        offers: dict[str, Offer] = {}
        decision = follow
        for _ in range(2):
            decision = after_refused_write(follow, policy_state(turn, offers, {}), turn.pack)
            asked = _asked(turn, decision)
            if asked is None or _current(offers.get(asked[0]), dict(decision.params)):
                break
            key, action, name, index = asked
            offers[key] = await self.offer(turn, action, name, dict(decision.params), index)
        return decision

    async def _dry_run(self, turn: Turn, decision: Decision) -> Refusal | None:
        """The write's dry run refused (None: it goes through, or the act stage tells why not)."""
        try:
            await preview_once(self.runner, turn, decision.action or "", dict(decision.params))
        except BackOfficeRejected as exc:
            return Refusal(exc.rule or "unknown", exc.public_detail())
        except BackOfficeNotFound as exc:
            return Refusal("not_found", exc.public_detail())
        except ConnectorError:
            return None
        return None

    async def offers(self, turn: Turn) -> dict[str, Offer]:
        """The offers the turn's decision needs: those of the values a correction may replace,
        then one per question the policy asks, as it goes on."""
        seen, state = turn.seen, policy_state(turn, {}, {})
        if seen.understanding is None or not _guided(turn):
            return {}
        offers: dict[str, Offer] = {}
        if state.filling is not None:
            offers.update(await self._awaited(turn, state.filling, state.awaiting_param))
            if is_correction(seen.understanding.text, state.choices):
                offers.update(await self._filled(turn, state.filling))
        for _ in range(MAX_STEPS):
            decision = decided(turn, offers, {})
            asked = _asked(turn, decision)
            if asked is None:
                candidates = await self._candidates(turn, decision, offers)
                if not candidates:
                    break
                offers.update(candidates)
                continue
            if _current(offers.get(asked[0]), dict(decision.params)):
                break
            key, action, name, index = asked
            offers[key] = await self.offer(turn, action, name, dict(decision.params), index)
        return offers

    async def _candidates(
        self, turn: Turn, decision: Decision, offers: dict[str, Offer]
    ) -> dict[str, Offer]:
        """For a clarifying question to a known customer, the first question of each request
        it offers, and for the out-of-scope reply (which says what the bot can do) that of
        every request, evaluated from the records: one with nothing to offer is ruled out
        (``policy/clarify.py``); those already evaluated are not read again."""
        clarifying = decision.kind == "clarify" and not decision.missing
        outside = decision.kind == "answer" and decision.template == "out_of_scope"
        if not (clarifying or outside) or turn.seen.customer is None:
            return {}
        pack, found = turn.pack, {}
        for name, intent in pack.intents.items():
            action = pack.actions.get(intent.action or "")
            param = first_choice(action) if action is not None else None
            key = candidate_key(intent.action or "", param or "")
            if action is None or param is None or key in offers or key in found:
                continue
            if outside and action.risk == "read":
                continue  # a read stays offered whatever the records (``policy/clarify.py``)
            if outside or pack.intent_label(name) in decision.choices:
                found[key] = await self.offer(turn, action, param, {}, None)
        return found

    async def _awaited(self, turn: Turn, filling: Filling, name: str | None) -> dict[str, Offer]:
        """The offer of the question asked last, read afresh: the customer's answer is one of
        its labels, and the value sent is the one the record gives now."""
        action = turn.pack.actions.get(filling.action)
        spec = action.parameters.get(name) if action and name else None
        if action is None or name is None or spec is None or spec.choices is None:
            return {}
        index = len(as_list(filling.params.get(name))) if spec.per else None
        # the labels the customer picked from, even one sold out since: its refusal says so
        return {
            offer_key(name, index): await self.offer(
                turn, action, name, dict(filling.params), index, shown=False
            )
        }

    async def _filled(self, turn: Turn, filling: Filling) -> dict[str, Offer]:
        action = turn.pack.actions.get(filling.action)
        if action is None:
            return {}
        found: dict[str, Offer] = {}
        for name, spec in action.parameters.items():
            if name in filling.params and spec.choices is not None and spec.per is None:
                found[name] = await self.offer(turn, action, name, dict(filling.params), None)
        return found

    async def offer(
        self,
        turn: Turn,
        action: Action,
        name: str,
        params: dict[str, str],
        index: int | None,
        *,
        shown: bool = True,
    ) -> Offer:
        """The labels and values of parameter ``name`` (element ``index`` for ``per``); the
        variants of a held parameter with no unit free left out of one ``shown``."""
        spec = action.parameters[name]
        assert spec.choices is not None
        customer = turn.seen.customer
        context: dict[str, Any] = {
            "account": customer.profile if customer else {},
            "params": params,
        }
        for record, request in action.records.items():
            if request.placeholders() - set(params) - {"customer_id"}:
                continue
            try:
                context[record] = await self._record(turn, request, _with_customer(params, turn))
            except BackOfficeNotFound:
                if record == spec.choices.record:
                    return Offer(found=False, basis=_basis(params, name))
            except ConnectorError:
                continue
        if spec.choices.record not in context:
            return Offer(found=False, basis=_basis(params, name))
        if spec.per is not None and index is not None:
            elements = as_list(params.get(spec.per))
            context["each"] = elements[index] if index < len(elements) else None
        found = _in_preferred_order(turn, action, _evaluate(turn, spec, context))
        if shown and action.hold is not None and action.hold.items == name:
            found = await self.holds.in_stock(turn, action.hold, found)
        return replace(found, basis=_basis(params, name))

    async def _record(
        self, turn: Turn, request: HttpRequest, params: dict[str, str]
    ) -> dict[str, Any]:
        """A record the action declares, read once per path while the offers are gathered."""
        method, path, _ = build_request(request, params)
        if turn.reads is None or method != "GET":
            return await self.runner.lookup(request, params)
        if path not in turn.reads:
            turn.reads[path] = await self.runner.lookup(request, params)
        return turn.reads[path]


def policy_state(
    turn: Turn, offers: dict[str, Offer], refusals: dict[str, Refusal]
) -> ConversationState:
    """The state the policy decides on: the turn's offers and refusals; and on the turn that
    verifies the customer, the request the verification stood before as under way since the
    turn it was made, so that its words ("the mouse", "the order ending in 66") and the values
    it named still choose once the customer is known. A hold's id is never among the values
    it decides on (``without_holds``)."""
    state = without_holds(turn.pack, turn.state)
    check = turn.seen.verification
    verifying = state.verifying
    if state.filling is None and verifying is not None and check and check.customer_id:
        intent = turn.pack.intents.get(verifying.intent or "")
        action = turn.pack.actions.get(intent.action or "") if intent else None
        if intent is not None and action is not None:
            named = {
                name: state.slots[spec.entity]
                for name, spec in action.parameters.items()
                if spec.entity and spec.entity in state.slots
            }
            since = max(verifying.since - 1, 0)
            filling = Filling(intent.action or "", verifying.intent, named, since)
            return replace(state, offers=offers, refusals=refusals, filling=filling)
    if not offers and not refusals:
        return state
    return replace(state, offers=offers, refusals=refusals)


def decided(
    turn: Turn,
    offers: dict[str, Offer],
    refusals: dict[str, Refusal],
    grounding: Grounding | None = None,
) -> Decision:
    """The policy's decision on what the turn perceived with these offers, refusals (and
    documents), once per turn for the same inputs (the policy is a pure function of them): the
    guide's last question, its look for a dry run and the turn's own decision are often one."""
    seen = turn.seen
    assert seen.understanding is not None
    inputs = (seen.understanding, seen.customer, seen.observations, seen.verification, seen.holds)
    was = turn.decided
    if was and was[0] == (offers, refusals, grounding) and all(map(operator.is_, was[1], inputs)):
        return was[2]
    decision = decide(
        policy_state(turn, offers, refusals),
        seen.understanding,
        seen.customer,
        turn.pack,
        seen.observations,
        seen.verification,
        seen.holds,
        grounding,
    )
    turn.decided = ((dict(offers), dict(refusals), grounding), inputs, decision)
    return decision


def for_the_question(turn: Turn, understanding: Understanding) -> Understanding:
    """The reading the policy decides on: a value of an entity kind that another parameter of
    the action under way already holds, said as one of the choices the question offered,
    answers the question asked, not that parameter ("which date would you like to fly back?"
    "2024-05-26" is no new departure date); a correction ("no, actually 2024-05-24") still
    replaces it."""
    state = turn.state
    filling, asked = state.filling, state.awaiting_param
    action = turn.pack.actions.get(filling.action) if filling is not None else None
    if filling is None or action is None or asked not in action.parameters:
        return understanding
    if is_correction(understanding.text, state.choices):
        return understanding
    held = {
        spec.entity: filling.params[name]
        for name, spec in action.parameters.items()
        if spec.entity and name != asked and name in filling.params
    }
    held.pop(action.parameters[asked].entity or "", None)  # the question's own kind fills it
    offered = {label.lower() for label in state.choices}
    kept = [
        m
        for m in understanding.entities
        if m.entity not in held or not any(m.text.lower() in label for label in offered)
    ]
    if len(kept) == len(understanding.entities):
        return understanding
    return understanding.model_copy(update={"entities": kept})


def _in_preferred_order(turn: Turn, action: Action, offer: Offer) -> Offer:
    """The offer with the choices the customer's words prefer first and, when some fit, only
    those ("the cheapest nonstop", "after 11am": ``policy/preferences.py``)."""
    understanding = turn.seen.understanding
    if understanding is None or len(offer.labels) < 2:
        return offer
    name = next((n for n, a in turn.pack.actions.items() if a is action), "")
    said = request_words(name, policy_state(turn, {}, {}), understanding, turn.pack, [])
    order = preferred(said, offer.labels)
    if order is None:
        return offer
    labels = tuple(offer.labels[i] for i in order)
    return replace(offer, labels=labels, values=tuple(offer.values[i] for i in order))


def _basis(params: dict[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """The values an offer of ``name`` is evaluated with: every other parameter's."""
    return tuple(sorted((k, v) for k, v in params.items() if k != name))


def _current(offer: Offer | None, params: dict[str, str]) -> bool:
    """Whether ``offer`` was evaluated with these values (a stale one is evaluated again)."""
    return offer is not None and offer.fresh_for(params)


def _evaluate(turn: Turn, spec: Parameter, context: dict[str, Any]) -> Offer:
    """Evaluate ``items`` / ``where`` / ``value`` / ``label``; a pack expression that fails on
    this data offers nothing."""
    choices = spec.choices
    assert choices is not None
    responder = turn.runtime.responder
    labels: list[str] = []
    values: list[str] = []
    try:
        items = responder.evaluate(choices.items, **context) or []
        for item in items:
            local = {**context, "item": item}
            if choices.where and not responder.evaluate(choices.where, **local):
                continue
            value = str(responder.evaluate(choices.value, **local))
            if value in values:
                continue
            values.append(value)
            labels.append(responder.render_text(choices.label, **local))
    except (TemplateError, TypeError, ValueError, KeyError, AttributeError):
        return Offer()
    return Offer(tuple(labels), tuple(values))


def _with_customer(params: dict[str, str], turn: Turn) -> dict[str, str]:
    customer = turn.seen.customer
    return {**params, "customer_id": customer.id} if customer else params


def _guided(turn: Turn) -> bool:
    return any(
        spec.choices is not None
        for action in turn.pack.actions.values()
        for spec in action.parameters.values()
    )


def _asked(turn: Turn, decision: Decision) -> tuple[str, Action, str, int | None] | None:
    """The offer the decision's question needs: its key, the action, the parameter, the
    element (``per``); None when it asks for no guided parameter."""
    if decision.kind != "clarify" or not decision.missing or not decision.action:
        return None
    action = turn.pack.actions.get(decision.action)
    spec = action.parameters.get(decision.missing) if action else None
    if action is None or spec is None or spec.choices is None:
        return None
    index = len(as_list(decision.params.get(decision.missing))) if spec.per else None
    return offer_key(decision.missing, index), action, decision.missing, index
