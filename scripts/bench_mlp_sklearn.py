#!/usr/bin/env python3
"""Time per epoch of scikit-learn's MLPClassifier on a CSV data set (default: hpo's bundled digits).

The counterpart of `hpo-bench mlp`: same split fractions, standardisation with training statistics, architecture,
batch size, optimizer and learning rate. Runs with the Python it is started with (needs numpy and scikit-learn);
BLAS is limited to --threads threads (default 1, as hpo's trainers run one thread per trial).

Prints one JSON object with --json, else a line of text.
"""

import argparse
import json
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CSV = os.path.join(HERE, "..", "Sources", "HPOTraining", "Resources", "digits.csv")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default=DEFAULT_CSV)
    parser.add_argument("--target", default="label")
    parser.add_argument("--hidden-layers", type=int, default=2)
    parser.add_argument("--hidden-units", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--activation", default="relu", choices=["relu", "tanh"])
    parser.add_argument("--optimizer", default="adam", choices=["adam", "sgd", "momentum"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    try:
        import numpy as np
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import train_test_split
        from sklearn.neural_network import MLPClassifier
        from threadpoolctl import threadpool_limits
    except ImportError as error:
        print(f"bench_mlp_sklearn: {error}; install scikit-learn into this Python", file=sys.stderr)
        return 2

    with open(args.csv) as handle:
        header = handle.readline().strip().split(",")
    data = np.loadtxt(args.csv, delimiter=",", skiprows=1, dtype=np.float64)
    column = header.index(args.target)
    y = data[:, column].astype(int)
    x = np.delete(data, column, axis=1).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, test_size=0.4, stratify=y, random_state=args.seed)
    x_valid, _, y_valid, _ = train_test_split(
        x_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=args.seed)
    mean = x_train.mean(axis=0)
    scale = x_train.std(axis=0)
    scale[scale < 1e-12] = 1
    x_train = (x_train - mean) / scale
    x_valid = (x_valid - mean) / scale

    solver = "adam" if args.optimizer == "adam" else "sgd"
    momentum = 0.9 if args.optimizer == "momentum" else 0.0
    times = []
    cpu_times = []
    accuracy = float("nan")
    with threadpool_limits(limits=args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for repeat in range(args.repeats):
            model = MLPClassifier(
                hidden_layer_sizes=(args.hidden_units,) * args.hidden_layers, activation=args.activation,
                solver=solver, momentum=momentum, nesterovs_momentum=False, learning_rate_init=args.lr,
                batch_size=args.batch_size, max_iter=args.epochs, alpha=0.0, tol=0.0,
                n_iter_no_change=args.epochs + 1, shuffle=True, random_state=args.seed + repeat)
            start = time.perf_counter()
            start_cpu = time.process_time()
            model.fit(x_train, y_train)
            elapsed = time.perf_counter() - start
            times.append(elapsed / model.n_iter_)
            cpu_times.append((time.process_time() - start_cpu) / model.n_iter_)
            accuracy = float(model.score(x_valid, y_valid))

    result = {
        "library": "scikit-learn",
        "version": __import__("sklearn").__version__,
        "rows": int(x_train.shape[0]),
        "epochs": args.epochs,
        "seconds_per_epoch": min(times),
        "seconds_per_epoch_all": times,
        "cpu_seconds_per_epoch": min(cpu_times),
        "validation_accuracy": accuracy,
        "threads": args.threads,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"scikit-learn {result['version']}: {1000 * result['seconds_per_epoch']:.2f} ms/epoch wall, "
              f"{1000 * result['cpu_seconds_per_epoch']:.2f} ms/epoch CPU "
              f"({result['rows']} rows, validation accuracy {accuracy:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
