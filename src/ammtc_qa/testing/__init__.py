"""Test helpers shipped with the package: the backend contract suite (``backend``)."""
