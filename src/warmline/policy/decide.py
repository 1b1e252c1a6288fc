"""The decision rules: a pure function of conversation state, understanding, customer and pack.

``decide`` returns a ``Decision`` whose ``reasons`` name every rule that fired, with the
figures it compared, so the event log alone explains what the bot did and why.
"""

from __future__ import annotations

from typing import Any

from warmline.domain.conversation import ConversationState
from warmline.domain.customers import Customer
from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import Action, DomainPack, Parameter
from warmline.domain.understanding import REJECT_INTENT, Understanding
from warmline.policy.choices import resolve_choice
from warmline.policy.empathy import acknowledgement
from warmline.policy.escalation import escalation_trigger

CONVERSATIONAL = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge"})


def decide(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
) -> Decision:
    """The decision for one turn; a distressed customer's reply opens with an acknowledgement
    (``empathy.py``) whatever the step after it, and the triggers of ``escalation.py`` hand the
    conversation to a person whatever the step would have been."""
    decision = _decide(state, understanding, customer, pack)
    if state.status == "escalated":
        return decision
    ack, reasons = acknowledgement(state, understanding.affect, pack)
    trigger = escalation_trigger(state, understanding, customer, pack, ack)
    settled = decision.kind in ("decline", "close") or "confirmed" in decision.reason_codes()
    if trigger is not None and (decision.kind == "escalate" or settled):
        # Already going to a person, or the customer just settled something (a yes, a no, a
        # goodbye) that must happen as they said: the trigger is recorded, not acted on.
        reasons.append(trigger)
    elif trigger is not None:
        return Decision(
            kind="escalate",
            intent=decision.intent,
            confidence=decision.confidence,
            escalation=trigger.code,
            acknowledgement=ack,
            reasons=[*decision.reasons, *reasons, trigger],
        )
    if not reasons:
        return decision
    choices = decision.choices
    person = pack.intent_label("human_agent")
    if ack is not None and ack.strong and decision.kind == "confirm" and person not in choices:
        # A very upset customer asked to confirm is also offered the way to a person.
        choices = [*choices, person]
        reasons.append(Reason(code="person_offered", detail="strong distress at a confirmation"))
    return decision.model_copy(
        update={
            "acknowledgement": ack,
            "choices": choices,
            "reasons": [*decision.reasons, *reasons],
        }
    )


def _decide(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
) -> Decision:
    reasons: list[Reason] = [_nlu_reason(understanding, pack)]
    intent = understanding.intent
    thresholds = pack.thresholds

    if state.status == "escalated":
        reasons.append(Reason(code="already_escalated", detail="a person is taking over"))
        return Decision(kind="escalate", escalation=state.escalation, reasons=reasons)

    if intent == "human_agent" and understanding.confidence >= thresholds.clarify:
        reasons.append(Reason(code="customer_request", detail="the customer asked for a person"))
        return Decision(
            kind="escalate",
            intent=intent,
            confidence=understanding.confidence,
            escalation="customer_request",
            reasons=reasons,
        )

    if state.pending is not None:
        pending = _resolve_pending(state, understanding, reasons)
        if pending is not None:
            return pending

    if state.choices:
        picked = resolve_choice(understanding.text, state.choices)
        if picked is not None:
            return _from_choice(state, understanding, customer, pack, picked, reasons)

    if state.awaiting_param and state.awaiting_intent:
        resumed = _resume_for_param(state, understanding, customer, pack, reasons)
        if resumed is not None:
            return resumed

    if understanding.language not in pack.languages:
        reasons.append(
            Reason(
                code="unsupported_language",
                detail=f"the message is in '{understanding.language}'; the pack speaks {pack.languages}",
            )
        )
        decision = _out_of_scope(state, understanding, pack, reasons)
        if decision.kind == "escalate":
            return decision
        return decision.model_copy(update={"template": "unsupported_language"})

    if understanding.zone == "out_of_scope" or intent is None:
        return _out_of_scope(state, understanding, pack, reasons)

    if understanding.context:
        reasons.append(Reason(code="context", detail=understanding.context))

    if understanding.zone == "clarify":
        return _clarify(
            state,
            understanding,
            pack,
            reasons,
            exclude=_ruled_out(understanding, customer, pack, reasons),
        )

    return _handle_intent(state, intent, understanding, customer, pack, reasons)


def _ruled_out(
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> tuple[str, ...]:
    """Candidate intents the customer's account rules out: a customer with no reservation
    cannot mean "cancel my reservation", so it is not offered as a choice."""
    if customer is None:
        return ()
    out = []
    for score in understanding.ranking:
        intent = pack.intents.get(score.intent)
        if intent is None or not intent.requires_account:
            continue
        if not customer.facts.get(intent.requires_account):
            out.append(score.intent)
            reasons.append(
                Reason(
                    code="account_rules_out",
                    detail=f"'{score.intent}' needs {intent.requires_account} and the account has none",
                    values={"probability": round(score.probability, 4)},
                )
            )
    return tuple(out)


def _nlu_reason(understanding: Understanding, pack: DomainPack) -> Reason:
    top = understanding.ranking[:3]
    values: dict[str, Any] = {
        "zone": understanding.zone,
        "confidence": round(understanding.confidence, 4),
        "threshold_confident": pack.thresholds.confident,
        "threshold_clarify": pack.thresholds.clarify,
    }
    if understanding.oos_score is not None:
        values["oos_score"] = understanding.oos_score
    return Reason(
        code="nlu",
        detail=", ".join(f"{s.intent}={s.probability:.2f}" for s in top) or "no intent",
        values=values,
    )


def _resolve_pending(
    state: ConversationState, understanding: Understanding, reasons: list[Reason]
) -> Decision | None:
    pending = state.pending
    assert pending is not None
    picked = resolve_choice(understanding.text, ("yes", "no")) if state.choices else None
    intent = understanding.intent if understanding.zone != "out_of_scope" else None
    if picked == 0 or (picked is None and intent == "affirm"):
        reasons.append(Reason(code="confirmed", detail=f"the customer confirmed {pending.action}"))
        return Decision(
            kind="act",
            intent=state.last_intent,
            action=pending.action,
            params=dict(pending.params),
            proposal=pending.proposal,
            reasons=reasons,
        )
    if picked == 1 or (picked is None and intent == "deny"):
        reasons.append(Reason(code="declined", detail=f"the customer declined {pending.action}"))
        return Decision(kind="decline", action=pending.action, template="declined", reasons=reasons)
    reasons.append(
        Reason(
            code="confirmation_abandoned",
            detail=f"no yes or no to {pending.action}; nothing was done and the new request is read",
        )
    )
    return None


def _from_choice(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    picked: int,
    reasons: list[Reason],
) -> Decision:
    choice = state.choices[picked]
    if state.awaiting_param and state.awaiting_intent:
        choice = _choice_value(pack, state.awaiting_intent, state.awaiting_param, choice)
        reasons.append(
            Reason(
                code="choice_selected",
                detail=f"{state.awaiting_param} = {choice}",
                values={"index": picked},
            )
        )
        return _handle_intent(
            state,
            state.awaiting_intent,
            understanding,
            customer,
            pack,
            reasons,
            extra={state.awaiting_param: choice},
        )
    intent = _intent_for_label(pack, state.clarify_for, choice)
    if intent is None:
        reasons.append(Reason(code="choice_unknown", detail=f"no intent for '{choice}'"))
        return _clarify(state, understanding, pack, reasons, exclude=())
    reasons.append(
        Reason(
            code="choice_selected",
            detail=f"the customer chose '{choice}'",
            values={"index": picked, "intent": intent},
        )
    )
    return _handle_intent(state, intent, understanding, customer, pack, reasons)


def ontology_choices(pack: DomainPack, entity: str) -> list[tuple[str, str]]:
    """(label, value) of each value of an ontology entity, as offered to the customer."""
    spec = pack.entities.get(entity)
    if spec is None or spec.kind != "ontology":
        return []
    return [(v.label or name.replace("_", " "), name) for name, v in spec.values.items()]


def _choice_value(pack: DomainPack, intent: str, param: str, choice: str) -> str:
    action = pack.intents[intent].action
    spec = pack.actions[action].parameters.get(param) if action else None
    if spec is None or spec.entity is None:
        return choice
    for label, value in ontology_choices(pack, spec.entity):
        if label == choice:
            return value
    return choice


def _intent_for_label(pack: DomainPack, offered: tuple[str, ...], label: str) -> str | None:
    for name in pack.intents:
        if pack.intent_label(name) == label and (not offered or label in offered):
            return name
    return None


def _resume_for_param(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision | None:
    intent_name = state.awaiting_intent
    param_name = state.awaiting_param
    assert intent_name is not None and param_name is not None
    intent = pack.intents.get(intent_name)
    if intent is None or intent.action is None:
        return None
    param = pack.actions[intent.action].parameters.get(param_name)
    if param is None:
        return None
    if param.entity and understanding.entity(param.entity):
        reasons.append(Reason(code="slot_filled", detail=f"{param_name} given after it was asked"))
        return _handle_intent(state, intent_name, understanding, customer, pack, reasons)
    return None


def _out_of_scope(
    state: ConversationState,
    understanding: Understanding,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision:
    count = state.out_of_scope_count + 1
    limit = pack.thresholds.max_out_of_scope
    reasons.append(
        Reason(
            code="out_of_scope",
            detail="; ".join(understanding.notes) or "below every threshold",
            values={"count": count, "limit": limit},
        )
    )
    if count >= limit:
        reasons.append(
            Reason(
                code="out_of_scope_repeated",
                detail=f"{count} requests outside what the assistant handles",
            )
        )
        return Decision(kind="escalate", escalation="out_of_scope_repeated", reasons=reasons)
    return Decision(kind="answer", template="out_of_scope", reasons=reasons)


def _clarify(
    state: ConversationState,
    understanding: Understanding,
    pack: DomainPack,
    reasons: list[Reason],
    exclude: tuple[str, ...],
) -> Decision:
    streak = state.clarify_streak + 1
    limit = pack.thresholds.max_clarifications
    if streak > limit:
        reasons.append(
            Reason(
                code="clarify_loop",
                detail=f"{streak - 1} questions did not settle it",
                values={"limit": limit},
            )
        )
        return Decision(kind="escalate", escalation="clarify_loop", reasons=reasons)
    candidates = [
        s.intent
        for s in understanding.ranking
        if s.intent not in CONVERSATIONAL
        and s.intent != REJECT_INTENT
        and s.intent not in exclude
        and s.intent in pack.intents
    ][: pack.thresholds.clarify_choices]
    if not candidates:
        return _out_of_scope(state, understanding, pack, reasons)
    labels = [pack.intent_label(name) for name in candidates]
    reasons.append(
        Reason(
            code="clarify",
            detail=f"not sure enough; offering {candidates}",
            values={"confidence": round(understanding.confidence, 4)},
        )
    )
    return Decision(
        kind="clarify",
        intent=understanding.intent,
        confidence=understanding.confidence,
        template="clarify",
        choices=[*labels, pack.intent_label("human_agent")],
        reasons=reasons,
    )


def _handle_intent(
    state: ConversationState,
    name: str,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
    extra: dict[str, str] | None = None,
) -> Decision:
    intent = pack.intents[name]
    confidence = understanding.confidence if understanding.intent == name else None
    base = {"intent": name, "confidence": confidence}

    blocking = [e for e in intent.not_with_entities if understanding.entity(e)]
    if blocking and not extra:
        reasons.append(
            Reason(
                code="entity_guard",
                detail=f"'{name}' cannot apply when the text mentions {blocking}",
            )
        )
        return _clarify(state, understanding, pack, reasons, exclude=(name,))

    if name in CONVERSATIONAL:
        template = {"affirm": "nothing_pending", "deny": "nothing_pending"}.get(name, name)
        kind = "close" if name == "goodbye" else "answer"
        reasons.append(Reason(code="conversational", detail=name))
        return Decision(kind=kind, template=template, reasons=reasons, **base)

    if intent.escalate:
        trigger = "customer_request" if name == "human_agent" else "policy_requires_person"
        reasons.append(Reason(code=trigger, detail=f"'{name}' is handled by a person"))
        return Decision(kind="escalate", escalation=trigger, reasons=reasons, **base)

    if intent.requires_account:
        values = (customer.facts.get(intent.requires_account) if customer else None) or []
        if not values:
            reasons.append(
                Reason(
                    code="no_account_record",
                    detail=f"'{name}' needs {intent.requires_account} and the account has none",
                )
            )
            return Decision(kind="answer", template="no_account_record", reasons=reasons, **base)

    if intent.response:
        reasons.append(Reason(code="template_answer", detail=intent.response))
        return Decision(kind="answer", template=intent.response, reasons=reasons, **base)

    assert intent.action is not None
    action = pack.actions[intent.action]
    params, missing = _fill(action, understanding, state, customer, extra or {})
    foreign = _not_on_account(action, params, customer)
    if foreign is not None:
        pname, value = foreign
        spec = action.parameters[pname]
        detail = f"{pname} {value} is not among the customer's {spec.choices_from_account}"
        reasons.append(Reason(code="not_on_account", detail=detail))
        return _ask_for(
            intent.action, pname, {}, "not_on_account", spec, customer, pack, reasons, base
        )
    if missing is not None:
        reasons.append(Reason(code="missing_parameter", detail=f"{intent.action} needs {missing}"))
        spec = action.parameters[missing]
        return _ask_for(
            intent.action, missing, params, "missing_param", spec, customer, pack, reasons, base
        )
    if action.risk == "read":
        reasons.append(
            Reason(code="read_action", detail=f"{intent.action} reads only; no confirmation")
        )
        return Decision(kind="act", action=intent.action, params=params, reasons=reasons, **base)
    reasons.append(
        Reason(
            code="needs_confirmation",
            detail=f"{intent.action} is {action.risk}; an explicit yes is required",
        )
    )
    return Decision(
        kind="confirm",
        action=intent.action,
        params=params,
        choices=["yes", "no"],
        reasons=reasons,
        **base,
    )


def _ask_for(
    action: str,
    param: str,
    params: dict[str, str],
    template: str,
    spec: Parameter,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
    base: dict[str, Any],
) -> Decision:
    """Ask for one parameter, offering the customer's own values or the ontology's."""
    choices = (
        customer.facts.get(spec.choices_from_account, [])
        if customer and spec.choices_from_account
        else []
    )
    if not choices and spec.entity:
        choices = [label for label, _ in ontology_choices(pack, spec.entity)]
    return Decision(
        kind="clarify",
        action=action,
        params=params,
        missing=param,
        template=template,
        choices=choices[:6],
        reasons=reasons,
        **base,
    )


def _same_id(a: str, b: str) -> bool:
    return a.lstrip("#").upper() == b.lstrip("#").upper()


def _not_on_account(
    action: Action, params: dict[str, str], customer: Customer | None
) -> tuple[str, str] | None:
    """The first parameter whose value must be the customer's own and is not."""
    if customer is None:
        return None
    for pname, spec in action.parameters.items():
        value = params.get(pname)
        if value is None or not spec.choices_from_account or not spec.restrict_to_account:
            continue
        owned = customer.facts.get(spec.choices_from_account, [])
        if not any(_same_id(value, o) for o in owned):
            return pname, value
    return None


def _fill(
    action: Action,
    understanding: Understanding,
    state: ConversationState,
    customer: Customer | None,
    extra: dict[str, str],
) -> tuple[dict[str, str], str | None]:
    params: dict[str, str] = {}
    for pname, spec in action.parameters.items():
        value: str | None = extra.get(pname)
        if value is None and spec.entity:
            mention = understanding.entity(spec.entity)
            value = mention.value if mention else state.slots.get(spec.entity)
        if value is None and spec.default is not None:
            value = spec.default
        if value is None and spec.required:
            return params, pname
        if value is not None:
            params[pname] = value
    if customer is not None:
        params.setdefault("customer_id", customer.id)
    return params, None
