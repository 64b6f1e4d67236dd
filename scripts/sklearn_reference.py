#!/usr/bin/env python3
"""scikit-learn reference numbers for imr's TF-IDF and sparse logistic regression.

Documents: the rationales of the sample letters in data/letters, as `imr parse --items` gives them.
Tokens: a fixed list per document (lower-cased [a-z0-9]+ runs), passed to TfidfVectorizer as a callable
analyzer, so the comparison is of the vectorizer alone. tests/fixtures/sklearn_tfidf.json holds, per option
set, the vocabulary, the IDF and every non-zero of the matrix; plus the coefficients of LogisticRegression
(lbfgs, L2) on the default matrix, y = Overturned. The Rust test `sklearn_reference` asserts equality.

Regenerate: python3 scripts/sklearn_reference.py   (needs `cargo build --release` and scikit-learn)
"""
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
OPTION_SETS = {
    "default": {},
    "sublinear_no_smooth": {"sublinear_tf": True, "smooth_idf": False},
    "min_df2_max_df07": {"min_df": 2, "max_df": 0.7},
    # max_features is set below to a cut with no tie in term frequency: numpy's argsort breaks ties in no
    # specified order, so a tied cut is not a fact to test against.
    "norm_none_max_features": {"norm": None},
}


def tokens(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def main():
    imr = ROOT / "target" / "release" / "imr"
    out = subprocess.run([str(imr), "parse", "--items", str(ROOT / "data" / "letters")],
                         check=True, capture_output=True, text=True).stdout
    items = [json.loads(line) for line in out.splitlines() if line.strip()]
    docs = [tokens(i["rationale"]) for i in items]
    y = [1 if i["decision"] == "Overturned" else 0 for i in items]
    fixture = {"documents": len(docs), "option_sets": {}}
    tf = sorted(Counter(t for d in docs for t in d).values(), reverse=True)
    OPTION_SETS["norm_none_max_features"]["max_features"] = max(k for k in range(1, 60) if tf[k - 1] > tf[k])
    for name, opts in OPTION_SETS.items():
        v = TfidfVectorizer(analyzer=lambda d: d, **opts)
        x = v.fit_transform(docs).tocoo()
        vocab = sorted(v.vocabulary_, key=v.vocabulary_.get)
        fixture["option_sets"][name] = {
            "options": {k: (None if val is None else val) for k, val in opts.items()},
            "vocabulary": vocab,
            "idf": v.idf_.tolist(),
            "entries": sorted([int(r), int(c), float(val)] for r, c, val in zip(x.row, x.col, x.data)),
        }
        if name == "default":
            lr = LogisticRegression(C=10.0, tol=1e-12, max_iter=100000).fit(x.tocsr(), y)
            fixture["logistic"] = {"C": 10.0, "y": y, "coefficients": lr.coef_[0].tolist(),
                                   "intercept": float(lr.intercept_[0])}
    path = ROOT / "tests" / "fixtures" / "sklearn_tfidf.json"
    path.write_text(json.dumps(fixture) + "\n")
    print(f"wrote {path} ({len(docs)} documents)", file=sys.stderr)


if __name__ == "__main__":
    main()
