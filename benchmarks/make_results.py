"""Assemble benchmarks/RESULTS.md from the sections the benchmark scripts wrote
to benchmarks/results/*.md (each section names its machine, date and command).

    python benchmarks/make_results.py
"""

import glob
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["depict", "dsc", "ncd", "sdp", "sp2ot", "heldout", "dask", "gpu_checks", "small_defaults"]

HEADER = """# Benchmark results

Every figure below was measured by a script in `benchmarks/`; each section names
the machine, the date and the command that reproduces it. CPU figures come from
a 2-core development machine, GPU figures from one NVIDIA H100 (see
`benchmarks/gpu_suite.sh`, which runs all GPU benchmarks in one go). ACC is the
clustering accuracy under the Hungarian matching, NMI scikit-learn's normalised
mutual information (arithmetic mean), ARI the adjusted Rand index.

"""


def main():
    files = sorted(glob.glob(os.path.join(HERE, "results", "*.md")))

    def rank(path):
        name = os.path.basename(path)
        for i, prefix in enumerate(ORDER):
            if name.startswith(prefix):
                return (i, name)
        return (len(ORDER), name)

    parts = [HEADER]
    for path in sorted(files, key=rank):
        with open(path) as f:
            parts.append(f.read().rstrip() + "\n\n")
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write("".join(parts))
    print(f"RESULTS.md assembled from {len(files)} sections")


if __name__ == "__main__":
    main()
