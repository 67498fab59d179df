"""Rebuild (or check) the shipped copy of UCI Letter Recognition.

``skdeepcluster/datasets/data/letter_recognition.csv.gz`` is made once from
``LetterRecognition.rda`` of R's mlbench (Debian package ``r-cran-mlbench``,
which holds the UCI table unchanged: same 20,000 rows in the same order). The
package reads the shipped file; neither R, mlbench nor ``rdata`` is needed to
use it. This script keeps the conversion reproducible and checks the result.

Get the .rda without installing anything system-wide::

    cd /tmp && apt-get download r-cran-mlbench && dpkg -x r-cran-mlbench_*.deb mlbench
    pip install rdata
    python benchmarks/make_letter_recognition_data.py \\
        --rda /tmp/mlbench/usr/lib/R/site-library/mlbench/data/LetterRecognition.rda

``--check`` only compares the shipped file with the .rda (exit status 1 if they
differ). The output is byte-for-byte reproducible (gzip without a timestamp).
"""

import argparse
import gzip
import hashlib
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "skdeepcluster" / "datasets" / "data" / "letter_recognition.csv.gz"


def read_rda(path):
    import rdata

    frame = rdata.read_rda(str(path))["LetterRecognition"]
    letters = np.asarray(frame["lettr"].astype(str))
    values = frame.drop(columns=["lettr"]).to_numpy(dtype=np.float64)
    ints = values.astype(np.int64)
    if not np.array_equal(ints, values):
        raise ValueError("LetterRecognition.rda holds non-integer features")
    return letters, ints, [str(c) for c in frame.columns[1:]]


def to_csv_gz(letters, ints, names):
    text = io.StringIO()
    text.write(",".join(["lettr", *names]) + "\n")
    for letter, row in zip(letters, ints):
        text.write(letter + "," + ",".join(map(str, row)) + "\n")
    buf = io.BytesIO()
    # mtime=0 and no file name: the same table always gives the same bytes
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9,
                       mtime=0) as f:
        f.write(text.getvalue().encode("ascii"))
    return buf.getvalue()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rda", required=True, help="path to mlbench's LetterRecognition.rda")
    p.add_argument("--check", action="store_true",
                   help="compare the shipped file with the .rda, write nothing")
    args = p.parse_args(argv)

    letters, ints, names = read_rda(args.rda)
    blob = to_csv_gz(letters, ints, names)
    if not args.check:
        OUT.write_bytes(blob)
        print(f"wrote {OUT.relative_to(ROOT)} ({len(blob):,} bytes)")

    # read the shipped file back through the package's loader
    sys.path.insert(0, str(ROOT))
    from skdeepcluster.datasets import load_letter_recognition

    shipped = load_letter_recognition()
    same = (np.array_equal(shipped.target, letters)
            and np.array_equal(shipped.data, ints.astype(np.float64))
            and shipped.feature_names == names
            and OUT.read_bytes() == blob)
    print(f"{len(letters)} rows x {ints.shape[1]} features, "
          f"{len(np.unique(letters))} letters; sha256 "
          f"{hashlib.sha256(OUT.read_bytes()).hexdigest()}")
    print("shipped table equals the .rda" if same else "MISMATCH with the .rda")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
