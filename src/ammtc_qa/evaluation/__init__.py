"""Measuring answers: question sets with the dev-set metrics (``questions``), BEIR tasks (``beir``)."""

from .beir import evaluate_beir, load_beir, passages_to_run, score_run
from .questions import EvalReport, evaluate, load_questions

__all__ = ["EvalReport", "evaluate", "load_questions", "evaluate_beir", "load_beir", "passages_to_run", "score_run"]
