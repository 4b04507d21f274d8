"""Grokking on modular arithmetic: a small transformer learns (a op b) mod p.

Run as ``python experiment.py --out_dir=run_1 [--config=cfg.json] [--seed=N]``. Writes
``<out_dir>/final_info.json`` (``{dataset: {"means": {...}, "stderrs": {...}}}``), the knob
values it used in ``<out_dir>/config.json``, per-run notes (wall time, device, versions) in
``<out_dir>/notes.json`` and learning curves in ``<out_dir>/curves.json``. Exits with status 2
and a message on stderr when the configuration is invalid.
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
    if config["d_model"] % config["n_heads"]:
        raise ConfigError(f"d_model={config['d_model']} must be divisible by n_heads={config['n_heads']}")
    n_train = round(config["train_fraction"] * config["p"] ** 2)
    if n_train < 1 or n_train >= config["p"] ** 2:
        raise ConfigError("train_fraction leaves an empty train or validation set; raise p or change it")
    if config["device"] == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device=cuda but no CUDA GPU is available; use device=auto")


def write_json(path, data):
    """Write JSON atomically: a reader never sees a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False))
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- data and model
OPS = {"add": ("x_plus_y", lambda a, b, p: (a + b) % p),
       "sub": ("x_minus_y", lambda a, b, p: (a - b) % p),
       "mul": ("x_times_y", lambda a, b, p: (a * b) % p)}


def make_data(p, operation, train_fraction, generator):
    """All p*p equations ``a b =`` with their answers, split at random into train and val."""
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    a, b = a.reshape(-1), b.reshape(-1)
    x = torch.stack([a, b, torch.full_like(a, p)], dim=1)  # token p is "="
    y = OPS[operation][1](a, b, p)
    perm = torch.randperm(len(y), generator=generator)
    n_train = round(train_fraction * len(y))
    tr, va = perm[:n_train], perm[n_train:]
    return (x[tr], y[tr]), (x[va], y[va])


class Transformer(nn.Module):
    """Pre-norm transformer encoder reading the answer off the ``=`` position."""

    def __init__(self, vocab, n_out, d_model, n_layers, n_heads, dropout):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(3, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, 4 * d_model, dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_out)

    def forward(self, x):
        h = self.blocks(self.embed(x) + self.pos)
        return self.head(self.norm(h[:, -1]))


@torch.no_grad()
def evaluate(model, x, y, batch=8192):
    model.eval()
    loss, correct = 0.0, 0
    for i in range(0, len(y), batch):
        logits = model(x[i:i + batch])
        loss += nn.functional.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
        correct += (logits.argmax(-1) == y[i:i + batch]).sum().item()
    model.train()
    return loss / len(y), correct / len(y)


def train_one_seed(config, seed, device):
    """Train one model; return its final metrics and learning curves."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    gen = torch.Generator().manual_seed(seed)
    p = config["p"]
    (xt, yt), (xv, yv) = make_data(p, config["operation"], config["train_fraction"], gen)
    xt, yt, xv, yv = (t.to(device) for t in (xt, yt, xv, yv))
    model = Transformer(p + 1, p, config["d_model"], config["n_layers"], config["n_heads"],
                        config["dropout"]).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"],
                            betas=(0.9, config["beta2"]))
    warm = config["warmup_steps"]
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) if warm else 1.0)
    bs = config["batch_size"] if 0 < config["batch_size"] < len(yt) else len(yt)
    thr = config["generalise_threshold"]
    curves = {"step": [], "train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
    step_fit = step_gen = None
    last = None
    for step in range(1, config["steps"] + 1):
        if bs < len(yt):
            idx = torch.randint(len(yt), (bs,), generator=gen).to(device)
            xb, yb = xt[idx], yt[idx]
        else:
            xb, yb = xt, yt
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if not math.isfinite(loss.item()):
            raise FloatingPointError(f"training loss diverged at step {step} (lower lr?)")
        if step % config["eval_every"] == 0 or step == config["steps"]:
            tl, ta = evaluate(model, xt, yt)
            vl, vacc = evaluate(model, xv, yv)
            for key, val in zip(curves, (step, tl, ta, vl, vacc)):
                curves[key].append(val)
            last = (tl, ta, vl, vacc, step)
            if step_fit is None and ta >= thr:
                step_fit = step
            if step_gen is None and vacc >= thr:
                step_gen = step
                if config["stop_when_generalised"]:
                    break
    tl, ta, vl, vacc, final_step = last
    metrics = {
        "final_train_loss": tl, "final_train_acc": ta, "final_val_loss": vl, "final_val_acc": vacc,
        # Censored at the last step when the threshold was never reached; see "generalised".
        "steps_to_fit": float(step_fit if step_fit is not None else final_step),
        "steps_to_generalise": float(step_gen if step_gen is not None else final_step),
        "generalised": 1.0 if step_gen is not None else 0.0,
        "n_params": float(sum(t.numel() for t in model.parameters())),
    }
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
    dataset = f"{OPS[config['operation']][0]}_mod_{config['p']}"
    runs = [train_one_seed(config, config["seed"] + i, device) for i in range(config["n_seeds"])]
    n = len(runs)
    means = {k: float(np.mean([m[k] for m, _ in runs])) for k in runs[0][0]}
    stderrs = {k: float(np.std([m[k] for m, _ in runs]) / math.sqrt(n)) for k in runs[0][0]}
    write_json(out / "curves.json", {dataset: [c for _, c in runs]})
    write_json(out / "notes.json", {
        "wall_time_s": round(time.perf_counter() - start, 3), "device": str(device),
        "seeds": [config["seed"] + i for i in range(n)], "torch": torch.__version__,
        "python": platform.python_version(), "argv": sys.argv,
    })
    # final_info.json last: its presence marks a finished run.
    write_json(out / "final_info.json", {dataset: {"means": means, "stderrs": stderrs,
                                                   "final_info_dict": {k: [m[k] for m, _ in runs] for k in means}}})
    print(json.dumps({dataset: means}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
