"""Experiment arms: which variant of the replies a conversation gets, fixed at its start.

The arm is a pure function of the experiment's name, its arms' weights and the conversation id
(SHA-256 of ``"<experiment>:<conversation id>"`` read as a number in [0, 1)), so the split is
stable: the same conversation always lands in the same arm, on any process, and the shares
follow the weights. Assignments are recorded as ``ExperimentAssigned`` events.
"""

from __future__ import annotations

import hashlib

from warmline.domain.pack import DomainPack, Experiment


def bucket(experiment: str, conversation_id: str) -> float:
    """A stable number in [0, 1) for this conversation in this experiment."""
    digest = hashlib.sha256(f"{experiment}:{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_arm(name: str, experiment: Experiment, conversation_id: str) -> str:
    """The arm of ``conversation_id``: arms take shares of [0, 1) in proportion to weight."""
    total = sum(arm.weight for arm in experiment.arms.values())
    point = bucket(name, conversation_id) * total
    for arm_name, arm in experiment.arms.items():
        point -= arm.weight
        if point < 0:
            return arm_name
    return list(experiment.arms)[-1]


def assign_arms(pack: DomainPack, conversation_id: str) -> dict[str, str]:
    """The conversation's arm in each running experiment of the pack."""
    return {
        name: assign_arm(name, experiment, conversation_id)
        for name, experiment in pack.experiments.items()
        if experiment.enabled
    }
