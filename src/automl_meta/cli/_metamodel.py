"""``automl-meta metamodel train``: train the meta-model on a meta-dataset and save it."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("metamodel", help="train the meta-model", description=__doc__)
    msub = p.add_subparsers(dest="metamodel_command", metavar="ACTION", required=True)
    t = msub.add_parser("train", help="train on a meta-dataset (seeded) and save it")
    t.add_argument("--metadataset", metavar="URL", help="meta-dataset path or URL (default: the user's store)")
    t.add_argument("--out", metavar="PATH", help="where to save it (default: <data home>/metamodel.pt); PATH.json is written beside")
    t.add_argument("--members", type=int, default=5, help="ensemble members (default 5)")
    t.add_argument("--epochs", type=int, default=60)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="cpu", help="cpu (default), cuda or auto: a GPU pays off on large meta-datasets")
    t.set_defaults(func=run_train)
    u = msub.add_parser("update", help="retrain from the user's meta-dataset (shipped plus recorded) into the user's model")
    u.add_argument("--metadataset", metavar="URL", help="meta-dataset path or URL (default: the user's store)")
    u.add_argument("--members", type=int, default=5)
    u.add_argument("--epochs", type=int, default=60)
    u.add_argument("--seed", type=int, default=0)
    u.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    u.set_defaults(func=run_train, out=None)


def run_train(args) -> int:
    from automl_meta.metadataset import MetaDataset, data_home
    from automl_meta.metamodel import MetaModel

    store = MetaDataset(args.metadataset)
    data = store.training_data()
    model = MetaModel(n_members=args.members, epochs=args.epochs, random_state=args.seed, device=args.device).fit(data)
    out = model.save(args.out or data_home() / "metamodel.pt")
    summary = model.training_summary_
    print(f"trained on {summary['tasks']} tasks and {summary['evaluations']} evaluations in {summary['seconds']:.1f} s; "
          f"saved {out} and {out.name}.json")
    return 0
