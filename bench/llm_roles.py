"""Which embedded model should play each role: the pipeline's structured calls on each, scored by code.

Usage (about 20 minutes on 2 busy CPU cores; both models' packages installed)::

    nice -n 10 .venv/bin/python bench/llm_roles.py [--cases 3] [--reviews 2] [--prose 1] [--threads 1] [--json OUT]
    .venv/bin/python bench/llm_roles.py --rescore OUT    # score saved replies again, calling no model

``--threads 1`` (the default here) because on 2 cores that other processes keep busy, two torch threads
decode 4-10 times slower than one (measured: Gemma 1.1 s against 0.25 s a token under a load of 7).

Each call is the one the pipeline makes, with the prompt it renders (``proctor.prompts.render`` of the
templates under ``proctor/prompts/``), the same schema, token limit, temperature and seed, sent through the
gateway (litellm, the ``local`` provider, schema-constrained decoding), once per model, alternating models so
both see the same load:

* untrusted, ``ideation``: the ideation stage's ``Idea`` schema, a shipped template's seed ideas in the prompt;
* untrusted, ``queries``: the novelty check's first-round search queries for a template's seed idea;
* untrusted, ``prose``: the write-up's ``PaperProse`` from an idea and a results table built by ``aggregate``;
* reviewer, ``review``: the NeurIPS ``ReviewForm`` (system prompt, one-shot draft prompt) of a real paper text
  (an ICLR 2022 bench paper when ``../shared`` has them, cut as the reviewer cuts it; else a short paper).

Scores, all computed by code on the raw JSON the model wrote (before validators fill blanks):
``valid`` the reply validates against the schema (the grammar makes this always true; reported anyway);
``filled`` share of the schema's text fields (strings, lists of strings) that hold text;
``copied`` share of the filled fields that copy the prompt: only field names and filler words, a long
(5-word) run of the prompt's text covering half the answer or more, or, for the review,
``proctor.review.echoes_form``; ``loops`` share of filled fields that copy themselves (12 words or more,
under half of their word trigrams distinct: the same sentence again and again); ``useful`` share of text
fields filled, not copied and not looping (a list field counts when one of its items is);
``distinct`` (ideation) share of ideas that the pipeline's own filter (``not_an_idea``: text similarity
to the direction and to every seed idea) accepts; ``median_s`` median latency of a call.
A role's score is the mean of its calls' ``useful`` (and, for ideation, ``distinct``); the rule picks
the instruction-tuned model for a role only when its score beats Gemma's by ``MARGIN`` and it is valid
as often. The trusted role is not measured: a default run makes no trusted-model call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ValidationError

from proctor.agents import load_template
from proctor.agents._idea_filter import not_an_idea
from proctor.agents._ideation import IdeaDraft, ideation_messages, rotated
from proctor.agents._novelty import Queries
from proctor.agents._writeup import PaperProse
from proctor.llm import LLMSettings, get_model
from proctor.llm._local_engine import get_engine
from proctor.paper import aggregate
from proctor.prompts import render
from proctor.review import (
    ReviewForm,
    echoes_form,
    find_bench_dir,
    load_decisions,
    sample_papers,
    truncate_paper,
)
from proctor.review._bench import read_papers
from proctor.settings import ReviewSettings

MODELS = ["local/gemma-3-270m", "local/smollm2-135m-instruct"]
MARGIN = 0.05
"""How much higher a role's score must be to replace the incumbent (Gemma)."""
TEMPLATES = ["tabular_classification", "modular_arithmetic", "softmax_regression"]
DIRECTIONS = {"tabular_classification": "calibration of small neural networks on tabular data",
              "modular_arithmetic": "grokking in small transformers",
              "softmax_regression": "optimisation of convex models with minibatch SGD"}
FILLER = frozenset("a an the of and or to in on for with none na n todo text here item list field answer json "
                   "string value example".split())
SHORT_PAPER = """Warm Restarts for Linear Probes

Abstract. We restart the learning rate of a linear probe trained on frozen ResNet-18 features every 10 epochs.
On CIFAR-10 the probe reaches 91.2% test accuracy against 90.8% for a cosine schedule, averaged over 3 seeds.
1 Method. A logistic-regression head is trained with SGD (lr 0.1, momentum 0.9, batch 256).
2 Results. Table 1 reports accuracy; the gain is 0.4 points with a standard deviation of 0.3.
3 Limitations. One data set, one backbone; no tuning of the baseline schedule.
"""
# Per-seed outputs of the tabular template (baseline, and label smoothing 0.05 with temperature scaling).
RESULTS = {"baseline": [{"digits": {"means": {"test_acc": a, "test_ece": e}}} for a, e in
                        ((0.969, 0.012), (0.972, 0.014), (0.966, 0.011))],
           "label_smoothing_0.05": [{"digits": {"means": {"test_acc": a, "test_ece": e}}} for a, e in
                                    ((0.983, 0.031), (0.979, 0.027), (0.986, 0.034))]}


@dataclass
class Case:
    """One structured call: its role, kind, messages and parameters, and what scores it."""

    role: str
    kind: str
    messages: list[dict[str, str]]
    schema: type[BaseModel]
    max_tokens: int
    temperature: float = 0.0
    seed: int = 0
    instructions: str = ""  # the review prompt without the paper (for echoes_form)
    direction: str = ""
    seeds: list[dict[str, Any]] = field(default_factory=list)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def copies(text: str, prompt: str, names: frozenset[str]) -> bool:
    """Whether an answer copies the prompt: only field names and filler, a whole quoted string of the prompt
    (an example's query, name or strength), or a long run of its text."""
    words = _words(text)
    if not words or all(w in names or w in FILLER for w in words):
        return True
    if len(words) < 5:
        return words in (_words(q) for q in re.findall(r'"([^"]*)"', prompt))
    grams = {tuple(g) for g in zip(*(_words(prompt)[i:] for i in range(5)), strict=False)}
    covered = set()
    for i in range(len(words) - 4):
        if tuple(words[i:i + 5]) in grams:
            covered.update(range(i, i + 5))
    return len(covered) >= 0.5 * len(words)


def repeats(text: str) -> bool:
    """Whether an answer loops: 12 words or more, under half of its word trigrams distinct."""
    words = _words(text)
    grams = list(zip(words, words[1:], words[2:], strict=False))
    return len(words) >= 12 and len(set(grams)) < 0.5 * len(grams)


def text_fields(schema: type[BaseModel]) -> list[str]:
    """The JSON keys of the schema's text fields (strings and lists of strings)."""
    props = schema.model_json_schema()["properties"]
    return [k for k, p in props.items() if p.get("type") == "string" and "enum" not in p
            or (p.get("type") == "array" and p.get("items", {}).get("type") == "string")]


def score(case: Case, raw: str) -> dict[str, Any]:
    """The code-checked measures of one reply (``raw``: the JSON text the model wrote)."""
    try:
        case.schema.model_validate_json(raw)
        valid = True
    except ValidationError:
        valid = False
    data = json.loads(raw) if valid else {}
    prompt = "\n".join(m["content"] for m in case.messages)
    keys = text_fields(case.schema)
    names = frozenset(w for k in case.schema.model_json_schema()["properties"] for w in _words(k))
    filled = copied = looped = useful = 0
    for key in keys:
        value = data.get(key, "")
        items = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
        items = [v for v in items if any(c.isalnum() for c in v)]
        if not items:
            continue
        filled += 1
        echo = [copies(v, prompt, names) or (case.kind == "review" and echoes_form(v, case.instructions))
                for v in items]
        loop = [repeats(v) for v in items]
        if len(items) >= 4 and len({" ".join(_words(v)) for v in items}) < 0.5 * len(items):
            loop = [True] * len(items)  # a list that says the same item again and again
        copied += all(echo)
        looped += all(loop)
        useful += any(not e and not r for e, r in zip(echo, loop, strict=True))
    out: dict[str, Any] = {"valid": valid, "filled": filled / len(keys), "copied": copied / max(filled, 1),
                           "loops": looped / max(filled, 1), "useful": useful / len(keys)}
    if case.kind == "ideation":
        out["distinct"] = valid and not_an_idea(data, case.direction, case.seeds) is None
    return out


def cases(n: int, n_prose: int, n_reviews: int) -> list[Case]:
    """``n`` ideation and query calls, ``n_prose`` write-ups, ``n_reviews`` reviews, built as the pipeline
    builds them."""
    out: list[Case] = []
    for k, name in enumerate((TEMPLATES * n)[:n]):
        tpl = load_template(name)
        seeds = [s.model_dump() for s in tpl.seed_ideas]
        state = {"direction": DIRECTIONS[name], "ideas": []}
        out.append(Case("untrusted", "ideation", ideation_messages(state, rotated(seeds, k)[:3],
                        tpl.prompt.task_description), IdeaDraft, 400, seed=k, direction=DIRECTIONS[name],
                        seeds=seeds))
        idea = seeds[k % len(seeds)]
        query = render("agents/novelty_queries.j2", idea=idea, previous_queries=[], hits=[])
        out.append(Case("untrusted", "queries", [{"role": "user", "content": query}], Queries, 120))
    table = aggregate({c: {"runs": [(f"run_{i}", r) for i, r in enumerate(rs)]} for c, rs in RESULTS.items()})
    ideas = [s.model_dump() for s in load_template("tabular_classification").seed_ideas]
    for k in range(n_prose):
        prose = render("agents/writeup.j2", idea=ideas[k % len(ideas)], results_markdown=table.to_markdown(),
                       related=[], change="- run 1: label_smoothing 0.0 -> 0.05 and temperature_scaling on, to "
                       "test whether smoothing with post-hoc scaling lowers calibration error")
        out.append(Case("untrusted", "prose", [{"role": "user", "content": prose}], PaperProse, 900))
    review = ReviewSettings()
    system = {"role": "system", "content": render("review/system.j2", venue=review.venue)}
    instructions = render("review/draft.j2", paper="", truncated=False, few_shot=review.few_shot)
    for k, paper in enumerate(papers(n_reviews)):
        shown, cut = truncate_paper(paper.strip(), review.max_paper_chars)
        draft = render("review/draft.j2", paper=shown, truncated=cut, few_shot=review.few_shot)
        out.append(Case("reviewer", "review", [system, {"role": "user", "content": draft}], ReviewForm,
                        review.max_tokens, review.temperature, review.seed + k, instructions))
    return out


def papers(n: int) -> list[str]:
    """``n`` real paper texts from the ICLR 2022 bench, or the short paper when the bench is absent."""
    try:
        root = find_bench_dir()
        ids = sample_papers(list(load_decisions(root / "ratings_subset.tsv")), n, seed=0)
        texts = read_papers(root / "papers.tar.gz", ids)
        return [texts[i] for i in ids]
    except Exception:  # noqa: BLE001 - the bench data is optional
        return [SHORT_PAPER] * n


async def call(model: str, case: Case) -> tuple[str, float]:
    """The raw reply and latency of one call through the gateway (no validation retry)."""
    schema = case.schema.model_json_schema()
    fmt = {"type": "json_schema", "json_schema": {"name": case.schema.__name__, "schema": schema, "strict": True}}
    gateway = get_model(case.role, LLMSettings(**{case.role: model}))
    reply = await gateway.complete(case.messages, max_tokens=case.max_tokens, temperature=case.temperature,
                                   response_format=fmt, seed=case.seed, schema_name=case.schema.__name__)
    return reply.text, reply.latency_s


def summarise(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, float]]:
    """Per (role, kind, model): the mean of each measure and the median latency."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["role"], r["kind"], r["model"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        keys = ["valid", "filled", "copied", "loops", "useful"] + (["distinct"] if "distinct" in rs[0] else [])
        out[key] = {k: statistics.fmean(float(r[k]) for r in rs) for k in keys}
        out[key] |= {"n": len(rs), "median_s": statistics.median(r["seconds"] for r in rs)}
    return out


def choose(summary: dict[tuple[str, str, str], dict[str, float]]) -> dict[str, tuple[str, str]]:
    """Per role: the chosen model and why (see the module docstring)."""
    out = {}
    old, new = MODELS
    for role in sorted({k[0] for k in summary}):
        measures: dict[str, dict[str, float]] = {old: {}, new: {}}
        for (r, kind, model), s in summary.items():
            if r == role:
                measures[model] |= {f"{kind} useful": s["useful"], f"{kind} valid": s["valid"]}
                measures[model] |= {f"{kind} distinct": s["distinct"]} if "distinct" in s else {}
        score = {m: statistics.fmean(v for k, v in measures[m].items() if not k.endswith("valid")) for m in MODELS}
        worse = [f"{k} {measures[new][k]:.2f} < {measures[old][k]:.2f}" for k in sorted(measures[old])
                 if measures[new][k] < measures[old][k] - (0 if k.endswith("valid") else MARGIN)]
        why = f"score {score[old]:.2f} for {old.split('/')[-1]}, {score[new]:.2f} for {new.split('/')[-1]}"
        if score[new] >= score[old] + MARGIN and not worse:
            out[role] = (new, why)
        else:
            out[role] = (old, why + ("; worse at " + ", ".join(worse) if worse else f"; not {MARGIN} better"))
    return out


async def run(todo: list[Case]) -> list[dict[str, Any]]:
    """Every case on every model, alternating models case by case; one row per reply."""
    rows: list[dict[str, Any]] = []
    for i, case in enumerate(todo):
        for model in MODELS:
            raw, seconds = await call(model, case)
            rows.append({"case": i, "role": case.role, "kind": case.kind, "model": model, "seconds": seconds,
                         "reply": raw, **score(case, raw)})
            print(f"  {case.kind:<9} {model:<28} {seconds:6.1f} s  {raw[:110]!r}", flush=True)
    return rows


def main() -> None:
    """Run every case on both models and print the tables and the choice per role."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=3, help="ideation and query calls per model")
    ap.add_argument("--reviews", type=int, default=2, help="review calls per model")
    ap.add_argument("--prose", type=int, default=1, help="write-up calls per model (900 tokens each)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--json", type=Path, help="write every reply and score here")
    ap.add_argument("--rescore", type=Path, help="score the replies of an earlier --json (same counts), calling no model")
    args = ap.parse_args()
    todo = cases(args.cases, args.prose, args.reviews)
    if args.rescore:
        rows = json.loads(args.rescore.read_text())
        rows = [{**r, **score(todo[r["case"]], r["reply"])} for r in rows]
        report(rows, f"{len(rows)} replies of {args.rescore}, rescored")
        return
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the engine keeps what is set
    torch.set_num_threads(args.threads)
    for model in MODELS:  # load (or build the cache of) both, and set up their grammars, before timing
        engine = get_engine(model=model.removeprefix("local/"))
        engine.generate(engine.chat_prompt([{"role": "user", "content": "Hi"}]), max_new_tokens=2,
                        json_schema={"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]})
    started = time.perf_counter()
    rows = asyncio.run(run(todo))
    report(rows, f"{len(rows)} calls in {time.perf_counter() - started:.0f} s, {args.threads} torch thread(s), "
           f"{os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


def report(rows: list[dict[str, Any]], title: str) -> None:
    """Print the table per role, call and model, and the choice per role."""
    summary = summarise(rows)
    print(f"\n{title}")
    head = f"{'role':<10} {'call':<9} {'model':<28} {'n':>2} {'valid':>5} {'filled':>6} {'copied':>6} " \
           f"{'loops':>5} {'useful':>6} {'distinct':>8} {'median_s':>8}"
    print("\n" + head + "\n" + "-" * len(head))
    for (role, kind, model), s in sorted(summary.items()):
        distinct = f"{s['distinct']:8.2f}" if "distinct" in s else f"{'-':>8}"
        print(f"{role:<10} {kind:<9} {model:<28} {s['n']:>2.0f} {s['valid']:5.2f} {s['filled']:6.2f} "
              f"{s['copied']:6.2f} {s['loops']:5.2f} {s['useful']:6.2f} {distinct} {s['median_s']:8.1f}")
    print(f"\nchoice per role ({MODELS[1]} only when its score, the mean of useful and distinct over the role's "
          f"calls, is {MARGIN} higher and no call is worse by more than {MARGIN}):")
    for role, (model, why) in choose(summary).items():
        print(f"  {role:<10} -> {model:<28} {why}")
    print(f"  {'trusted':<10} -> {MODELS[0]:<28} not measured: a default run makes no trusted-model call")


if __name__ == "__main__":
    main()
