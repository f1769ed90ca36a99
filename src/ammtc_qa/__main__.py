"""``python -m ammtc_qa``: the same command line as the ``ammtc-qa`` script."""

from .cli import main

raise SystemExit(main())
