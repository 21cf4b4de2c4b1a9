#!/usr/bin/env python3
"""Builds a top-N catalogue from a ratings TSV: ratings of 4 and 5 become interactions, users with
at least 5 are kept, and each user's interactions are split 80/20 into DIR/train.tsv, DIR/test.tsv.
Usage: make-catalogue.py RATINGS DIR [--seed N] [--keep-items FRACTION]
--keep-items keeps a seeded random share of the items (before the threshold), e.g. 0.5."""
import argparse, collections, os, random

parser = argparse.ArgumentParser()
parser.add_argument("ratings")
parser.add_argument("out")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--keep-items", type=float, default=1.0)
args = parser.parse_args()

rng = random.Random(args.seed)
lines = [l.rstrip("\n").split("\t") for l in open(args.ratings) if l.strip()]
items = sorted({l[1] for l in lines}, key=int)
kept = set(rng.sample(items, round(args.keep_items * len(items)))) if args.keep_items < 1 else set(items)
positives = collections.defaultdict(list)
for fields in lines:
    if fields[1] in kept and float(fields[2]) >= 4:
        positives[fields[0]].append(fields[1])
os.makedirs(args.out, exist_ok=True)
users = interactions = 0
with open(os.path.join(args.out, "train.tsv"), "w") as train, open(os.path.join(args.out, "test.tsv"), "w") as test:
    for user in sorted(positives, key=int):
        liked = positives[user]
        if len(liked) < 5:
            continue
        rng.shuffle(liked)
        held = round(0.2 * len(liked))
        for n, item in enumerate(liked):
            (test if n < held else train).write(f"{user}\t{item}\t1\n")
        users += 1; interactions += len(liked)
used = len({i for u in positives if len(positives[u]) >= 5 for i in positives[u]})
print(f"{args.out}: {users} users, {used} items, {interactions} interactions")
