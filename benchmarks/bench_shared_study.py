"""Several processes fit one task at once, sharing one Optuna study (and one meta-dataset) in a database: what
each one's model was chosen from, and what it chose.

The task: a seeded synthetic classification table (800 rows x 12, 8% of labels flipped), written to a CSV.
``--processes`` runs of ``automl-meta fit DATA --target y --trials --trials --cv 3 --jobs 1 --storage STUDY
--metadataset METADATASET`` start together; each prints its own summary and leaderboard (``ran_here`` False:
a trial another process ran). Then, from the study and the saved models: the study's COMPLETE trials, and
for each model the trials it was chosen from, those it ran, its members and its cross-validated score.
Every process should choose from all the study's trials, and so make the same choice.

The study must be new (give a database of its own, e.g. PostgreSQL's ``createdb team``).

Usage: python benchmarks/bench_shared_study.py --study postgresql+psycopg2://user@host/team
       [--metadataset URL] [--processes 2] [--trials 8] [--out benchmarks/results/shared_study.txt]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from harness.cli import RESULTS, benchmark_parser, command_line
from harness.machine import machine_stamp


def write_data(path: Path) -> None:
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=800, n_features=12, n_informative=6, flip_y=0.08, class_sep=0.8,
                               random_state=7)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["y"] = y
    frame.to_csv(path, index=False)


def run_processes(args, folder: Path) -> list[str]:
    """Start the fits together; each one's command, standard output and model file."""
    commands = [[sys.executable, "-m", "automl_meta", "fit", str(folder / "train.csv"), "--target", "y", "--trials",
                 str(args.trials), "--cv", "3", "--jobs", "1", "--no-progress", "--storage", args.study,
                 "--metadataset", args.metadataset or str(folder / "md.sqlite"), "--out", str(folder / f"{i}.amm")]
                for i in range(args.processes)]
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    lines = []
    for i, (command, proc) in enumerate(zip(commands, procs)):
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"process {i} failed:\n{err[-3000:]}")
        shown = " ".join(["automl-meta", *command[3:]])
        lines += [f"== process {i}: {shown}", out.rstrip()]
    return lines


def summarize(args, folder: Path) -> list[str]:
    import optuna

    from automl_meta import load_model

    (name,) = optuna.get_all_study_names(args.study)
    trials = optuna.load_study(study_name=name, storage=args.study).trials
    complete = sorted(t.number for t in trials if t.state == optuna.trial.TrialState.COMPLETE)
    lines = [f"== study {name!r}: {len(trials)} trials, COMPLETE: {complete}"]
    chosen = []
    for i in range(args.processes):
        model = load_model(folder / f"{i}.amm")
        board = model.leaderboard_[model.leaderboard_["origin"] != "ensemble"]
        members = [(str(m["strategy"]), round(m["weight"], 3)) for m in model.ensemble_]
        chosen.append((sorted(board["trial"]), members, model.best_score_))
        lines += [f"model {i}: chosen from trials {sorted(board['trial'])}",
                  f"  ran here: {sorted(board.loc[board['ran_here'].astype(bool), 'trial'])}",
                  f"  members (strategy, weight): {members}", f"  cross-validated score: {model.best_score_:.5f}"]
    same = all(c == chosen[0] for c in chosen) and chosen[0][0] == complete
    lines.append(f"Every model chosen from all {len(complete)} COMPLETE trials, the same choice: {'YES' if same else 'NO'}")
    return lines


def main(argv=None) -> int:
    parser = benchmark_parser(__doc__, metadataset=(None, "the meta-dataset URL the processes share (default: a "
                                                          "SQLite file in a temporary folder)"),
                              trials=8, out=RESULTS / "shared_study.txt")
    parser.add_argument("--study", required=True, help="the Optuna storage URL of a new study database")
    parser.add_argument("--processes", type=int, default=2, help="fits at once")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_data(folder / "train.csv")
        lines = [f"# {command_line(parser, args)}", f"# {machine_stamp()}; study storage: {args.study.split(':')[0]}"]
        lines += run_processes(args, folder) + summarize(args, folder)
    text = "\n".join(lines).replace(args.study, "STUDY").replace(tmp, "TMP")
    text = (text if args.metadataset is None else text.replace(args.metadataset, "METADATASET")) + "\n"
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
