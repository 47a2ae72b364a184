"""The policy as data: one YAML file, loaded strictly and checked against its own schema."""

from zzcbec_docs.policy.model import (
    AmountRule,
    Cap,
    Clause,
    Condition,
    Policy,
    Tier,
    default_policy_path,
    load_policy,
)

__all__ = [
    "AmountRule",
    "Cap",
    "Clause",
    "Condition",
    "Policy",
    "Tier",
    "default_policy_path",
    "load_policy",
]
