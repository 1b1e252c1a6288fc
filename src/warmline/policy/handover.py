"""Turns while a person is on the way or in charge, and the customer's own request for one.

A person always wins: the "talk to a person" control escalates at once, whatever the bot was
doing; while a person owns the conversation the bot says nothing; while one is on the way, the
bot says so (with the expected wait) and takes a contact for a call back when the customer
leaves one.
"""

from __future__ import annotations

from warmline.domain.conversation import ConversationState
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import ContactMedium
from warmline.policy.escalation import handover_priority, urgent_reason


def while_escalated(
    state: ConversationState, contact_medium: ContactMedium | None, leaving: bool = False
) -> Decision:
    """The decision for a customer message once the conversation is with the team;
    ``contact_medium`` is how the message offers to be contacted ("email", "phone"), if it
    does; ``leaving``: it takes leave ("bye"). Nothing but a person ends the wait, so a
    goodbye is answered with the truth: the place in the queue is kept and a person will
    reply here. ``template`` None: the bot stays silent."""
    assert state.status == "escalated"
    if state.owner:
        reason = Reason(
            code="person_owns",
            detail=f"{state.owner} owns this conversation; the bot stays silent",
        )
        return Decision(kind="escalate", escalation=state.escalation, reasons=[reason])
    reasons = [Reason(code="already_escalated", detail="waiting for a person to take over")]
    if contact_medium is not None:
        reasons.append(Reason(code="callback_requested", detail=f"contact by {contact_medium}"))
        return Decision(
            kind="escalate",
            escalation=state.escalation,
            template="callback_taken",
            callback=True,
            reasons=reasons,
        )
    if leaving:
        reasons.append(
            Reason(
                code="left_while_waiting",
                detail="the customer took leave; the conversation keeps its place in the queue",
            )
        )
    return Decision(
        kind="escalate",
        escalation=state.escalation,
        template="escalated_leaving" if leaving else "escalated_waiting",
        reasons=reasons,
    )


def person_requested(state: ConversationState) -> Decision | None:
    """The "talk to a person" control: honoured at once (None: a person has it already)."""
    if state.status == "escalated":
        return None
    reasons = [Reason(code="customer_request", detail="the customer pressed 'talk to a person'")]
    if handover_priority(state) == "urgent":
        reasons.append(urgent_reason(list(state.circumstances)))
    return Decision(
        kind="escalate", escalation="customer_request", template="escalated", reasons=reasons
    )
