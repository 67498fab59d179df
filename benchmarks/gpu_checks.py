"""GPU smoke checks: every estimator fits on CUDA, and the pickled model loads and
predicts in a process that sees no GPU (CUDA_VISIBLE_DEVICES="").

Usage (on a machine with a GPU)::

    python benchmarks/gpu_checks.py --out gpu_checks.md
"""

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.datasets import make_blobs

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import skdeepcluster  # noqa: E402

LOADER = """
import pickle, sys, numpy as np, torch, warnings
warnings.simplefilter("ignore")
assert not torch.cuda.is_available(), "the loader must not see a GPU"
model = pickle.load(open(sys.argv[1], "rb"))
X = np.load(sys.argv[2])
pred = model.predict(X) if hasattr(model, "predict") else model.labels_
np.save(sys.argv[3], pred)
"""


def candidates():
    est = {
        "DEPICT": lambda: skdeepcluster.DEPICT(
            n_clusters=3, device="cuda", random_state=0, pretrain_max_epochs=20,
            max_epochs=20),
    }
    for name, factory in [
        ("DSC", lambda: skdeepcluster.DSC(n_clusters=3, device="cuda", random_state=0)),
        ("PBN", lambda: skdeepcluster.PBN(n_clusters=3, device="cuda", random_state=0,
                                          max_epochs=20)),
        ("SDPKMeans", lambda: skdeepcluster.SDPKMeans(n_clusters=3, device="cuda",
                                                      random_state=0)),
        ("ILASDP", lambda: skdeepcluster.ILASDP(n_clusters=3, device="cuda",
                                                random_state=0)),
    ]:
        if hasattr(skdeepcluster, name):
            est[name] = factory
    return est


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=None)
    args = p.parse_args()
    import torch

    assert torch.cuda.is_available(), "run this on a machine with a GPU"
    X, _ = make_blobs(300, centers=3, n_features=8, random_state=0)
    lines = ["| estimator | fit on cuda (s) | device used | CPU-only reload predicts the same |",
             "|---|---|---|---|"]
    tmp = tempfile.mkdtemp()
    np.save(os.path.join(tmp, "X.npy"), X)
    ok_all = True
    for name, factory in candidates().items():
        try:
            t = time.perf_counter()
            model = factory().fit(X)
            sec = time.perf_counter() - t
            dev = getattr(getattr(model, "net_", None), "device", None) or getattr(
                model, "device_", "cuda")
            pred = model.predict(X) if hasattr(model, "predict") else model.labels_
            path = os.path.join(tmp, f"{name}.pkl")
            with open(path, "wb") as f:
                pickle.dump(model, f)
            out = os.path.join(tmp, f"{name}_pred.npy")
            env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
            subprocess.run([sys.executable, "-c", LOADER, path,
                            os.path.join(tmp, "X.npy"), out], check=True, env=env)
            same = bool(np.array_equal(np.load(out), pred))
            ok_all &= same
            lines.append(f"| {name} | {sec:.2f} | {dev} | {same} |")
        except Exception as exc:  # report and go on with the others
            ok_all = False
            lines.append(f"| {name} | failed: {type(exc).__name__}: {exc} | | |")
        print(lines[-1], flush=True)
    text = "\n".join(lines)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)
    sys.exit(0 if ok_all else 1)


if __name__ == "__main__":
    main()
