"""Reports over many conversations of a pack, folded from their event logs."""

from __future__ import annotations

from warmline.analytics.experiments import ExperimentReport, experiment_report
from warmline.errors import InputError
from warmline.services.packs import PackRegistry, PackRuntime
from warmline.storage.conversations import ConversationRepository

REPORT_KINDS = ("experiment_assigned", "feedback_given", "resolved", "escalated")


class Reports:
    def __init__(self, repo: ConversationRepository, packs: PackRegistry) -> None:
        self.repo = repo
        self.packs = packs

    async def experiment(
        self, pack: str | None, experiment: str, baseline: str | None = None
    ) -> ExperimentReport:
        """CSAT and resolution per arm of one of the pack's experiments, with differences."""
        return await _experiment(self.repo, self.packs.resolve(pack), experiment, baseline)


async def _experiment(
    repo: ConversationRepository, runtime: PackRuntime, experiment: str, baseline: str | None
) -> ExperimentReport:
    if experiment not in runtime.pack.experiments:
        known = ", ".join(runtime.pack.experiments) or "none"
        raise InputError(
            f"pack '{runtime.pack.pack}' has no experiment '{experiment}' (it has: {known})"
        )
    arms = list(runtime.pack.experiments[experiment].arms)
    if baseline is not None and baseline not in arms:
        raise InputError(f"experiment '{experiment}' has no arm '{baseline}' (arms: {arms})")
    logs = await repo.logs(runtime.pack.pack, REPORT_KINDS)
    return experiment_report(logs.values(), experiment, arms, baseline)
