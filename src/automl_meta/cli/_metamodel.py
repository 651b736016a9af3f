"""``automl-meta metamodel train|update|migrate``: train the meta-model on a meta-dataset and save it, or rewrite a
saved one in the current file format."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("metamodel", help="train the meta-model", description=__doc__)
    msub = p.add_subparsers(dest="metamodel_command", metavar="ACTION", required=True)
    t = msub.add_parser("train", help="train on a meta-dataset (seeded) and save it")
    t.add_argument("--metadataset", metavar="URL", help="meta-dataset path or URL (default: the user's store)")
    t.add_argument("--out", metavar="PATH", help="where to save it (default: <data home>/metamodel.npz); PATH.json is written beside")
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
    m = msub.add_parser("migrate", help="rewrite a meta-model saved in an older file format in the current one")
    m.add_argument("path", metavar="PATH", help="the saved model (PATH.json beside it)")
    m.add_argument("--out", metavar="PATH", help="where to write it (default: PATH with the suffix .npz)")
    m.set_defaults(func=run_migrate)


def run_train(args) -> int:
    from automl_meta.data import data_home
    from automl_meta.metadataset import MetaDataset
    from automl_meta.metamodel import USER_MODEL_NAME, MetaModel

    store = MetaDataset(args.metadataset)
    data = store.training_data()
    model = MetaModel(n_members=args.members, epochs=args.epochs, random_state=args.seed, device=args.device).fit(data)
    out = model.save(args.out or data_home() / USER_MODEL_NAME)
    summary = model.training_summary_
    print(f"trained on {summary['tasks']} tasks and {summary['evaluations']} evaluations in {summary['seconds']:.1f} s; "
          f"saved {out} and {out.name}.json")
    return 0


def run_migrate(args) -> int:
    from automl_meta.metamodel import FORMAT_VERSION, migrate_metamodel

    out = migrate_metamodel(args.path, args.out)
    print(f"wrote {out} and {out.name}.json (format {FORMAT_VERSION})")
    return 0
