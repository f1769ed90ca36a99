"""Build throughput on Ray Data (2 local workers) vs in-process, same corpus, same run.

Each build is ``ammtc_qa.load(corpus_dir, <fresh index folder>, settings=...)``: read, clean,
chunk, embed every passage and sentence, write the local store, reload. The in-process build
embeds with torch on this process's threads; the Ray build sends the same batches to an actor
pool of ``--workers`` actors (``ActorPoolStrategy``), each loading the model once and using one
thread. The Ray runtime is started once before timing (``ray.init``, timed apart); the pool's
start (each actor loading the model) is inside every Ray build, as it is for a user. Builds
alternate (in-process, Ray, in-process, Ray...) so both see the same noise.

    PYTHONPATH=$PWD/src flock /work/heavy.lock python benchmarks/ray_build.py [--paragraphs 300] [--reps 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from common import CACHE, emit, log, ratio, squad_corpus, write_corpus


def run(paragraphs: int, reps: int, workers: int) -> dict[str, object]:
    import ray

    import ammtc_qa
    from ammtc_qa.indexing.embedding import load_embedder
    from ammtc_qa.settings import IndexSettings

    corpus_dir = CACHE / f"ray-build-{paragraphs}-corpus"
    write_corpus(corpus_dir, squad_corpus(paragraphs))
    load_embedder().encode(["warm up the model"] * 4)
    t0 = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    ray_init_s = time.perf_counter() - t0
    settings = {"in-process": IndexSettings(), "ray": IndexSettings(executor="ray", ray_workers=workers)}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in settings}
    counts: dict[str, object] = {}
    try:
        for rep in range(reps):
            for name, s in settings.items():
                index_dir = CACHE / f"ray-build-{paragraphs}-{name}"
                shutil.rmtree(index_dir, ignore_errors=True)  # a previous version's vectors would be reused
                t0 = time.perf_counter()
                qa = ammtc_qa.load(corpus_dir, index_dir, settings=s, progress=False)
                took = time.perf_counter() - t0
                info = qa.info()
                texts = int(info["embedding"]["embedded"])
                counts = {"passages": int(info["chunks"]), "sentences": int(info["sentences"]),
                          "texts_embedded": texts}
                runs[name].append({"build_s": round(took, 2), "passages_per_s": round(info["chunks"] / took, 1),
                                   "texts_per_s": round(texts / took, 1)})
                log(f"rep {rep} {name}: {took:.1f}s, {texts} texts ({texts / took:.1f}/s)")
    finally:
        ray.shutdown()
    med = {k: statistics.median(r["build_s"] for r in v) for k, v in runs.items()}
    texts = int(counts["texts_embedded"])  # type: ignore[call-overload]
    return {
        "paragraphs": paragraphs, **counts, "workers": workers, "reps": reps, "runs": runs,
        "median_build_s": med,
        "median_texts_per_s": {k: round(texts / v, 1) for k, v in med.items()},
        "ratio_ray_over_in_process": round(ratio(texts / med["ray"], texts / med["in-process"]), 3),
        "ray_init_s": round(ray_init_s, 2),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paragraphs", type=int, default=300, help="first N squad-dev paragraphs")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    log(f"load average before: {[round(x, 2) for x in os.getloadavg()]}")
    result = run(args.paragraphs, args.reps, args.workers)
    emit(result, args.out)


if __name__ == "__main__":
    main()
