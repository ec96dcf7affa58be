"""Measure retrieval quality: ranking metrics and the BEIR-layout evaluator."""

from searchapp.evaluate.beir import BeirDataset
from searchapp.evaluate.evaluator import EvalReport, Evaluator
from searchapp.evaluate.metrics import mrr_at_k, ndcg_at_k, recall_at_k

__all__ = [
    "BeirDataset",
    "EvalReport",
    "Evaluator",
    "mrr_at_k",
    "ndcg_at_k",
    "recall_at_k",
]
