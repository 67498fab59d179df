"""DEPICT with its defaults on Fashion-MNIST: where do they land against the best
point of a label-based trace?

Fits ``DEPICT(n_clusters=10, device=...)`` (nothing else set; the images are
passed as an ``(n, 28, 28)`` array) on all 70,000 images or a subset, and
records, with the labels read for this report only:

* the ACC/NMI of the phase-B initial clustering and of the head at the start of
  self-training (after phase C),
* the ACC/NMI after every self-training epoch,
* the final ACC/NMI/ARI, the epochs and seconds of each phase and why each
  phase stopped.

The best ACC anywhere on that trace is what caps chosen by looking at labels
could at most have kept from this run; the defaults should land within 0.02 of
it. ``--reference`` adds a second fit with hand-set settings (the tuned H100
run's: batch 1024, clustering_lr 1e-4, caps 20/6/10 epochs).

Usage::

    python benchmarks/study_depict_defaults.py --device cpu --n-samples 10000
    python benchmarks/study_depict_defaults.py --device cuda --reference   # 70k, GPU
"""

import argparse
import json
import os
import sys
import time

import numpy as np
from _common import RESULTS_DIR, machine, scores

from skdeepcluster import DEPICT
from skdeepcluster.datasets import load_fashion_mnist
from skdeepcluster.depict import _callbacks

TUNED = dict(batch_size=1024, clustering_lr=1e-4, pretrain_max_epochs=20,
             init_max_epochs=6, max_epochs=10)


def traced_fit(X, y, params):
    """Fit DEPICT and return its label-based trace (report only)."""
    trace = []
    orig_begin = _callbacks.TargetUpdate.on_train_begin
    orig_end = _callbacks.TargetUpdate.on_epoch_end

    def score(P):
        s = scores(y, P.argmax(1).cpu().numpy())
        return round(s["ACC"], 4), round(s["NMI"], 4)

    def begin(self, net, **kw):
        trace.append((0, *score(self.P)))
        return orig_begin(self, net, **kw)

    def end(self, net, **kw):
        trace.append((len(net.history), *score(self.P)))
        return orig_end(self, net, **kw)

    _callbacks.TargetUpdate.on_train_begin = begin
    _callbacks.TargetUpdate.on_epoch_end = end
    try:
        t = time.perf_counter()
        m = DEPICT(**params).fit(X)
        seconds = time.perf_counter() - t
    finally:
        _callbacks.TargetUpdate.on_train_begin = orig_begin
        _callbacks.TargetUpdate.on_epoch_end = orig_end
    stages = ("pretrain", "init", "self_training")
    final = scores(y, m.labels_)
    init = scores(y, m.init_labels_)
    best = max([init["ACC"]] + [a for _, a, _ in trace])
    return dict(
        params={k: v for k, v in params.items() if k not in ("device",)},
        seconds=round(seconds, 1),
        final={k: round(v, 4) for k, v in final.items()},
        init={k: round(v, 4) for k, v in init.items()},
        trace=trace, best_acc=round(best, 4),
        epochs={st: sum(r["stage"] == st for r in m.history_) for st in stages},
        phase_seconds={st: round(sum(r.get("dur", 0.0) for r in m.history_
                                     if r["stage"] == st), 1) for st in stages},
        stopped=m.stop_reasons_,
        chosen=getattr(m, "final_partition_", "self_training"),
    )


def render(log):
    lines = [
        f"## DEPICT's defaults on Fashion-MNIST ({log['where']}, n={log['n']})", "",
        f"- machine: {log['machine']}",
        f"- date: {log['date']}",
        f"- command: `{log['command']}`", "",
        "`DEPICT(n_clusters=10, device=...)` with nothing else set, seed "
        f"{log['seed']}; the images go in as an (n, 28, 28) array. Labels are read "
        "for this report only: 'start of D' is the head's partition when "
        "self-training starts (after phase C), 'best on trace' the highest ACC of "
        "the initial clustering, the start of D and every self-training epoch, i.e. "
        "the most that epoch caps chosen by looking at labels could keep from this "
        "run. 'final choice' is the partition DEPICT's label-free last step kept.", "",
        "| run | init ACC / NMI | start of D ACC | final ACC | NMI | ARI | best on trace | "
        "final - best | epochs A/C/D | stopped | final choice | seconds (A / C / D) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in log["runs"].items():
        e, ps = r["epochs"], r["phase_seconds"]
        lines.append(
            f"| {name} | {r['init']['ACC']:.3f} / {r['init']['NMI']:.3f} | "
            f"{r['trace'][0][1]:.3f} | {r['final']['ACC']:.3f} | {r['final']['NMI']:.3f} | "
            f"{r['final']['ARI']:.3f} | {r['best_acc']:.3f} | "
            f"{r['final']['ACC'] - r['best_acc']:+.3f} | "
            f"{e['pretrain']}/{e['init']}/{e['self_training']} | "
            f"{', '.join(f'{k}: {v}' for k, v in r['stopped'].items())} | {r['chosen']} | "
            f"{r['seconds']} ({ps['pretrain']} / {ps['init']} / {ps['self_training']}) |")
    lines += ["", "Self-training trace (epoch: ACC/NMI):", ""]
    for name, r in log["runs"].items():
        lines.append(f"- {name}: " + "; ".join(f"{e}: {a:.3f}/{n:.3f}" for e, a, n in r["trace"]))
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--n-samples", type=int, default=None,
                   help="a random subset of this many images (default: all 70,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reference", action="store_true",
                   help="also fit the tuned H100 settings (batch 1024, clustering_lr 1e-4, "
                        "caps 20/6/10)")
    p.add_argument("--section", default=None,
                   help="results/<name>.md (default depict_defaults_fashion_cpu or _gpu)")
    p.add_argument("--data-home", default=None)
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads of torch and of the BLAS/OpenMP pools (0: defaults)")
    p.add_argument("--render", default=None, metavar="JSON",
                   help="only re-render the section from a saved JSON")
    args = p.parse_args(argv)
    if args.render:
        with open(args.render) as fh:
            log = json.load(fh)
    else:
        import torch

        if args.threads:
            from threadpoolctl import threadpool_limits

            torch.set_num_threads(args.threads)
            threadpool_limits(args.threads)
        torch.backends.cudnn.benchmark = True
        data = load_fashion_mnist(n_samples=args.n_samples, random_state=0,
                                  data_home=args.data_home)
        X, y = data.data.astype(np.float32).reshape(-1, 28, 28), data.target
        where = "GPU" if args.device.startswith("cuda") else "CPU"
        section = args.section or f"depict_defaults_fashion_{where.lower()}"
        log = {"where": where, "n": len(X), "seed": args.seed, "section": section,
               "machine": machine(args.device), "date": time.strftime("%Y-%m-%d"),
               "command": "python benchmarks/study_depict_defaults.py "
                          + " ".join(sys.argv[1:] if argv is None else argv),
               "runs": {}}
        runs = {"defaults": {}}
        if args.reference:
            runs["tuned (batch 1024, clustering_lr 1e-4, caps 20/6/10)"] = TUNED
        for name, extra in runs.items():
            params = dict(n_clusters=10, device=args.device, random_state=args.seed, **extra)
            log["runs"][name] = traced_fit(X, y, params)
            print(name, json.dumps(log["runs"][name]), flush=True)
            with open(os.path.join(RESULTS_DIR, section + ".json"), "w") as fh:
                json.dump(log, fh, indent=1)
    with open(os.path.join(RESULTS_DIR, log["section"] + ".md"), "w") as fh:
        fh.write(render(log))
    print(render(log))


if __name__ == "__main__":
    main()
