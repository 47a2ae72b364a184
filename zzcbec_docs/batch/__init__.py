"""Batch intake: a folder of bundles checked, rendered in parallel and summarised."""

from zzcbec_docs.batch.runner import BatchItem, BatchOptions, run_batch

__all__ = ["BatchItem", "BatchOptions", "run_batch"]
