"""Handling one intent the bot is sure of: a conversational reply, a template answer, a person,
or an action with its parameters filled from the turn, the conversation and the account, asking
for what is missing and refusing records that are not the customer's own."""

from __future__ import annotations

from typing import Any

from warmline.domain.conversation import ConversationState
from warmline.domain.customers import Customer
from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import Action, DomainPack, Intent, Parameter
from warmline.domain.understanding import Understanding
from warmline.policy.clarify import CONVERSATIONAL, clarify
from warmline.policy.guided import ASK, ask_choices, choose, complete, preview_key
from warmline.policy.reading import request_words
from warmline.policy.several import ask_which, not_in_choice, undecided
from warmline.policy.writes import proposed, refused


def handle_intent(
    state: ConversationState,
    name: str,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
    extra: dict[str, str] | None = None,
) -> Decision:
    """The decision for intent ``name``; ``extra`` holds a parameter the customer just chose."""
    intent = pack.intents[name]
    confidence = understanding.confidence if understanding.intent == name else None
    base: dict[str, Any] = {"intent": name, "confidence": confidence}

    blocking = [e for e in intent.not_with_entities if understanding.entity(e)]
    if blocking and not extra:
        reasons.append(
            Reason(
                code="entity_guard",
                detail=f"'{name}' cannot apply when the text mentions {blocking}",
            )
        )
        return clarify(state, understanding, pack, reasons, exclude=(name,))
    if not _bound(state, customer) and intent.requires_account:
        return _not_verified(name, pack, reasons, base)
    answered = _without_action(state, name, intent, customer, reasons, base)
    if answered is not None:
        return answered
    assert intent.action is not None
    return _for_action(state, intent.action, understanding, customer, pack, reasons, base, extra)


def _without_action(
    state: ConversationState,
    name: str,
    intent: Intent,
    customer: Customer | None,
    reasons: list[Reason],
    base: dict[str, Any],
) -> Decision | None:
    """A conversational reply, a person, a missing record or a template answer; None when the
    intent runs an action."""
    if name in CONVERSATIONAL:
        template = _conversational_template(state, name)
        reasons.append(Reason(code="conversational", detail=name))
        if name == "goodbye":
            return Decision(kind="close", template=template, reasons=reasons, **base)
        return Decision(kind="answer", template=template, reasons=reasons, **base)
    if intent.escalate:
        if name == "human_agent":
            reasons.append(
                Reason(code="customer_request", detail=f"'{name}' is handled by a person")
            )
            return Decision(kind="escalate", escalation="customer_request", reasons=reasons, **base)
        reasons.append(
            Reason(code="policy_requires_person", detail=f"'{name}' is handled by a person")
        )
        return Decision(
            kind="escalate", escalation="policy_requires_person", reasons=reasons, **base
        )
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
    return None


def _conversational_template(state: ConversationState, name: str) -> str:
    """A yes or a no to nothing the bot asked is what a person means by it: "ok" after an
    answer is "anything else?"; "never mind" to a question drops it; a plain no closes the
    topic politely."""
    if name == "affirm":
        return "anything_else"
    if name == "deny":
        asked = state.awaiting_param or state.clarify_for or state.filling
        return "dropped" if asked else "nothing_else"
    return name


def _for_action(
    state: ConversationState,
    action_name: str,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
    base: dict[str, Any],
    extra: dict[str, str] | None,
) -> Decision:
    """Run a read at once; ask for a yes before a write; ask for what is missing first."""
    action = pack.actions[action_name]
    if not _bound(state, customer) and needs_customer(action):
        return _not_verified(action_name, pack, reasons, base)
    params, missing = _fill(action_name, action, understanding, state, customer, extra or {})
    params, missing = _fill_choices(
        action_name, action, (params, missing), state, understanding, customer, pack, reasons
    )
    params, unchanged = proposed(action_name, action, params, reasons, base)
    if unchanged is not None:
        return unchanged  # every element kept as it is: nothing to write
    foreign = _not_on_account(action, params, customer)
    if foreign is not None:
        pname, value = foreign
        spec = action.parameters[pname]
        detail = f"{pname} {value} is not among the customer's {spec.choices_from_account}"
        reasons.append(Reason(code="not_on_account", detail=detail))
        return _ask_for(
            action_name, pname, {}, "not_on_account", spec, customer, pack, reasons, base
        )
    if missing is not None:
        reasons.append(Reason(code="missing_parameter", detail=f"{action_name} needs {missing}"))
        asked = (params, missing, extra or {})
        return _ask_missing(action_name, asked, state, understanding, customer, pack, reasons, base)
    if action.risk == "read":
        reasons.append(
            Reason(code="read_action", detail=f"{action_name} reads only; no confirmation")
        )
        return Decision(kind="act", action=action_name, params=params, reasons=reasons, **base)
    refusal = refused(action_name, pack, params, state, reasons, base)
    if refusal is not None:
        other = _instead(action_name, params, state, understanding, customer, pack, reasons)
        return other or refusal
    reasons.append(
        Reason(
            code="needs_confirmation",
            detail=f"{action_name} is {action.risk}; an explicit yes is required",
        )
    )
    return Decision(
        kind="confirm",
        action=action_name,
        params=params,
        choices=["yes", "no"],
        reasons=reasons,
        **base,
    )


def _ask_missing(
    action_name: str,
    asked: tuple[dict[str, str], str, dict[str, str]],
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
    base: dict[str, Any],
) -> Decision:
    """Ask for the missing parameter: with its choices, with the values said together for it,
    or with the customer's own values or the ontology's."""
    params, missing, extra = asked
    action = pack.actions[action_name]
    spec = action.parameters[missing]
    several = undecided(action, missing, understanding, state, extra)
    if several:
        return ask_which(action_name, missing, params, several, reasons, base)
    if spec.choices is not None:
        return ask_choices(action_name, missing, params, spec, state, reasons, base)
    return _ask_for(
        action_name, missing, params, "missing_param", spec, customer, pack, reasons, base
    )


def _bound(state: ConversationState, customer: Customer | None) -> bool:
    """Whether the conversation is bound to a (verified) customer."""
    return customer is not None or state.customer_id is not None


def needs_customer(action: Action) -> bool:
    """Whether ``action`` reads or changes a customer's own records (a parameter chosen from
    the account, or a request to the signed-in customer's ``{customer_id}``): only for a
    verified customer."""
    if "customer_id" in action.request.placeholders():
        return True
    return any(spec.choices_from_account for spec in action.parameters.values())


def _not_verified(
    what: str, pack: DomainPack, reasons: list[Reason], base: dict[str, Any]
) -> Decision:
    """Nothing of a customer's is read, shown or changed in a conversation not bound to a
    verified customer, not even a record whose code the customer gives: ask for the first fact
    of the pack's verification, or, without one, say so and how to sign in."""
    if pack.verification:
        method = pack.verification[0]
        fact = method.facts[0].name
        reasons.append(
            Reason(
                code="verification_asked",
                detail=f"'{what}' needs a verified customer: asking for {fact} ({method.name})",
            )
        )
        return ask_fact(method.name, fact, reasons, base)
    reasons.append(
        Reason(
            code="not_verified",
            detail=f"'{what}' reads or changes a customer's records and this conversation's "
            "customer is not verified",
        )
    )
    return Decision(kind="answer", template="not_verified", reasons=reasons, **base)


def ask_fact(method: str, fact: str, reasons: list[Reason], base: dict[str, Any]) -> Decision:
    """Ask for one fact of verification ``method`` (template ``verify_ask``)."""
    return Decision(
        kind="answer",
        template="verify_ask",
        verify_method=method,
        verify_fact=fact,
        reasons=reasons,
        **base,
    )


def ontology_choices(pack: DomainPack, entity: str) -> list[tuple[str, str]]:
    """(label, value) of each value of an ontology entity, as offered to the customer."""
    spec = pack.entities.get(entity)
    if spec is None or spec.kind != "ontology":
        return []
    return [(v.label or name.replace("_", " "), name) for name, v in spec.values.items()]


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


def _fill_choices(
    action_name: str,
    action: Action,
    filled: tuple[dict[str, str], str | None],
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> tuple[dict[str, str], str | None]:
    """Go on filling from the choices offered this turn (``policy/guided.py``) while the next
    missing parameter has choices the customer's words or ``auto`` settle."""
    params, missing = filled
    text = request_words(action_name, state, understanding, pack, reasons)
    while missing is not None:
        spec = action.parameters[missing]
        if spec.choices is None:
            break
        value = choose(missing, spec, params, state, text, reasons)
        if value == ASK:
            break
        params = {**params, missing: value}
        params, missing = _fill(action_name, action, understanding, state, customer, params)
    return params, missing


def _fill(
    action_name: str,
    action: Action,
    understanding: Understanding,
    state: ConversationState,
    customer: Customer | None,
    extra: dict[str, str],
) -> tuple[dict[str, str], str | None]:
    """The action's parameters from the choice just made, the turn, the values filled so far
    for this action, the conversation's slots and the defaults; with the first required one
    still missing (or incomplete), or None."""
    filling = state.filling
    prior = filling.params if filling is not None and filling.action == action_name else {}
    under_way = filling is not None and filling.action == action_name
    params: dict[str, str] = {}
    for pname, spec in action.parameters.items():
        value: str | None = extra.get(pname)
        if value is None and spec.entity:
            mention = not_in_choice(understanding.entity(spec.entity), state, extra)
            # a guided value once asked for comes from the request, not an older slot
            slot = None if under_way and spec.choices else state.slots.get(spec.entity)
            value = mention.value if mention else prior.get(pname, slot)
        if value is None:
            value = prior.get(pname)
        if value in undecided(action, pname, understanding, state, extra):
            return params, pname  # which of the values said is this one: asked
        if spec.per is not None and value is not None and not complete(spec, value, params):
            params[pname] = value
            return params, pname
        if value is None and spec.default is not None:
            value = spec.default
        if value is None and spec.required:
            return params, pname
        if value is not None:
            params[pname] = value
    if customer is not None:
        params.setdefault("customer_id", customer.id)
    return params, None


def _instead(
    action_name: str,
    params: dict[str, str],
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision | None:
    """The action the pack declares for the dry run's refused rule (``instead``), set up with
    the values it shares with the refused one; it asks its own yes after its own dry run (None:
    none is declared, or one was already tried this turn)."""
    refusal = state.refusals.get(preview_key(action_name, params))
    other = pack.actions[action_name].instead.get(refusal.rule) if refusal else None
    intent = next((n for n, i in pack.intents.items() if i.action == other), None)
    if other is None or intent is None or "action_instead" in [r.code for r in reasons]:
        return None
    shared = pack.actions[other].parameters
    extra = {k: v for k, v in params.items() if k in shared}
    detail = f"{action_name} refused ({refusal.rule if refusal else ''}): {other} instead"
    reasons.append(Reason(code="action_instead", detail=detail, values={"action": other}))
    return handle_intent(state, intent, understanding, customer, pack, reasons, extra=extra)
