"""The vocabulary of explanations: every reason code a decision can carry and every trigger that
hands a conversation to a person. ``docs/reasons.md`` lists each one, and a test keeps the two in
step; mypy refuses a code or a trigger that is not listed here.

A reason code names a rule that fired or a fact the decision rested on; the trigger of an
escalation is also recorded as a reason whose code is the trigger's name (except
``action_failed``, whose reason is ``backoffice_unavailable``).
"""

from __future__ import annotations

from typing import Literal, get_args

_SelfNamed = Literal[
    "customer_request",
    "policy_requires_person",
    "out_of_scope_repeated",
    "clarify_loop",
    "parameter_loop",
    "regulated_topic",
    "staff_complaint",
    "leave_threat",
    "frustration",
    "vip",
    "circuit_open",
    "template_failed",
    "verification_failed",
    "action_on_hold",
]
"""The triggers recorded as a reason of the same name."""

Trigger = Literal[_SelfNamed, "action_failed"]
"""Why a conversation went to a person (the ``escalated`` event's ``trigger``)."""

ReasonCode = Literal[
    # what the turn was read as
    "nlu",
    "context",
    "request_sentence",
    "dialogue_acts",
    "affect",
    "unsupported_language",
    "out_of_scope",
    # what the documents say (policy/knowledge.py)
    "knowledge_passage",
    "knowledge_answered",
    "knowledge_abstained",
    "knowledge_llm_rejected",
    "knowledge_llm_failed",
    # the account, as the turn found it
    "account_cached",
    "account_not_found",
    "account_unavailable",
    "account_rules_out",
    # stock, as the turn found it, and the units held for a proposal (services/turn/stock_holds.py)
    "stock_checked",
    "stock_unavailable",
    "stock_held",
    "stock_sold_out",
    "stock_hold_released",
    "no_account_record",
    "not_on_account",
    "not_verified",
    "verification_asked",
    "customer_verified",
    "verification_no_match",
    "verification_abandoned",
    # the conversation's own flow
    "confirmed",
    "declined",
    "confirmation_abandoned",
    "confirmation_unsure",
    "choice_selected",
    "choice_unknown",
    "slot_filled",
    "slot_unreadable",
    "values_undecided",
    "slot_from_words",
    "slot_auto",
    "kept_as_is",
    "slot_corrected",
    "request_reopened",
    "slot_added",
    "choices_offered",
    "no_choices",
    "clarify",
    "entity_guard",
    "conversational",
    "template_answer",
    "missing_parameter",
    "read_action",
    "needs_confirmation",
    # empathy
    "empathy_first",
    "empathy_off",
    "experiment_arm",
    "empathy_buffer_spent",
    "empathy_answer",
    "empathy_request",
    "empathy_not_upset",
    "acknowledgements_used_up",
    "person_offered",
    # a person (and the triggers named after themselves)
    _SelfNamed,
    "urgent_circumstance",
    "already_escalated",
    "person_owns",
    "callback_requested",
    # after the back office answered
    "backoffice_unavailable",
    "precondition_failed",
    "action_instead",
    "refusal_asked_again",
    # the write's rollout mode, after the yes (policy/rollout.py)
    "rollout_autonomous",
    "rollout_supervised",
    "rollout_shadow",
    "rollout_within_limit",
    "rollout_over_limit",
    "rollout_amount_unknown",
    # how the reply is put
    "opener_returned",
    "left_while_waiting",
]
"""What a ``Reason`` can say (its ``code``); stable, for tests, analytics and the docs."""

TRIGGERS: tuple[Trigger, ...] = get_args(Trigger)
REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)
