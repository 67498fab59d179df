"""DEPICT on Fashion-MNIST: per-step cost and settings study (all 70,000 images on a
GPU, or a subset on the CPU).

Prints (and writes to --out) the cost of one training step of DEPICT's
convolutional network, then fits DEPICT with each named variant, reporting the
accuracy of the phase-B initial clustering, the ACC/NMI reached every 5
self-training epochs (labels are read for the report only, never by the fit),
the final ACC/NMI/ARI and the seconds of each phase.

It saves the raw figures as JSON (``--out``) and renders them to
``results/<--section>.md`` (default ``depict_fashion_study``) after every variant; ``--render JSON``
re-renders that section from a saved JSON (the machine line comes from the
JSON, not from the machine rendering it).

Usage::

    python benchmarks/study_depict_fashion.py --device cuda --variants spectral kmeans fast \
        --out benchmarks/results/depict_fashion_study.json
    python benchmarks/study_depict_fashion.py --render benchmarks/results/depict_fashion_study.json

On the CPU, on a subset, into its own section::

    python benchmarks/study_depict_fashion.py --device cpu --n-samples 10000 \
        --variants spectral sqrt --section depict_fashion_study_cpu \
        --out benchmarks/results/depict_fashion_study_cpu.json
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from _common import RESULTS_DIR, machine, scores

from skdeepcluster.depict import _callbacks, _losses, _module  # noqa: E402
from skdeepcluster import DEPICT
from skdeepcluster.datasets import load_fashion_mnist

BASE = dict(n_clusters=10, input_shape=(1, 28, 28), batch_size=256, clustering_lr=1e-4)
VARIANTS = {
    "spectral": dict(init="spectral", pretrain_max_epochs=20, init_max_epochs=20, max_epochs=50),
    "kmeans": dict(init="kmeans", pretrain_max_epochs=20, init_max_epochs=20, max_epochs=50),
    "fast": dict(init="spectral", pretrain_max_epochs=8, init_max_epochs=10, max_epochs=20),
    "fast1024": dict(init="spectral", batch_size=1024, pretrain_max_epochs=20,
                     init_max_epochs=10, max_epochs=20),
    "lr3": dict(init="spectral", clustering_lr=None, pretrain_max_epochs=20,
                init_max_epochs=20, max_epochs=50),
    "sqrt": dict(init="spectral", target="sqrt", pretrain_max_epochs=20,
                 init_max_epochs=20, max_epochs=50),
}


def step_cost(X, device, batch_size, reps=50):
    m = _module.DEPICTModule(784, 10, input_shape=(1, 28, 28)).to(device)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    xb = X[:batch_size]

    def step():
        out = m(xb)
        loss = _losses.reconstruction_loss(out[2], out[3], 0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    for _ in range(10):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps):
        loss = step()
    loss.item()
    return (time.perf_counter() - t) / reps * 1e3


def render(log):
    """The results section (markdown) of a study log."""
    where = log.get("machine", f"GPU {log['device']}")
    lines = [
        f"## DEPICT on Fashion-MNIST: settings study ("
        f"{'CPU, ' if log['device'] == 'cpu' else ''}n={log.get('n', 70000)})", "",
        f"- machine: {where}",
        f"- date: {log.get('date', '2026-11-26')}",
        f"- command: `{log.get('command', 'python benchmarks/study_depict_fashion.py')}`", "",
        "One training step of DEPICT's convolutional network (clean + noisy encoder, decoder, "
        "backward, Adam), in a bare loop: "
        + ", ".join(f"{float(ms):.2f} ms at batch {bs}" for bs, ms in log["step_ms"].items())
        + ".", "",
        "lr 1e-3 in phase A, seed 0; other settings per row. 'init' is the "
        "phase-B clustering's own score; the trace gives (phase-D epoch: ACC/NMI) every 5 "
        "epochs. Labels are read for this report only.", "",
        "| variant | target | batch | clustering lr | caps A/C/D | init ACC / NMI | final ACC | NMI | ARI "
        "| seconds (A / B / C / D) | phase-D trace |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in log["runs"].items():
        p, ph = r["params"], r["phases"]
        trace = "; ".join(f"{e}: {a:.3f}/{n:.3f}" for e, a, n in r["trace"])
        lines.append(
            f"| {p['init']} ({name}) | {p.get('target', 'square')} | {p['batch_size']} | {p['clustering_lr']} | "
            f"{p['pretrain_max_epochs']}/{p['init_max_epochs']}/{p['max_epochs']} | "
            f"{r['init']['ACC']:.3f} / {r['init']['NMI']:.3f} | {r['ACC']:.3f} | {r['NMI']:.3f} | "
            f"{r['ARI']:.3f} | {r['seconds']} ({ph['pretrain']} / {ph['init_clustering']} / "
            f"{ph['init']} / {ph['self_training']}) | {trace} |")
    return "\n".join(lines) + "\n"


def write_rendered(log):
    name = log.get("section", "depict_fashion_study")
    with open(os.path.join(RESULTS_DIR, name + ".md"), "w") as fh:
        fh.write(render(log))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--device", default="cuda")
    p.add_argument("--variants", nargs="+", default=["spectral", "kmeans"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None)
    p.add_argument("--n-samples", type=int, default=None)
    p.add_argument("--section", default="depict_fashion_study",
                   help="name of the results/*.md file the section goes to")
    p.add_argument("--render", default=None, metavar="JSON",
                   help="only re-render the results section from a saved study JSON")
    args = p.parse_args(argv)
    if args.render:
        with open(args.render) as fh:
            write_rendered(json.load(fh))
        return
    torch.backends.cudnn.benchmark = True
    data = load_fashion_mnist(n_samples=args.n_samples, random_state=0)
    X, y = data.data.astype(np.float32), data.target
    dev = torch.device(args.device)
    Xt = torch.as_tensor(X / 127.5 - 1, device=dev)
    log = {"device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu",
           "machine": machine(args.device), "date": time.strftime("%Y-%m-%d"),
           "command": "python benchmarks/study_depict_fashion.py "
                      + " ".join(sys.argv[1:] if argv is None else argv),
           "n": len(X), "section": args.section, "step_ms": {}, "runs": {}}
    for bs in (256, 1024):
        log["step_ms"][bs] = step_cost(Xt, dev, bs)
        print(f"raw step, batch {bs}: {log['step_ms'][bs]:.2f} ms", flush=True)

    trace = []
    orig = _callbacks.TargetUpdate.on_epoch_end

    def traced(self, net, **kw):
        if len(net.history) % 5 == 0:
            lab = self.P.argmax(1).cpu().numpy()
            trace.append((len(net.history), *[round(scores(y, lab)[k], 3) for k in ("ACC", "NMI")]))
        return orig(self, net, **kw)

    _callbacks.TargetUpdate.on_epoch_end = traced
    for name in args.variants:
        trace.clear()
        params = dict(BASE, **VARIANTS[name])
        t = time.perf_counter()
        m = DEPICT(random_state=args.seed, device=args.device, **params).fit(X)
        secs = time.perf_counter() - t
        row = dict(params=params, seconds=round(secs, 1), **{k: round(v, 3) for k, v in scores(y, m.labels_).items()},
                   init=scores(y, m.init_labels_), phases={st: round(sum(r["dur"] for r in m.history_ if r["stage"] == st), 1) for st in m.stop_reasons_},
                   epochs=[sum(r["stage"] == st for r in m.history_) for st in ("pretrain", "init", "self_training")],
                   stopped=m.stop_reasons_, trace=list(trace))
        log["runs"][name] = row
        print(name, json.dumps(row, default=str), flush=True)
        if args.out:
            with open(args.out, "w") as fh:
                json.dump(log, fh, indent=1, default=str)
        write_rendered(json.loads(json.dumps(log, default=str)))


if __name__ == "__main__":
    main()
