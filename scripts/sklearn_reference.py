#!/usr/bin/env python3
"""scikit-learn reference numbers for imr's TF-IDF and sparse logistic regression.

Documents: the rationales of the sample letters in data/letters, as `imr parse --items` gives them.
Tokens: a fixed list per document (lower-cased [a-z0-9]+ runs), passed to TfidfVectorizer as a callable
analyzer, so the comparison is of the vectorizer alone. tests/fixtures/sklearn_tfidf.json holds, per option
set, the vocabulary, the IDF and every non-zero of the matrix; plus the coefficients of LogisticRegression
(lbfgs, L2) on the default matrix, y = Overturned; and scikit-learn's sigmoid (Platt) calibration of fixed
margins, which imr's outcome calibration must match. The Rust test `sklearn_reference` asserts equality.

Regenerate: python3 scripts/sklearn_reference.py   (needs `cargo build --release` and scikit-learn)

The same script is the scikit-learn side of `scripts/bench` (pip install -r scripts/requirements-bench.txt):
  sklearn_reference.py quality ITEMS OOF GOLD   outcome and theme quality on imr's own folds (OOF from
                                                `imr evaluate --oof`), ITEMS from `imr parse --items`
  sklearn_reference.py features ITEMS N         TF-IDF fit_transform of the rationales replicated N times
  sklearn_reference.py speed ITEMS N            5-fold grouped CV of the outcome pipeline on the rationales
                                                replicated N times: seconds and peak memory
The pipeline is the standard one: TfidfVectorizer with an nltk Snowball analyzer (word 1-2-grams, English stop
words) and LogisticRegression (lbfgs, class_weight="balanced", as imr); one-vs-rest for the themes. Each prints one JSON object.
"""
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.calibration import _sigmoid_calibration
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


def snowball_analyzer():
    """scikit-learn's word analyzer (lower case, English stop words, 1-2-grams) over Snowball stems."""
    from nltk.stem.snowball import SnowballStemmer
    stem = SnowballStemmer("english").stem
    base = TfidfVectorizer(stop_words="english")
    tokenize, stop = base.build_tokenizer(), base.get_stop_words()

    def analyze(text):
        words = [stem(w) for w in tokenize(text.lower()) if w not in stop]
        return words + [f"{a} {b}" for a, b in zip(words, words[1:])]
    return analyze


def outcome_pipeline():
    from sklearn.pipeline import make_pipeline
    return make_pipeline(TfidfVectorizer(analyzer=snowball_analyzer(), sublinear_tf=True, min_df=2),
                         LogisticRegression(class_weight="balanced", max_iter=1000))


def read_items(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def quality(items_path, oof_path, gold_path):
    """Outcome ROC-AUC / F1 and theme micro-F1 per imr fold, averaged over folds, as `imr evaluate` reports."""
    import numpy as np
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MultiLabelBinarizer

    items = {(i["case_number"], i["number"]): i for i in read_items(items_path)}
    gold = {(g["case_number"], g["item"]): g["themes"] for g in read_items(gold_path)}
    oof = read_items(oof_path)
    keys = sorted({(o["case_number"], o["item"]) for o in oof})
    index = {k: n for n, k in enumerate(keys)}
    text = [items[k]["rationale"] for k in keys]
    theme_text = [items[k]["title"] + "\n" + items[k]["rationale"] for k in keys]
    y = np.array([items[k]["decision"] == "Overturned" for k in keys])
    mlb = MultiLabelBinarizer().fit([gold.get(k, []) for k in keys])
    has_gold = np.array([k in gold for k in keys])
    Y = mlb.transform([gold.get(k, []) for k in keys])
    folds = {}
    for o in oof:
        folds.setdefault((o["repeat"], o["fold"]), []).append(index[(o["case_number"], o["item"])])
    rows = []
    for (rep, fold), test in sorted(folds.items()):
        test = np.array(sorted(test))
        train = np.setdiff1d(np.arange(len(keys)), test)
        m = outcome_pipeline().fit([text[i] for i in train], y[train])
        p = m.predict_proba([text[i] for i in test])[:, 1]
        row = {"roc_auc": roc_auc_score(y[test], p), "f1": f1_score(y[test], p >= 0.5, zero_division=0)}
        tr, te = train[has_gold[train]], test[has_gold[test]]
        if len(te):
            t = make_pipeline(TfidfVectorizer(analyzer=snowball_analyzer(), sublinear_tf=True, min_df=2),
                              OneVsRestClassifier(LogisticRegression(class_weight="balanced", max_iter=1000)))
            t.fit([theme_text[i] for i in tr], Y[tr])
            row["theme_micro_f1"] = f1_score(Y[te], t.predict([theme_text[i] for i in te]), average="micro",
                                             zero_division=0)
        rows.append(row)
    mean = {k: float(np.mean([r[k] for r in rows if k in r])) for k in rows[0]}
    print(json.dumps({"tool": "scikit-learn", "folds": len(rows), **mean}))


def features(items_path, times):
    """TfidfVectorizer fit_transform of the rationales replicated `times` times: seconds and peak memory."""
    import resource
    import time

    text = [i["rationale"] for i in read_items(items_path)] * times
    t0 = time.perf_counter()
    x = TfidfVectorizer(analyzer=snowball_analyzer(), sublinear_tf=True, min_df=2).fit_transform(text)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": "scikit-learn", "mode": "features", "docs": len(text),
                      "mb": sum(len(t.encode()) for t in text) / 1e6, "terms": x.shape[1], "nnz": int(x.nnz),
                      "seconds": seconds, "peak_rss_mb": peak}))


def speed(items_path, times):
    """5-fold grouped, stratified CV of the outcome pipeline on the rationales replicated `times` times."""
    import resource
    import time

    import numpy as np
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold

    items = read_items(items_path)
    text = [i["rationale"] for i in items] * times
    y = np.array([i["decision"] == "Overturned" for i in items] * times)
    groups = [f"{i['case_number']}#{r}" for r in range(times) for i in items]
    t0 = time.perf_counter()
    aucs = []
    for train, test in StratifiedGroupKFold(5, shuffle=True, random_state=42).split(text, y, groups):
        m = outcome_pipeline().fit([text[i] for i in train], y[train])
        aucs.append(roc_auc_score(y[test], m.predict_proba([text[i] for i in test])[:, 1]))
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": "scikit-learn", "mode": "cv", "docs": len(text),
                      "mb": sum(len(t.encode()) for t in text) / 1e6, "seconds": seconds,
                      "roc_auc": float(np.mean(aucs)), "peak_rss_mb": peak}))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "quality":
        return quality(*sys.argv[2:5])
    if len(sys.argv) > 1 and sys.argv[1] == "features":
        return features(sys.argv[2], int(sys.argv[3]))
    if len(sys.argv) > 1 and sys.argv[1] == "speed":
        return speed(sys.argv[2], int(sys.argv[3]))
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
    # Platt scaling (imr's outcome calibration) against scikit-learn's sigmoid calibration, on fixed margins
    # whose labels overlap: scikit-learn's P = 1 / (1 + exp(a f + b)), so imr's slope is -a and intercept -b.
    margins = [-3.0 + 0.1 * i for i in range(60)]
    labels = [(i * 37) % 60 < i for i in range(60)]
    a, b = _sigmoid_calibration(np.array(margins), np.array(labels, dtype=float))
    fixture["platt"] = {"margins": margins, "labels": labels, "slope": -float(a), "intercept": -float(b)}
    path = ROOT / "tests" / "fixtures" / "sklearn_tfidf.json"
    path.write_text(json.dumps(fixture) + "\n")
    print(f"wrote {path} ({len(docs)} documents)", file=sys.stderr)


if __name__ == "__main__":
    main()
