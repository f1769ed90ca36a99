"""Ranking: pure stages over the ``Backend`` Protocol, never over a store's internals.

``pipeline.Ranker`` runs them in order: question analysis (``questions``), candidate
gathering with the filter pushed into the store (``candidates``), sentence signals
(``signals``), score fusion (``fusion``) and greedy selection with syndicated-copy folding
(``selection``).
"""

from .pipeline import Ranker

__all__ = ["Ranker"]
