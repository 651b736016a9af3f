"""Pair each 'sets:' line of the logs with the task line after it; a paired bootstrap of first set - all sets."""
import re, sys
import numpy as np, pandas as pd
rows = []
for path in sys.argv[1:]:
    seed = re.search(r"sets_s(\d+)", path).group(1)
    pending = None
    for line in open(path):
        m = re.search(r"sets: all (\S+) first set (\S+) \((\d+) bags cut\)", line)
        if m:
            pending = m
            continue
        t = re.match(r"(\S+) 600s automl_meta_best: (\S+) in (\S+) s", line)
        if t and pending:
            rows.append(dict(seed=int(seed), task=t.group(1), two_sets=float(pending.group(1)),
                             one_set=float(pending.group(2)), bags=int(pending.group(3)), seconds=float(t.group(3))))
            pending = None
d = pd.DataFrame(rows)
d["diff"] = d.one_set - d.two_sets
pd.set_option("display.width", 200)
print(d.pivot_table(index="task", columns="seed", values="diff").round(4).to_string())
print(f"pairs {len(d)}; one set higher {(d['diff'] > 0.0005).sum()}, level (within 0.0005) {(d['diff'].abs() <= 0.0005).sum()}, lower {(d['diff'] < -0.0005).sum()}")
rng = np.random.default_rng(0)
boot = [rng.choice(d["diff"].to_numpy(), len(d)).mean() for _ in range(10000)]
print(f"mean one set - two sets {d['diff'].mean():+.4f} [{np.percentile(boot, 2.5):+.4f}, {np.percentile(boot, 97.5):+.4f}]")
print(d.groupby("seed")[["two_sets", "one_set"]].mean().round(4))
d.to_csv("pairs.csv", index=False)  # in the working directory
