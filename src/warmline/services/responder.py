"""The responder: turns a decision and what the actions produced into the customer's reply.

Templates are Jinja2 in a sandbox, so a pack author cannot reach Python. A pack's templates
override the built-in ones below, which every pack gets.
"""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from warmline.domain.pack import DomainPack
from warmline.errors import PackError, PackIssue

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
    "nothing_pending": "There's nothing waiting for your answer right now. What can I help with?",
    "declined": "Okay, I haven't changed anything. Is there something else I can help with?",
    "out_of_scope": (
        "I'm sorry, I can't help with that here. I can help with {{ topics }}. "
        "If you'd like, I can connect you with a person."
    ),
    "unsupported_language": (
        "I'm sorry, I can only help in {{ languages }} here. If you'd like, I can connect you "
        "with a person from our team."
    ),
    "clarify": "I want to make sure I get this right. Which of these do you mean?",
    "missing_param": "{{ prompt }}",
    "no_account_record": (
        "I can't find anything on your account that this would apply to, so there's nothing to "
        "change. Would you like me to connect you with a person?"
    ),
    "not_on_account": (
        "I can only help with bookings on your own account, and I can't find that one there. "
        "Which of yours do you mean?"
    ),
    "escalated": (
        "I'm connecting you with a person from our team now. They'll see our conversation, "
        "so you won't need to repeat yourself."
    ),
    "escalated_waiting": (
        "Your conversation is with our team now; a person will reply here. I've passed your "
        "message on."
    ),
    "action_rejected": "I couldn't do that: {{ reason }}",
    "action_not_found": "I couldn't find that: {{ reason }} Could you check it for me?",
    "action_unavailable": (
        "I'm sorry, our system isn't responding right now, so I couldn't complete that. "
        "I'm connecting you with a person who can help."
    ),
}


class Responder:
    """Renders templates of one pack, with the built-ins underneath."""

    def __init__(self, pack: DomainPack) -> None:
        self.pack = pack
        self._env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._sources = {**BUILTIN_TEMPLATES, **pack.templates}
        for action_name, action in pack.actions.items():
            if action.confirm:
                self._sources[f"confirm:{action_name}"] = action.confirm
        self._compiled = {}
        issues = []
        for name, source in self._sources.items():
            try:
                self._compiled[name] = self._env.from_string(source)
            except TemplateError as exc:
                where = (
                    f"actions.{name[8:]}.confirm"
                    if name.startswith("confirm:")
                    else f"templates.{name}"
                )
                issues.append(PackIssue(pack.pack, None, where, str(exc)))
        if issues:
            raise PackError(issues)

    def render(self, name: str, **context: Any) -> str:
        template = self._compiled.get(name)
        if template is None:
            raise PackError(
                [PackIssue(self.pack.pack, None, f"templates.{name}", "no such template")]
            )
        base = {
            "persona": self.pack.persona,
            "topics": self.topics(),
            "languages": self.languages(),
        }
        params = context.get("params") or {}
        return template.render(**{**base, **params, **context}).strip()

    def render_safe(self, name: str, fallback: str, **context: Any) -> tuple[str, str | None]:
        """Render, or return ``fallback`` and the error when the template fails on this data."""
        try:
            return self.render(name, **context), None
        except (TemplateError, PackError, TypeError, ValueError, KeyError) as exc:
            return self.render(fallback, **context), f"template {name} failed: {type(exc).__name__}"

    def languages(self) -> str:
        names = [LANGUAGE_NAMES.get(code.split("-")[0], code) for code in self.pack.languages]
        return " or ".join(names)

    def topics(self) -> str:
        names = [self.pack.intent_label(n) for n, i in self.pack.intents.items() if not i.builtin][
            :4
        ]
        return (
            ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
            if names
            else "your requests"
        )
