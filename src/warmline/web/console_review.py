"""The console's review queue at ``/console/review`` (any signed-in agent): the customer turns
worth a human label, each with what the bot read (its confidence and the alternatives), why
it is queued, its segments and a link to its conversation, and the forms that label it (an
intent of its pack, or out of scope) or dismiss it; and the misclassification log. Loading
the page collects the turns appended since the last collection (cheap: past a watermark).
Forms are CSRF-checked like every console form; labels and dismissals are audited by
``services/learning.py``."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.api.deps import RuntimeDep
from warmline.api.sessions import require_csrf_when_signed_in
from warmline.errors import ConflictError, InputError, NotFound
from warmline.services.learning import OOS_LABEL, PAGE_BATCHES, ReviewItem, learning_of
from warmline.services.runtime import Runtime
from warmline.web.console_common import ConsoleAgent, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf_when_signed_in)])
PAGE = "/console/review"
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
View = Literal["queue", "log"]
SHOWN = 50
REASON_WORDS = {
    "corrected": "corrected by an agent",
    "thumbs_down": "thumb down",
    "disagreement": "close call or corrected by the customer",
    "low_confidence": "low confidence",
}
ZONE_WORDS = {"confident": "sure", "clarify": "not sure", "out_of_scope": "out of scope"}


def _back(view: str, pack: str, notice: str) -> Response:
    query = {"notice": notice} | ({"view": view} if view == "log" else {})
    query |= {"pack": pack} if pack else {}
    return RedirectResponse(f"{PAGE}?{urlencode(query, quote_via=quote)}", status_code=303)


def _choices(runtime: Runtime, items: list[ReviewItem]) -> dict[str, list[tuple[str, str]]]:
    """Per pack of the items shown, the labels it may get (value, words), when it is loaded."""
    found: dict[str, list[tuple[str, str]]] = {}
    for pack in {item.pack for item in items} & set(runtime.packs):
        domain = runtime.packs[pack].pack
        names = [n for n in sorted(domain.intents) if n != OOS_LABEL]
        found[pack] = [(n, domain.intent_label(n)) for n in names]
        found[pack].append((OOS_LABEL, "out of scope"))
    return found


@router.get(PAGE, response_class=HTMLResponse)
async def review_page(
    request: Request,
    agent: ConsoleAgent,
    runtime: RuntimeDep,
    view: Annotated[View, Query()] = "queue",
    pack: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The open items by value, or the misclassification log (``view=log``), of one pack if
    asked; what was appended since the last load is collected first."""
    learning = learning_of(runtime)
    await learning.collect(PAGE_BATCHES)
    if view == "log":
        items = await learning.misclassifications(pack or None, SHOWN)
    else:
        items = await learning.queue(pack or None, SHOWN)
    context: dict[str, Any] = {
        "agent": agent.name,
        "supervisor": agent.may("supervisor"),
        "items": items,
        "view": view,
        "pack": pack,
        "packs": sorted(runtime.packs),
        "counts": await learning.counts(),
        "choices": _choices(runtime, items),
        "reason_words": REASON_WORDS,
        "zone_words": ZONE_WORDS,
        "notice": request.query_params.get("notice"),
    }
    return render(request, "console_review.html", context)


@router.post(PAGE + "/{item_id}/{verb}")
async def review_item(
    item_id: ItemId,
    verb: Literal["label", "dismiss"],
    agent: ConsoleAgent,
    runtime: RuntimeDep,
    label: Annotated[str, Form(max_length=128)] = "",
    view: Annotated[str, Form(max_length=8)] = "queue",
    pack: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Label the item (an intent of its pack, or ``oos``) or dismiss it."""
    learning = learning_of(runtime)
    try:
        if verb == "label":
            item = await learning.label(item_id, label, agent.name)
            words = "out of scope" if item.label == OOS_LABEL else item.label
            return _back(view, pack, f"Item {item_id} labelled: {words}.")
        await learning.dismiss(item_id, agent.name)
        return _back(view, pack, f"Item {item_id} dismissed.")
    except (InputError, NotFound, ConflictError) as exc:
        return _back(view, pack, exc.public_detail())
