"""The rules of the policy: one function per clause, an engine, decisions as data."""

from zzcbec_docs.rules.engine import decide
from zzcbec_docs.rules.model import CheckResult, Decision, Step

__all__ = ["CheckResult", "Decision", "Step", "decide"]
