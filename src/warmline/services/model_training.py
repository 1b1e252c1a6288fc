"""``warmline train``: retrain a pack's intent model on its examples plus the reviewed
corrections of the review queue (``services/learning.py``), judge it against the model serving
now on the corrections held out, and promote it only when the gate lets it through
(``policy/promotion.py``). A promotion is a row in the database (``storage/promotions.py``)
and an entry in the audit log; every worker trains its pack with the newest promotion's
corrections when it starts (``services/runtime.py``).

The model serving a pack is version 0 (its own examples) until a first promotion; version N
is the pack's examples plus the corrections of promotion N, which holds those of N - 1 and the
new ones trained on. Every run splits all the reviewed corrections the same way
(``services/model_evaluation.py``): the held-out ones stay out of every model and judge every
later candidate too, so the held-out set grows with the review queue (a correction the split
moves to the held-out side once it was promoted stays trained on and is not held out). The
candidate is saved in the model cache (``WARMLINE_MODEL_DIR``) under its fingerprint, so a
worker starting after the promotion loads it instead of training it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.analytics.parity import adjust
from warmline.domain.pack import DomainPack
from warmline.domain.pack_loader import load_pack
from warmline.errors import InputError
from warmline.nlu.embeddings import Encoder
from warmline.nlu.engine import NluEngine, pack_fingerprint
from warmline.nlu.intents import IntentClassifierConfig
from warmline.nlu.oos import OOS
from warmline.policy.promotion import GateSettings, Verdict, gate
from warmline.services.audit import AuditLog
from warmline.services.model_evaluation import (
    GroupFigures,
    Reviewed,
    ReviewedLike,
    cross_validated,
    figures,
    score,
    split,
)
from warmline.services.packs import PromotedModel, resolve_pack_path
from warmline.settings import Settings
from warmline.storage.audit import AuditRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade
from warmline.storage.promotions import Correction, Promotion, PromotionRepository
from warmline.types import Clock, SystemClock

HOLDOUT_SHARE = 0.3
NOTHING_NEW = "no new reviewed correction to train on: the candidate would be the serving model"


@dataclass(frozen=True)
class TrainRun:
    """One run of ``warmline train`` on one pack: what was trained on, held out and found."""

    pack: str
    holdout_share: float
    reviewed: int
    skipped: tuple[str, ...]
    serving: Promotion | None
    serving_fingerprint: str
    candidate_fingerprint: str
    corrections: tuple[Correction, ...]  # the candidate's: the serving ones and the new
    train: tuple[Reviewed, ...]  # the new corrections trained on
    held_out: tuple[Reviewed, ...]
    groups: tuple[GroupFigures, ...]
    verdict: Verdict
    promoted: Promotion | None = None
    baseline: dict[str, Any] | None = None  # the pack's examples, cross-validated

    @property
    def serving_version(self) -> int:
        return self.serving.version if self.serving is not None else 0

    def as_json(self) -> dict[str, Any]:
        v = self.verdict
        return {
            "pack": self.pack,
            "serving": {
                "version": self.serving_version,
                "fingerprint": self.serving_fingerprint,
                "corrections": len(self.serving.corrections) if self.serving else 0,
            },
            "candidate": {
                "version": self.serving_version + 1,
                "fingerprint": self.candidate_fingerprint,
                "corrections": len(self.corrections),
                "new": len(self.train),
            },
            "reviewed": self.reviewed,
            "skipped": list(self.skipped),
            "holdout_share": self.holdout_share,
            "held_out": len(self.held_out),
            "groups": [g.as_json() for g in self.groups],
            "gate": {
                "promote": v.promote,
                "reasons": list(v.reasons),
                "alpha": v.settings.alpha,
                "min_n": v.settings.min_n,
                "correction": v.settings.correction,
            },
            "promoted": self.promoted.version if self.promoted is not None else None,
            "baseline": self.baseline,
        }


def gate_settings_of(settings: Settings) -> GateSettings:
    return GateSettings(
        alpha=settings.promotion_alpha,
        min_n=settings.promotion_min_n,
        correction=settings.promotion_correction,
    )


def usable(pack: DomainPack, reviewed: Sequence[ReviewedLike]) -> tuple[list[Reviewed], list[str]]:
    """The corrections a model of ``pack`` can learn (an intent of the pack, or ``oos``, and
    some text), each item once; and why each other one was left out."""
    kept: dict[str, Reviewed] = {}
    skipped = []
    for found in map(Reviewed.of, reviewed):
        # one pack per run: its name is no segment of the corrections
        item = replace(found, segments={k: v for k, v in found.segments.items() if k != "pack"})
        if item.intent != OOS and item.intent not in pack.intents:
            skipped.append(f"item {item.item_id}: '{item.intent}' is no intent of {pack.pack}")
        elif not item.text.strip():
            skipped.append(f"item {item.item_id}: no text")
        else:
            kept.setdefault(item.item_id, item)
    return list(kept.values()), skipped


class ModelTrainer:
    def __init__(
        self,
        repo: PromotionRepository,
        audit: AuditLog,
        encoder: Encoder,
        cache_dir: Path | None,
        gate_settings: GateSettings | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.repo, self.audit, self.encoder, self.cache_dir = repo, audit, encoder, cache_dir
        self.gate_settings = gate_settings or GateSettings()
        self.clock = clock or SystemClock()

    async def serving(self, pack: str | None = None) -> dict[str, Promotion]:
        return await self.repo.serving(pack)

    def _fingerprint(self, pack: DomainPack, extra: Sequence[tuple[str, str]]) -> str:
        return pack_fingerprint(pack, self.encoder, IntentClassifierConfig(), extra)

    async def _engine(self, pack: DomainPack, extra: Sequence[tuple[str, str]]) -> NluEngine:
        return await asyncio.to_thread(
            NluEngine.train, pack, self.encoder, cache_dir=self.cache_dir, extra=extra
        )

    async def evaluate(
        self,
        pack: DomainPack,
        reviewed: Sequence[ReviewedLike],
        holdout_share: float = HOLDOUT_SHARE,
        baseline: bool = False,
    ) -> TrainRun:
        """Train the candidate (the pack's examples, the serving corrections and the new ones
        trained on), read the held-out corrections with it and with the serving model, and
        judge it (``policy/promotion.py``); with ``baseline``, the pack's examples'
        cross-validated accuracy beside."""
        if not 0 < holdout_share < 1:
            raise InputError(f"the held-out share is {holdout_share}; it must be in (0, 1)")
        serving = (await self.repo.serving(pack.pack)).get(pack.pack)
        items, skipped = usable(pack, reviewed)
        texts = {i.item_id: i.text for i in items}
        promoted = serving.item_ids if serving is not None else frozenset()
        trained, held_out = split(items, holdout_share)  # the same split whatever is promoted
        train = [i for i in trained if i.item_id not in promoted]
        held = [i for i in held_out if i.item_id not in promoted]
        before_extra = serving.examples(texts) if serving is not None else ()
        new = tuple(Correction(i.item_id, i.intent) for i in train)
        corrections = (serving.corrections if serving is not None else ()) + new
        after_extra = before_extra + tuple((i.text, i.intent) for i in train)
        before = await self._engine(pack, before_extra)
        after = await self._engine(pack, after_extra) if train else before
        scored = await asyncio.to_thread(score, before, after, held)
        verdict = gate([s.outcome() for s in scored], self.gate_settings, adjust)
        if not train:
            verdict = replace(verdict, promote=False, reasons=(NOTHING_NEW, *verdict.reasons))
        return TrainRun(
            pack.pack,
            holdout_share,
            len(reviewed),
            tuple(skipped),
            serving,
            self._fingerprint(pack, before_extra),
            self._fingerprint(pack, after_extra),
            corrections,
            tuple(train),
            tuple(held),
            tuple(figures(scored, (verdict.overall, *verdict.groups))),
            verdict,
            baseline=await asyncio.to_thread(cross_validated, pack, self.encoder)
            if baseline
            else None,
        )

    async def promote(self, run: TrainRun, actor: str, note: str = "") -> TrainRun:
        """Record the candidate of ``run`` as the pack's next version, with an audit entry
        (``model.promote``). When the gate did not pass it, nothing is promoted: the refusal is
        audited (``model.promotion_refused``) and ``run`` comes back as it was."""
        if not run.verdict.promote:
            await self.audit.record(
                actor, "model.promotion_refused", f"pack:{run.pack}", **_audited(run)
            )
            return run
        promotion = Promotion(
            run.pack,
            run.serving_version + 1,
            run.corrections,
            run.candidate_fingerprint,
            run.as_json(),
            actor,
            self.clock.now(),
            note or run.verdict.reasons[0],
        )
        saved = await self.repo.add(promotion, after=run.serving_version)
        await self.audit.record(actor, "model.promote", f"pack:{run.pack}", **_audited(run))
        return replace(run, promoted=saved)


def _audited(run: TrainRun) -> dict[str, Any]:
    """What the audit log keeps of a promotion: ids and counts, never a text."""
    overall = run.verdict.overall
    return {
        "version": run.serving_version + 1,
        "fingerprint": run.candidate_fingerprint,
        "corrections": len(run.corrections),
        "new": len(run.train),
        "held_out": overall.n,
        "right_before": overall.before,
        "right_after": overall.after,
        "blocked_by": [g.label for g in (overall, *run.verdict.groups) if g.blocks],
    }


@asynccontextmanager
async def open_trainer(settings: Settings, encoder: Encoder | None) -> AsyncIterator[ModelTrainer]:
    """The trainer on the database of ``settings`` (migrated first), with the model cache of
    ``WARMLINE_MODEL_DIR``; ``encoder`` None: the one the settings name, loaded now."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        if encoder is None:
            from warmline.services.runtime import load_configured_encoder

            encoder = await load_configured_encoder(settings)
        yield ModelTrainer(
            PromotionRepository(sessions),
            AuditLog(AuditRepository(sessions)),
            encoder,
            settings.model_dir,
            gate_settings_of(settings),
        )
    finally:
        await engine.dispose()


def configured_source(settings: Settings, name: str) -> str:
    """The pack source of ``WARMLINE_PACKS`` that ``name`` names (as given or by its file's
    stem), else ``name`` itself (a shipped pack or a YAML path)."""
    for source in settings.packs:
        if name in (source, Path(source).stem):
            return source
    return name


async def train_pack(
    settings: Settings,
    name: str,
    *,
    holdout_share: float = HOLDOUT_SHARE,
    promote: bool = False,
    actor: str = "warmline",
    note: str = "",
    encoder: Encoder | None = None,
    baseline: bool = False,
) -> TrainRun:
    """``warmline train``: the pack's reviewed corrections (``services/learning.py``), the
    candidate judged and, with ``promote``, promoted when the gate passes it."""
    from warmline.services.learning import open_learning

    pack = load_pack(resolve_pack_path(configured_source(settings, name)))
    async with open_learning(settings.database_url) as learning:
        reviewed = await learning.reviewed_examples(pack.pack)
    async with open_trainer(settings, encoder) as trainer:
        run = await trainer.evaluate(pack, reviewed, holdout_share, baseline)
        return await trainer.promote(run, actor, note) if promote else run


async def serving_models(settings: Settings, pack: str | None = None) -> dict[str, Promotion]:
    """The newest promotion of each pack (or of ``pack``) in the database of ``settings``."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        return await PromotionRepository(session_factory(engine)).serving(pack)
    finally:
        await engine.dispose()


async def promoted_models(engine: AsyncEngine) -> dict[str, PromotedModel]:
    """Each pack's promoted model in the database of ``engine``: its version and its
    corrections' texts (read through the review queue) with their promoted intents. No
    promotion: nothing else is read."""
    sessions = session_factory(engine)
    promotions = await PromotionRepository(sessions).serving()
    if not promotions:
        return {}
    from warmline.services.learning import Learning
    from warmline.storage.learning import LearningRepository

    learning = Learning(LearningRepository(engine), AuditLog(AuditRepository(sessions)))
    found = {}
    for pack, promotion in promotions.items():
        texts = {str(r.item_id): r.text for r in await learning.reviewed_examples(pack)}
        found[pack] = PromotedModel(promotion.version, promotion.examples(texts))
    return found
