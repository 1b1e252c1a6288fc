"""When the bot is not sure: one clarifying question with guided choices, the account ruling
candidates out, and what happens outside what the bot handles. A loop of either goes to a
person: a turn that settles nothing after a clarifying question, whether it is read as not sure
again or as out of scope, counts towards the clarify loop."""

from __future__ import annotations

from warmline.domain.conversation import ConversationState
from warmline.domain.customers import Customer
from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import REJECT_INTENT, Understanding
from warmline.policy.guided import candidate_key, first_choice

CONVERSATIONAL = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge"})


def ruled_out(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> tuple[str, ...]:
    """Candidate intents the customer's account rules out: a customer with no reservation
    cannot mean "cancel my reservation", and one whose orders are all delivered cannot mean
    "cancel my order" (``_no_record_fits``), so neither is offered as a choice."""
    if customer is None:
        return ()
    out = []
    for score in understanding.ranking:
        intent = pack.intents.get(score.intent)
        if intent is None:
            continue
        if intent.requires_account and not customer.facts.get(intent.requires_account):
            why = f"'{score.intent}' needs {intent.requires_account} and the account has none"
        else:
            why = _no_record_fits(state, understanding, pack, score.intent)
        if why:
            out.append(score.intent)
            values: dict[str, float | str | bool | None] = {
                "probability": round(score.probability, 4)
            }
            reasons.append(Reason(code="account_rules_out", detail=why, values=values))
    return tuple(out)


def _no_record_fits(
    state: ConversationState, understanding: Understanding, pack: DomainPack, name: str
) -> str:
    """Why the records rule intent ``name`` out ("": they do not): the first question of its
    action, evaluated from the customer's records (only pending orders can be cancelled, only
    delivered ones returned), has nothing to offer, or not the record the customer named."""
    action_name = pack.intents[name].action
    action = pack.actions.get(action_name or "")
    param = first_choice(action) if action is not None else None
    offer = state.offers.get(candidate_key(action_name or "", param or ""))
    if action is None or param is None or offer is None:
        return ""
    if not offer.values:
        return f"'{name}': no record on the account fits its {param}"
    entity = action.parameters[param].entity
    mention = understanding.entity(entity) if entity else None
    named = mention.value.lstrip("#").upper() if mention is not None else None
    if named is not None and named not in {v.lstrip("#").upper() for v in offer.values}:
        return f"'{name}': {param} {mention.value if mention else ''} does not fit it"
    return ""


def out_of_scope(
    state: ConversationState,
    understanding: Understanding,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision:
    """Say what the bot can do; the pack's ``max_out_of_scope``-th such turn goes to a person.
    Right after a clarifying question, the turn settled nothing: the question is asked again,
    or a person takes over (``unsettled``)."""
    if state.clarify_for:
        return unsettled(state, understanding, pack, reasons)
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
        return Decision(
            kind="escalate",
            escalation="out_of_scope_repeated",
            out_of_scope=True,
            reasons=reasons,
        )
    reasons.extend(_capabilities_ruled_out(state, pack))
    return Decision(kind="answer", template="out_of_scope", out_of_scope=True, reasons=reasons)


def _capabilities_ruled_out(state: ConversationState, pack: DomainPack) -> list[Reason]:
    """What the bot can do that the customer's records rule out, so the out-of-scope reply
    does not offer it: an action whose first question, evaluated from the records, has
    nothing to offer (no pending order to cancel, no delivered one to return); the reason's
    ``values.intent`` names it. A read stays offered: the customer may name a record the
    account does not list."""
    out = []
    for name, intent in pack.intents.items():
        action = pack.actions.get(intent.action or "")
        write = action is not None and action.risk != "read"
        param = first_choice(action) if action is not None and write else None
        offer = state.offers.get(candidate_key(intent.action or "", param or ""))
        if param is not None and offer is not None and not offer.values:
            why = f"'{name}': no record on the account fits its {param}; not offered"
            out.append(Reason(code="account_rules_out", detail=why, values={"intent": name}))
    return out


def clarify(
    state: ConversationState,
    understanding: Understanding,
    pack: DomainPack,
    reasons: list[Reason],
    exclude: tuple[str, ...],
) -> Decision:
    """Ask which of the likeliest intents the customer means (and offer a person); after
    ``max_clarifications`` questions in a row, hand over instead."""
    looped = _clarify_loop(state, pack, reasons)
    if looped is not None:
        return looped
    candidates = [
        s.intent
        for s in understanding.ranking
        if s.intent not in CONVERSATIONAL
        and s.intent != REJECT_INTENT
        and s.intent not in exclude
        and s.intent in pack.intents
    ][: pack.thresholds.clarify_choices]
    if not candidates:
        return out_of_scope(state, understanding, pack, reasons)
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


def unsettled(
    state: ConversationState,
    understanding: Understanding,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision:
    """A turn read out of scope right after a clarifying question: no progress, like one read
    as not sure again. The same question is asked again (the same choices), and once the
    questions in a row pass ``max_clarifications`` a person takes over (``clarify_loop``)."""
    looped = _clarify_loop(state, pack, reasons)
    if looped is not None:
        return looped
    reasons.append(
        Reason(
            code="clarify",
            detail="the answer to the question settled nothing; asking it again",
            values={
                "confidence": round(understanding.confidence, 4),
                "asked": state.clarify_streak + 1,
                "limit": pack.thresholds.max_clarifications,
            },
        )
    )
    return Decision(
        kind="clarify",
        confidence=understanding.confidence,
        template="clarify",
        choices=list(state.clarify_for),
        reasons=reasons,
    )


def _clarify_loop(
    state: ConversationState, pack: DomainPack, reasons: list[Reason]
) -> Decision | None:
    """A person, when this turn would ask a clarifying question more than
    ``max_clarifications`` times in a row (None: it would not)."""
    streak = state.clarify_streak + 1
    limit = pack.thresholds.max_clarifications
    if streak <= limit:
        return None
    reasons.append(
        Reason(
            code="clarify_loop",
            detail=f"{streak - 1} questions did not settle it",
            values={"limit": limit, "asked": streak - 1},
        )
    )
    return Decision(kind="escalate", escalation="clarify_loop", reasons=reasons)


def without_values(decision: Decision, values: list[str]) -> Decision:
    """A question asked again without the choices of ``values`` (a choice's value, or its
    label when it has none; ids compared without '#' or case): "no, I meant the other order"
    of three is not offered the one just shown."""
    bare = {v.lstrip("#").upper() for v in values}
    offered, labels = decision.choice_values, decision.choices
    if decision.kind != "clarify" or not bare or len(labels) < 2:
        return decision
    said = [offered[i] if i < len(offered) else label for i, label in enumerate(labels)]
    kept = [i for i, value in enumerate(said) if value.lstrip("#").upper() not in bare]
    return decision.model_copy(
        update={
            "choices": [labels[i] for i in kept],
            "choice_values": [offered[i] for i in kept if i < len(offered)],
        }
    )
