"""Calibrated MLP classification on scikit-learn's bundled tabular datasets.

Trains a torch MLP on ``load_digits``, ``load_breast_cancer`` and ``load_wine`` (shipped inside
scikit-learn: nothing is downloaded) and measures accuracy, log-loss and expected calibration
error. Run as ``python experiment.py --out_dir=run_1 [--config=cfg.json] [--seed=N]``. Writes
``<out_dir>/final_info.json`` (``{dataset: {"means": {...}, "stderrs": {...}}}``), the knob
values it used in ``<out_dir>/config.json``, per-run notes (wall time, device, versions) in
``<out_dir>/notes.json`` and per-epoch curves plus reliability bins in ``<out_dir>/curves.json``.
Exits with status 2 and a message on stderr when the configuration is invalid.
"""

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# cuBLAS needs this before CUDA initialises to give deterministic matmuls.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from torch import nn  # noqa: E402


class ConfigError(ValueError):
    """A knob value that the experiment cannot run with."""


# ----------------------------------------------------------------------------- configuration
def load_config(config_path, seed):
    """Defaults from knobs.json, overridden by the --config JSON, then by --seed."""
    knobs = {k["name"]: k for k in json.loads((HERE / "knobs.json").read_text())}
    config = {name: knob["default"] for name, knob in knobs.items()}
    if config_path:
        try:
            given = json.loads(Path(config_path).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read config {config_path}: {exc}") from exc
        if not isinstance(given, dict):
            raise ConfigError(f"{config_path} must hold a JSON object of knob values")
        unknown = sorted(set(given) - set(knobs))
        if unknown:
            raise ConfigError(f"unknown knob(s) {unknown}; known: {sorted(knobs)}")
        config.update(given)
    if seed is not None:
        config["seed"] = seed
    errors = [msg for name, knob in knobs.items() if (msg := check_knob(knob, config[name]))]
    if errors:
        raise ConfigError("; ".join(errors))
    for name, knob in knobs.items():
        if knob["type"] == "float":
            config[name] = float(config[name])
    return config


def check_knob(knob, value):
    """An error message for one knob value, or None when it is valid."""
    name, kind = knob["name"], knob["type"]
    if kind == "bool":
        return None if isinstance(value, bool) else f"{name} must be true or false, got {value!r}"
    if kind == "choice":
        return None if value in knob["choices"] else f"{name} must be one of {knob['choices']}, got {value!r}"
    numeric = (int,) if kind == "int" else (int, float)
    if isinstance(value, bool) or not isinstance(value, numeric):
        return f"{name} must be {'an integer' if kind == 'int' else 'a number'}, got {value!r}"
    if not math.isfinite(value):
        return f"{name} must be finite, got {value!r}"
    if knob.get("min") is not None and value < knob["min"]:
        return f"{name}={value} is below the minimum {knob['min']}"
    if knob.get("max") is not None and value > knob["max"]:
        return f"{name}={value} is above the maximum {knob['max']}"
    return None


def check_combination(config):
    """Constraints between knobs that knobs.json cannot express."""
    if config["val_fraction"] + config["test_fraction"] > 0.6:
        raise ConfigError("val_fraction + test_fraction must leave at least 40% of the data for training")
    if config["device"] == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device=cuda but no CUDA GPU is available; use device=auto")


def write_json(path, data):
    """Write JSON atomically: a reader never sees a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False))
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- data and model
LOADERS = {"digits": load_digits, "breast_cancer": load_breast_cancer, "wine": load_wine}
ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU}


def split_dataset(name, config, seed):
    """Stratified train/val/test split, standardised with the training statistics."""
    x, y = LOADERS[name](return_X_y=True)
    x = x.astype(np.float32)
    n_hold = config["val_fraction"] + config["test_fraction"]
    xtr, xho, ytr, yho = train_test_split(x, y, test_size=n_hold, stratify=y, random_state=seed)
    xva, xte, yva, yte = train_test_split(xho, yho, test_size=config["test_fraction"] / n_hold,
                                          stratify=yho, random_state=seed)
    mu, sd = xtr.mean(0), xtr.std(0)
    sd = np.where(sd < 1e-6, 1.0, sd).astype(np.float32)  # digits has constant pixels
    return [(torch.from_numpy((a - mu) / sd), torch.from_numpy(b).long())
            for a, b in ((xtr, ytr), (xva, yva), (xte, yte))]


def build_mlp(n_in, n_out, config):
    layers, width = [], n_in
    for _ in range(config["depth"]):
        layers.append(nn.Linear(width, config["hidden_size"]))
        if config["batch_norm"]:
            layers.append(nn.BatchNorm1d(config["hidden_size"]))
        layers += [ACTIVATIONS[config["activation"]](), nn.Dropout(config["dropout"])]
        width = config["hidden_size"]
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def make_optimizer(params, config):
    lr, wd = config["lr"], config["weight_decay"]
    if config["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    if config["optimizer"] == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    return torch.optim.AdamW(params, lr=lr, weight_decay=wd)


@torch.no_grad()
def predict_logits(model, x):
    model.eval()
    out = model(x)
    model.train()
    return out


def fit_temperature(logits, y):
    """The softmax temperature minimising validation NLL (1-D LBFGS on log T)."""
    log_t = torch.zeros(1, requires_grad=True, device=logits.device)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def closure():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(logits / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    t = float(log_t.exp().item())
    return t if math.isfinite(t) and t > 0 else 1.0


def calibration(probs, y, n_bins):
    """Expected calibration error and reliability-diagram bins over equal-width confidence bins."""
    conf, pred = probs.max(1)
    correct = (pred == y).float()
    edges = torch.linspace(0, 1, n_bins + 1, device=probs.device)
    ece, bins = 0.0, []
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (conf > lo) & (conf <= hi)
        n = int(mask.sum().item())
        if n:
            acc, avg_conf = correct[mask].mean().item(), conf[mask].mean().item()
            ece += n / len(y) * abs(acc - avg_conf)
            bins.append({"lo": lo.item(), "hi": hi.item(), "n": n, "acc": acc, "conf": avg_conf})
    return ece, bins


def run_dataset(name, config, seed, device):
    """Train and evaluate one MLP on one dataset; return metrics and curves."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    gen = torch.Generator().manual_seed(seed)
    (xtr, ytr), (xva, yva), (xte, yte) = [(a.to(device), b.to(device)) for a, b in split_dataset(name, config, seed)]
    n_classes = int(max(ytr.max(), yva.max(), yte.max()).item()) + 1
    model = build_mlp(xtr.shape[1], n_classes, config).to(device)
    opt = make_optimizer(model.parameters(), config)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config["epochs"])
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config["label_smoothing"])
    curves = {"epoch": [], "train_loss": [], "val_loss": [], "val_acc": []}
    bs = min(config["batch_size"], len(ytr))
    for epoch in range(1, config["epochs"] + 1):
        perm = torch.randperm(len(ytr), generator=gen).to(device)
        total = 0.0
        for i in range(0, len(ytr), bs):
            idx = perm[i:i + bs]
            if len(idx) < 2 and config["batch_norm"]:
                continue  # BatchNorm cannot normalise a batch of one
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if not math.isfinite(total):
            raise FloatingPointError(f"{name}: training loss diverged in epoch {epoch} (lower lr?)")
        val_logits = predict_logits(model, xva)
        curves["epoch"].append(epoch)
        curves["train_loss"].append(total / len(ytr))
        curves["val_loss"].append(nn.functional.cross_entropy(val_logits, yva).item())
        curves["val_acc"].append((val_logits.argmax(1) == yva).float().mean().item())
    temperature = 1.0
    if config["temperature_scaling"]:
        temperature = fit_temperature(predict_logits(model, xva), yva)
    test_logits = predict_logits(model, xte) / temperature
    probs = test_logits.softmax(1)
    ece, bins = calibration(probs, yte, config["ece_bins"])
    metrics = {
        "train_acc": (predict_logits(model, xtr).argmax(1) == ytr).float().mean().item(),
        "val_acc": curves["val_acc"][-1],
        "test_acc": (probs.argmax(1) == yte).float().mean().item(),
        "test_log_loss": nn.functional.cross_entropy(test_logits, yte).item(),
        "test_ece": ece,
        "temperature": temperature,
    }
    curves["reliability"] = bins
    return metrics, curves


# ----------------------------------------------------------------------------- entry point
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out_dir", type=str, default="run_0")
    parser.add_argument("--config", type=str, default=None, help="JSON file of knob values")
    parser.add_argument("--seed", type=int, default=None, help="overrides the seed knob")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, args.seed)
        check_combination(config)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "config.json", config)
    device = torch.device("cuda" if config["device"] != "cpu" and torch.cuda.is_available() else "cpu")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_num_threads(config["num_threads"])
    start = time.perf_counter()
    names = list(LOADERS) if config["datasets"] == "all" else [config["datasets"]]
    seeds = [config["seed"] + i for i in range(config["n_seeds"])]
    final_info, all_curves, timings = {}, {}, {}
    for name in names:
        t0 = time.perf_counter()
        runs = [run_dataset(name, config, s, device) for s in seeds]
        timings[name] = round(time.perf_counter() - t0, 3)
        keys = list(runs[0][0])
        final_info[name] = {
            "means": {k: float(np.mean([m[k] for m, _ in runs])) for k in keys},
            "stderrs": {k: float(np.std([m[k] for m, _ in runs]) / math.sqrt(len(runs))) for k in keys},
            "final_info_dict": {k: [m[k] for m, _ in runs] for k in keys},
        }
        all_curves[name] = [c for _, c in runs]
    write_json(out / "curves.json", all_curves)
    write_json(out / "notes.json", {
        "wall_time_s": round(time.perf_counter() - start, 3), "dataset_wall_time_s": timings,
        "device": str(device), "seeds": seeds, "torch": torch.__version__,
        "python": platform.python_version(), "argv": sys.argv,
    })
    # final_info.json last: its presence marks a finished run.
    write_json(out / "final_info.json", final_info)
    print(json.dumps({k: v["means"] for k, v in final_info.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
