"""The responder: turns a decision and what the actions produced into the customer's reply.

Templates are Jinja2 in a sandbox, so a pack author cannot reach Python. A pack's templates
override the built-in ones below, which every pack gets, and an experiment arm's templates
override both for the conversations in that arm. Every reply is put in the persona's register,
and every template is checked against the guardrails when the pack loads (``voice.py``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from warmline.domain.customers import facts_from_profile
from warmline.domain.decision import Acknowledgement
from warmline.domain.pack import DomainPack
from warmline.errors import PackError, PackIssue
from warmline.policy.intents import needs_customer
from warmline.services.feedback_words import FEEDBACK_TEMPLATES
from warmline.services.knowledge_words import KNOWLEDGE_TEMPLATES
from warmline.services.voice import (
    ACKNOWLEDGEMENTS,
    acknowledgement_context,
    acknowledgement_key,
    apply_register,
    guardrail_problems,
)

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "sv": "Swedish",
    "da": "Danish",
}

BUILTIN_TEMPLATES: dict[str, str] = {
    "greet": "Hello! I'm {{ persona.name }}, {{ persona.company }}'s AI assistant. How can I help?",
    "thanks": "You're welcome. Is there anything else I can help with?",
    "goodbye": "Thank you for contacting {{ persona.company }}. Take care!",
    "bot_challenge": (
        "Yes, I'm an AI assistant, not a person. If you'd rather talk to someone from our team, "
        'say "talk to a person" or use the button, and I\'ll hand you over.'
    ),
    "nothing_pending": "Sorry, I'm not sure what that answers. What can I help you with?",
    "anything_else": "Anything else I can help with?",
    "dropped": "No problem, we'll leave that. Is there anything else I can help with?",
    "nothing_else": "All right. If anything else comes up, just write to me here.",
    "declined": "Okay, I haven't changed anything. Is there something else I can help with?",
    "out_of_scope": (
        "I'm sorry, I can't help with that here."
        "{% if capabilities %} I can {{ capabilities|spoken_list }}.{% endif %}"
        "{% if capabilities_after_verifying %} Once I've confirmed it's you, I can "
        "{{ 'also ' if capabilities else '' }}{{ capabilities_after_verifying|spoken_list }}."
        "{% endif %} If you'd like, I can connect you with a person."
    ),
    "unsupported_language": (
        "I'm sorry, I can only help in {{ languages }} here. If you'd like, I can connect you "
        "with a person from our team."
    ),
    "clarify": "I want to make sure I get this right. Which of these do you mean?",
    "missing_param": "{{ prompt }}",
    "ask_for_param": "Could you give me the {{ param }}?",
    "no_account_record": (
        "I can't find anything on your account that this would apply to, so there's nothing to "
        "change. Would you like me to connect you with a person?"
    ),
    "not_verified": (
        "I can only look at bookings and orders once I know it's you, and this chat isn't linked "
        "to a signed-in account. Please sign in on our website and start the chat from there, "
        "or I can connect you with a person who can check your identity."
    ),
    "verify_ask": "I can help with that once I know it's you. {{ question }}",
    "verify_next": "Thank you. {{ question }}",
    "verify_no_match": "I couldn't match those details. {{ question }}",
    "verified": "Thank you, I've confirmed it's you. What can I help you with?",
    "verification_failed": (
        "I couldn't match those details, so I can't look at the account here. I'm connecting "
        "you with a person from our team who can check your identity. {{ wait_sentence }}"
    ),
    "not_on_account": (
        "I can only help with what's on your own account, and I can't find that one there. "
        "Which of yours do you mean?"
    ),
    "parameter_loop": (
        "I'm sorry, I still haven't managed to get that detail right, and I don't want to keep "
        "asking you the same question. I'm connecting you with a person from our team who can "
        "sort it out with you. {{ wait_sentence }}They'll see our conversation, so you won't "
        "need to repeat yourself."
    ),
    "escalated": (
        "I'm connecting you with a person from our team now. {{ wait_sentence }}They'll see our "
        "conversation, so you won't need to repeat yourself."
    ),
    "action_on_hold": (
        "I can't make that change right now: changes like this are paused for a check on our "
        "side, and nothing has been changed. I'm connecting you with a person from our team "
        "who can help. {{ wait_sentence }}"
    ),
    "wait_soon": "Someone will be with you in a moment.",
    "wait_about": "Someone should be with you in {{ wait }}.",
    "wait_nobody": (
        "Nobody from our team is signed in right now. Leave your email address or phone "
        "number here and we'll get back to you; your conversation is kept."
    ),
    "callback_taken": (
        "Thank you. Someone from our team will contact you at {{ contact }}; your reference is "
        "{{ reference }}. You can also stay here in case someone is free sooner."
    ),
    "handed_back": (
        "You're back with {{ persona.name }}, {{ persona.company }}'s AI assistant. What else can "
        'I help with? Say "talk to a person" any time to reach our team again.'
    ),
    "escalated_leaving": (
        "All right, take care. Your place with our team is kept, and a person will reply here "
        "in this chat, so come back to it whenever suits you."
        "{% if callback %} We'll also contact you as you asked.{% endif %}"
    ),
    "opener_greeting": "Hi!",
    "opener_thanks": "You're welcome.",
    "escalated_waiting": (
        "Your conversation is with our team now; a person will reply here. I've passed your "
        "message on. {{ wait_sentence }}"
    ),
    "assist_acknowledge": "{{ opener }} I'm {name} from the team, and I've read our chat.",
    "assist_thanks": "Thanks for waiting. I've read the conversation, so no need to repeat anything.",
    "action_rejected": "I couldn't do that: {{ reason }}",
    "sold_out": (
        "Sorry: {{ reason.split(';')[0].rstrip('.') }}, so I couldn't set one aside for you. "
        "Nothing has been promised or changed."
    ),
    "action_refused": (
        "I can't do that: {{ reason }} Nothing has been changed. If you'd like someone from our "
        'team to look at it, say "talk to a person".'
    ),
    "no_choices": (
        "I can't find anything that this would apply to, so there's nothing to change. "
        "Would you like me to connect you with a person?"
    ),
    "action_not_found": "I couldn't find that: {{ reason }} Could you check it for me?",
    "action_done_unworded": (
        "That's done, but I couldn't show you the details here, so I'm connecting you with a "
        "person from our team who can go through them with you. {{ wait_sentence }}"
    ),
    "action_unavailable": (
        "I'm sorry, our system isn't responding right now, so I couldn't complete that. "
        "I'm connecting you with a person who can help. {{ wait_sentence }}"
    ),
    "action_shadowed": "Thank you. A colleague from our team will complete this for you; I'll "
    "let you know here as soon as it's done. Nothing has been changed yet.",
    "action_awaiting_approval": "Thank you. A colleague is checking this before it goes "
    "through; I'll let you know here as soon as they have. Nothing has been changed yet.",
    "approval_rejected": "A colleague has checked your request and couldn't go ahead with it, "
    'so nothing has been changed. If you\'d like to talk it through, say "talk to a person".',
    "approval_done": "A colleague has checked your request, and it's done.",
}
BUILTIN_TEMPLATES.update(FEEDBACK_TEMPLATES | KNOWLEDGE_TEMPLATES)  # feedback; documents' answers

VARIANTS: dict[str, list[str]] = {
    "escalated_waiting": [
        "Thanks, I've added that to your conversation, so the person who picks it up will see "
        "it. {{ wait_sentence }}",
        "Got it, I've passed that on as well. {{ wait_sentence }}",
        "That's with our team too. {{ wait_sentence }}",
    ],
    "wait_nobody": [
        "Our team still isn't signed in, I'm afraid. If you leave an email address or phone "
        "number, we'll get back to you.",
        "There's still nobody free on our team. An email address or phone number here is all "
        "we need to get back to you.",
    ],
    "wait_soon": ["Someone should join you any moment now.", "It shouldn't be long now."],
    "wait_about": [
        "The wait is now {{ wait }}.",
        "Someone should join you in {{ wait }}.",
    ],
}
"""Other wordings of a line a conversation may hear again and again (waiting for a person):
each time the one it has heard least recently. A pack that words a line itself gives its own
others as ``name~1``, ``name~2``, ..."""


def spoken(phrases: list[str], conjunction: str = "or") -> str:
    """``a``, ``a or b``, ``a, b, or c``: a list as a person says it."""
    if len(phrases) <= 2:
        return f" {conjunction} ".join(phrases)
    return f"{', '.join(phrases[:-1])}, {conjunction} {phrases[-1]}"


def capability_phrase(label: str) -> str:
    """An intent's label (the customer's words: "change my flights") as what the bot can do
    ("change your flights")."""
    return re.sub(r"\bmy\b", "your", label)


class Responder:
    """Renders templates of one pack, with the built-ins underneath."""

    def __init__(self, pack: DomainPack) -> None:
        self.pack = pack
        self._env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._env.filters["spoken_list"] = self.spoken_list
        sources: dict[str, tuple[str, str]] = {
            name: (text, f"templates.{name}") for name, text in BUILTIN_TEMPLATES.items()
        }
        for name, others in VARIANTS.items():
            if name not in pack.templates:  # a pack's own wording, its own others only
                for i, text in enumerate(others, 1):
                    sources[f"{name}~{i}"] = (text, f"built-in {name}~{i}")
        sources.update({n: (t, f"templates.{n}") for n, t in pack.templates.items()})
        sources["greeting"] = (pack.persona.greeting, "persona.greeting")
        for action_name, action in pack.actions.items():
            if action.confirm:
                sources[f"confirm:{action_name}"] = (
                    action.confirm,
                    f"actions.{action_name}.confirm",
                )
        for key, variants in ACKNOWLEDGEMENTS.items():
            own = pack.empathy.acknowledgements.get(key.removesuffix("_strong"))  # type: ignore[call-overload]
            where = f"empathy.acknowledgements.{key.removesuffix('_strong')}"
            for i, text in enumerate(own or variants):
                sources[f"ack:{key}:{i}"] = (text, f"{where}[{i}]" if own else f"built-in {key}")
        for exp_name, experiment in pack.experiments.items():
            for arm_name, arm in experiment.arms.items():
                prefix = f"experiments.{exp_name}.arms.{arm_name}"
                for name, text in arm.templates.items():
                    sources[f"{exp_name}:{arm_name}:{name}"] = (text, f"{prefix}.templates.{name}")
                if arm.greeting:
                    sources[f"{exp_name}:{arm_name}:greeting"] = (
                        arm.greeting,
                        f"{prefix}.greeting",
                    )
        self._compiled = {}
        self._expressions: dict[str, Any] = {}
        self._inline: dict[str, Any] = {}
        self._acks: dict[str, list[str]] = {}
        issues = []
        for name, (source, where) in sources.items():
            for problem in guardrail_problems(source, pack.persona.forbidden_phrases):
                issues.append(PackIssue(pack.pack, None, where, f"breaks a guardrail, {problem}"))
            try:
                self._compiled[name] = self._env.from_string(source)
            except TemplateError as exc:
                issues.append(PackIssue(pack.pack, None, where, str(exc)))
            if name.startswith("ack:"):
                self._acks.setdefault(name.split(":")[1], []).append(name)
        if issues:
            raise PackError(issues)
        self._variants = {
            name: sorted(n for n in self._compiled if n.startswith(f"{name}~"))
            for name in self._compiled
            if "~" not in name
        }

    def _template(self, name: str, arms: dict[str, str] | None) -> Any:
        for experiment, arm in (arms or {}).items():
            override = self._compiled.get(f"{experiment}:{arm}:{name}")
            if override is not None:  # an assigned arm holds for the conversation's life
                return override
        return self._compiled.get(name)

    def render(
        self,
        name: str,
        arms: dict[str, str] | None = None,
        said: Sequence[str] = (),
        **context: Any,
    ) -> str:
        """The reply ``name`` words; when the conversation has ``said`` it already and the line
        has other wordings (``VARIANTS``), the one heard least recently."""
        others = self._variants.get(name, [])
        if said and others and self._template(name, arms) is self._compiled.get(name):
            return self._varied([name, *others], arms, said, context)
        return self._render(name, arms, **context)

    def _varied(
        self, names: list[str], arms: dict[str, str] | None, said: Sequence[str], context: Any
    ) -> str:
        """The first wording of ``names`` not yet heard, else the next after the last heard.
        A wording is compared without its wait sentence, which varies on its own."""
        bare = [self._render(n, arms, **{**context, "wait_sentence": ""}) for n in names]
        heard = [i for line in said for i, text in enumerate(bare) if text and text in line]
        fresh = [i for i in range(len(names)) if i not in heard]
        pick = fresh[0] if fresh else (heard[-1] + 1) % len(names)
        return self._render(names[pick], arms, **context)

    def _render(self, name: str, arms: dict[str, str] | None = None, **context: Any) -> str:
        template = self._template(name, arms)
        if template is None:
            raise PackError(
                [PackIssue(self.pack.pack, None, f"templates.{name}", "no such template")]
            )
        now, later = self.capabilities(context.get("customer"), context.get("ruled_out", ()))
        base = {
            "persona": self.pack.persona,
            "topics": self.spoken_list(now or later, "and"),
            "capabilities": now,
            "capabilities_after_verifying": later,
            "languages": self.languages(),
            "wait_sentence": "",
        }
        params = context.get("params") or {}
        text = template.render(**{**base, **params, **context}).strip()
        return apply_register(text, self.pack.persona.speech_register)

    def try_render(
        self, name: str, arms: dict[str, str] | None = None, **context: Any
    ) -> tuple[str | None, str | None]:
        """The text, or None and what went wrong when the template fails on this data."""
        try:
            return self.render(name, arms, **context), None
        except (TemplateError, PackError, TypeError, ValueError, KeyError) as exc:
            return None, f"template {name} failed: {type(exc).__name__}"

    def render_safe(
        self, name: str, fallback: str, arms: dict[str, str] | None = None, **context: Any
    ) -> tuple[str, str | None]:
        """Render, or return ``fallback`` and the error when the template fails on this data."""
        text, problem = self.try_render(name, arms, **context)
        if text is None:
            return self.render(fallback, arms, **context), problem
        return text, None

    def evaluate(self, expression: str, **context: Any) -> Any:
        """A pack's Jinja expression (a parameter's ``choices``) evaluated in the same sandbox."""
        compiled = self._expressions.get(expression)
        if compiled is None:
            compiled = self._expressions[expression] = self._env.compile_expression(expression)
        return compiled(**context)

    def render_text(self, source: str, **context: Any) -> str:
        """A pack's inline template (a choice's ``label``) rendered in the same sandbox."""
        compiled = self._inline.get(source)
        if compiled is None:
            compiled = self._inline[source] = self._env.from_string(source)
        return " ".join(str(compiled.render(**context)).split())

    def greeting(self, arms: dict[str, str] | None = None) -> str:
        """The first message: who the assistant is, that it is an AI, how to reach a person."""
        return self.render("greeting", arms)

    def acknowledge(
        self, ack: Acknowledgement, used: list[str], arms: dict[str, str] | None = None
    ) -> str | None:
        """The acknowledgement for ``ack``, never one of ``used`` (those said already in this
        conversation); variants rotate with how many were said. None when all are used."""
        names = self._acks[acknowledgement_key(ack.cause, ack.strong)]
        texts = [self.render(n, arms, **acknowledgement_context(ack)) for n in names]
        for step in range(len(texts)):
            text = texts[(len(used) + step) % len(texts)]
            if text not in used:
                return text
        return None

    def languages(self) -> str:
        names = [LANGUAGE_NAMES.get(code.split("-")[0], code) for code in self.pack.languages]
        return " or ".join(names)

    def capabilities(
        self, profile: dict[str, Any] | None, ruled_out: Sequence[str] = ()
    ) -> tuple[list[str], list[str]]:
        """The intents whose action the bot can run for this customer now, in the pack's
        order, and those it can run once a guest is verified. Intents that only answer (a
        policy, a "that can't be done") are no capability; nor is one whose record the
        customer's account does not hold (no reservation to cancel), nor one ``ruled_out``
        by the records (no pending order to cancel: ``policy/clarify.py``)."""
        account = self.pack.account
        facts = facts_from_profile(profile, account.fields) if profile and account else {}
        now: list[str] = []
        later: list[str] = []
        for name, intent in self.pack.intents.items():
            action = self.pack.actions.get(intent.action or "")
            if action is None or intent.builtin or name in ruled_out:
                continue
            personal = bool(intent.requires_account) or needs_customer(action)
            if not profile and personal:
                later.append(name)
            elif not (profile and intent.requires_account) or facts.get(intent.requires_account):
                now.append(name)
        return now, later

    def spoken_list(
        self, names: Sequence[str], conjunction: str = "or", words: dict[str, str] | None = None
    ) -> str:
        """Intents as what the bot can do, in a sentence: each in ``words`` (a pack's wording;
        an empty one leaves the intent out) or as its label; the same phrase once."""
        phrases: list[str] = []
        for name in names:
            phrase = (words or {}).get(name, capability_phrase(self.pack.intent_label(name)))
            if phrase and phrase not in phrases:
                phrases.append(phrase)
        return spoken(phrases, conjunction)
