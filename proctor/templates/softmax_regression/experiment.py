"""Softmax regression trained by minibatch SGD in numpy, on three datasets bundled with scikit-learn.

An AI-Scientist-style template: no knobs.json, so ideas are code edits. Run as
``python experiment.py --out_dir=run_1``; writes ``<out_dir>/final_info.json``
(``{dataset: {"means": {...}, "stderrs": {...}}}``) and ``<out_dir>/curves.json``.
Everything runs in a few seconds on one CPU core; nothing is downloaded.
"""

import argparse
import json
import os

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split

# Hyperparameters: change these (or the code below) to test an idea.
LEARNING_RATE = 0.1
MOMENTUM = 0.0
WEIGHT_DECAY = 0.0001
BATCH_SIZE = 32
EPOCHS = 30
LR_DECAY = 1.0
INIT_SCALE = 0.01
TEST_FRACTION = 0.3
N_SEEDS = 3
DATASETS = {"digits": load_digits, "breast_cancer": load_breast_cancer, "wine": load_wine}


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def log_loss(probs, y):
    return float(-np.mean(np.log(probs[np.arange(len(y)), y] + 1e-12)))


def train_one(x_train, y_train, x_test, y_test, seed):
    rng = np.random.default_rng(seed)
    n_classes = int(y_train.max()) + 1
    w = rng.normal(0.0, INIT_SCALE, size=(x_train.shape[1], n_classes))
    b = np.zeros(n_classes)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    lr = LEARNING_RATE
    curve = []
    for _epoch in range(EPOCHS):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), BATCH_SIZE):
            idx = order[start:start + BATCH_SIZE]
            xb, yb = x_train[idx], y_train[idx]
            probs = softmax(xb @ w + b)
            probs[np.arange(len(yb)), yb] -= 1.0
            gw = xb.T @ probs / len(yb) + WEIGHT_DECAY * w
            gb = probs.mean(axis=0)
            vw = MOMENTUM * vw + gw
            vb = MOMENTUM * vb + gb
            w -= lr * vw
            b -= lr * vb
        lr *= LR_DECAY
        curve.append(log_loss(softmax(x_train @ w + b), y_train))
    train_probs, test_probs = softmax(x_train @ w + b), softmax(x_test @ w + b)
    return {
        "train_acc": float((train_probs.argmax(1) == y_train).mean()),
        "test_acc": float((test_probs.argmax(1) == y_test).mean()),
        "test_log_loss": log_loss(test_probs, y_test),
    }, curve


def run_dataset(name, loader):
    x, y = loader(return_X_y=True)
    results, curves = [], []
    for seed in range(N_SEEDS):
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=TEST_FRACTION, random_state=seed, stratify=y)
        mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-8
        metrics, curve = train_one((x_train - mean) / std, y_train, (x_test - mean) / std, y_test, seed)
        results.append(metrics)
        curves.append(curve)
    keys = results[0].keys()
    means = {k: float(np.mean([r[k] for r in results])) for k in keys}
    stderrs = {k: float(np.std([r[k] for r in results]) / np.sqrt(len(results))) for k in keys}
    return {"means": means, "stderrs": stderrs}, curves


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out_dir", type=str, default="run_0")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    final_info, all_curves = {}, {}
    for name, loader in DATASETS.items():
        final_info[name], all_curves[name] = run_dataset(name, loader)
    with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
        json.dump(final_info, f, indent=2)
    with open(os.path.join(args.out_dir, "curves.json"), "w") as f:
        json.dump(all_curves, f)


if __name__ == "__main__":
    main()
