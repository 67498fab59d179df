"""Helpers shared by the benchmark scripts: machine description, scores, tables."""

import datetime
import os
import platform
import subprocess
import sys
import time

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from skdeepcluster.metrics import clustering_accuracy  # noqa: E402

RESULTS_DIR = os.path.join(HERE, "results")


def machine(device="cpu"):
    """One line naming the machine a figure was measured on."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    desc = f"{os.cpu_count()} CPU cores ({cpu}), torch {torch.__version__}"
    if str(device).startswith("cuda") and torch.cuda.is_available():
        desc = f"GPU {torch.cuda.get_device_name(0)}; " + desc
    return desc


def git_revision(paths=("skdeepcluster",)):
    """``(short HEAD, dirty)`` of the repository, ``dirty`` telling whether files
    under ``paths`` (relative to the repository root) have uncommitted changes;
    ``("unknown", False)`` outside a git checkout."""
    root = os.path.dirname(HERE)
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=root,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return head, bool(dirty)


def scores(y, labels):
    return dict(ACC=clustering_accuracy(y, labels),
                NMI=normalized_mutual_info_score(y, labels),
                ARI=adjusted_rand_score(y, labels))


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def table(rows, columns):
    """Markdown table from a list of dicts."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"
        return str(v)

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |")
    return "\n".join(out)


def write_section(name, title, body, command, device="cpu"):
    """Write ``results/<name>.md`` with a header naming machine, date and command."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    text = (f"## {title}\n\n"
            f"- machine: {machine(device)}\n"
            f"- date: {datetime.date.today().isoformat()}\n"
            f"- command: `{command}`\n\n{body}\n")
    path = os.path.join(RESULTS_DIR, f"{name}.md")
    with open(path, "w") as f:
        f.write(text)
    print(text)
    return path


def summarise(rows, key="method", metrics=("ACC", "NMI", "ARI", "seconds")):
    """Median / min / max over seeds of each method's rows."""
    out = []
    for method in dict.fromkeys(r[key] for r in rows):
        sel = [r for r in rows if r[key] == method]
        row = {key: method, "runs": len(sel)}
        for m in metrics:
            vals = np.array([r[m] for r in sel], dtype=float)
            row[m] = float(np.median(vals))
            if m != "seconds" and len(vals) > 1:
                row[m + " (min-max)"] = f"{vals.min():.3f}-{vals.max():.3f}"
        out.append(row)
    return out


def behind_peer_summary(acc, methods, peer):
    """Rows ``| suite (n) | method | median ACC | peer median | median diff | > 1 pt
    behind |`` for the suites dev, validation and both, from ``acc = {table:
    (suite, {column: mean ACC})}``; a table counts as behind when the method's
    ACC is more than 0.01 below ``peer``'s."""
    out = []
    for role in ("dev", "validation", "both"):
        names = [n for n, (r, _) in acc.items() if role in ("both", r)]
        if not names:
            continue
        for c in methods:
            d = np.array([acc[n][1][c] - acc[n][1][peer] for n in names])
            behind = [f"{n} ({100 * v:+.1f})" for n, v in zip(names, d) if v < -0.01]
            out.append(
                f"| {role} ({len(names)}) | {c} | "
                f"{np.median([acc[n][1][c] for n in names]):.3f} | "
                f"{np.median([acc[n][1][peer] for n in names]):.3f} | "
                f"{100 * np.median(d):+.1f} | {len(behind)}: {', '.join(behind) or '-'} |")
    return out
