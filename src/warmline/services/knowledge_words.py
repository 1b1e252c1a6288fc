"""The built-in wording of answers from the pack's documents: the answer itself (the passage's
sentences, ``answer``; the chat page shows its citations under it) and the honest "I don't
know" for a question the documents cover but do not answer. A pack words them in its own
language with templates of the same names (docs/domain-packs.md); ``services/responder.py``
puts these under every pack's."""

from __future__ import annotations

KNOWLEDGE_TEMPLATES: dict[str, str] = {
    "knowledge_answer": "{{ answer }}",
    "knowledge_unknown": (
        "I'm sorry, I couldn't find the answer to that in our help pages, and I'd rather not "
        "guess. If you'd like, I can connect you with a person from our team."
    ),
}
