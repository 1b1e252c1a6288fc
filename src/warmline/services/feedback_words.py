"""The built-in wording of the feedback the chat page asks for: the thumbs under each bot
answer and the effort question (CES) after the rating. A pack words them in its own language
with templates of the same names (docs/domain-packs.md); ``services/responder.py`` puts these
under every pack's."""

from __future__ import annotations

FEEDBACK_TEMPLATES: dict[str, str] = {
    "feedback_helpful": "Helpful",
    "feedback_not_helpful": "Not helpful",
    "feedback_answer_thanks": "Thanks for your feedback.",
    "feedback_ces_question": "How easy was it to get what you needed?",
    "feedback_ces_low": "Very difficult",
    "feedback_ces_high": "Very easy",
    "feedback_ces_thanks": "Thank you for telling us.",
}
