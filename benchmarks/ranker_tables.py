"""The ranker's corpus-wide tables (meeting catalog, timeline, publisher names) over many articles:
built from every article's ``DocMeta`` (what the ranker did up to store format 3) against added up
from per-segment summaries (format 4). The articles are a format-3 segment's ``docmeta.json``
replicated ``copies`` times in memory (new ids), as ``scale_store.py generate`` replicates the real
10k store.

    python benchmarks/ranker_tables.py /tmp/ammtc-qa-scale/real-8100/index/segments/s-*/docmeta.json 100
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from ammtc_qa.backends.filters import DocMeta  # noqa: E402
from ammtc_qa.backends.summary import MetaSummary  # noqa: E402
from ammtc_qa.ranking.hints import PublisherNames  # noqa: E402
from ammtc_qa.ranking.questions import MeetingCatalog  # noqa: E402
from ammtc_qa.ranking.temporal import Timeline  # noqa: E402


def main() -> None:
    path, copies = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100
    meta = [DocMeta.from_json(m) for m in json.loads(path.read_text(encoding="utf-8"))["docs"]]
    big = [dataclasses.replace(m, doc_id=f"{m.doc_id}#{c}") for c in range(copies) for m in meta]
    t = time.perf_counter()
    catalog = MeetingCatalog.from_meta(big)
    Timeline.from_meta(big, aliases={k: r for r, ks in catalog.series.items() for k in ks},
                       canonical=catalog.canonical)
    PublisherNames(m.publisher for m in big if m.publisher)
    every = time.perf_counter() - t
    parts = [MetaSummary.of(meta) for _ in range(copies)]
    t = time.perf_counter()
    summary = MetaSummary.combine(parts)
    catalog = MeetingCatalog.from_summary(summary, lambda keys: frozenset())
    Timeline.from_summary(summary, aliases={k: r for r, ks in catalog.series.items() for k in ks},
                          canonical=catalog.canonical)
    PublisherNames(summary.publishers)
    summed = time.perf_counter() - t
    print(json.dumps({"articles": len(big), "from_every_docmeta_s": round(every, 3),
                      "from_segment_summaries_ms": round(summed * 1000, 2), "segments": copies}))


if __name__ == "__main__":
    main()
