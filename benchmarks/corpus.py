"""Corpus throughput and size: ingest a generated corpus into a store and analyse it.

Generates ``--articles`` articles (JSON Lines, several outlets over two years; generated text
of about 300 words) in a temporary folder, then prints:

- storing: articles/s of ``ingest`` without analysis (reading, language check, hashing, writing);
- analysis with the real model on the first ``--analyse`` articles: articles/s, one process;
- the store's own write path for analyses (an instant stand-in model, 3 spans an article);
- the store's size per 1,000 articles, with and without their analyses;
- the time of ``stats`` over the whole corpus, and of a Parquet export;
- peak RSS of this process.

    python benchmarks/corpus.py --articles 10000 --analyse 300 [--db postgresql://...]

Several workers, and Ray: benchmarks/batch.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

WORDS = ("the government said on monday that new figures show the economy grew while critics "
         "in parliament warned about rising prices for families and small firms across the region "
         "officials expect a decision next week after talks with unions and business groups").split()
PHRASES = ["corrupt elites", "these traitors will destroy our nation", "a disaster of historic proportions",
           "only a fool would believe", "make our country great again", "everyone knows the truth"]
OUTLETS = ["Daily Flag", "Evening Post", "Morning Star", "City Herald", "Nation Today"]


def generate(folder: Path, n: int, seed: int = 5) -> Path:
    rng = random.Random(seed)
    path = folder / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            sentences = []
            for _ in range(20):
                words = rng.choices(WORDS, k=rng.randint(10, 18))
                if rng.random() < 0.15:
                    words.insert(rng.randrange(len(words)), rng.choice(PHRASES))
                sentences.append(" ".join(words).capitalize() + ".")
            f.write(json.dumps({"id": f"g{i}", "text": f"Report {i}. " + " ".join(sentences),
                                "outlet": OUTLETS[i % len(OUTLETS)],
                                "published": f"{2023 + i % 2}-{1 + i % 12:02d}-{1 + i % 28:02d}"}) + "\n")
    return path


class Instant:
    """A stand-in model that costs nothing: three spans an article."""

    version = "instant"

    def detect_many(self, articles):
        from propscope.spans import Span
        for aid, text in articles:
            yield aid, [Span(aid, 0, 6, "Repetition", 0.5), Span(aid, 10, 30, "Loaded_Language", 0.7),
                        Span(aid, 40, 80, "Doubt", 0.4)]


class Sample:
    """The real model on the first ``n`` pending articles only."""

    def __init__(self, n: int):
        from propscope.engine import detector
        self.model, self.n = detector(), n
        self.version = self.model.version

    def detect_many(self, articles):
        from itertools import islice
        return self.model.detect_many(islice(articles, self.n))


def size(store) -> int:
    """Bytes the store takes: the database (PostgreSQL), or the SQLite file after a checkpoint."""
    if store.dialect == "postgresql":
        return store.rows("SELECT pg_database_size(current_database())")[0][0]
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in Path(store.url).parent.glob(Path(store.url).name + "*"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--analyse", type=int, default=300, help="articles the real model analyses (0: none)")
    p.add_argument("--db", default=None, help="an empty store (default: a SQLite file in a temporary folder)")
    args = p.parse_args()
    from propscope.corpus.export import export
    from propscope.corpus.ingest import analyse, ingest
    from propscope.corpus.stats import compute
    from propscope.corpus.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        source = generate(Path(tmp), args.articles)
        url = args.db or str(Path(tmp) / "corpus.db")
        with Store(url) as store:
            t0 = time.perf_counter()
            report = ingest(store, [str(source)], analyse_after=False)
            storing = time.perf_counter() - t0
            if report.failed:
                raise SystemExit(f"ingest failed: {report.failed[0][1]}")
            print(f"storing     {report.added} articles in {storing:.1f} s: {report.added / storing:,.0f} articles/s")
            bare = size(store)
            if args.analyse:
                t0 = time.perf_counter()
                done = analyse(store, Sample(args.analyse)).analysed
                seconds = time.perf_counter() - t0
                print(f"analysis    {done} articles with the model in {seconds:.1f} s: {done / seconds:.1f} articles/s "
                      f"(PROPSCOPE_THREADS={os.environ.get('PROPSCOPE_THREADS', '0')})")
            t0 = time.perf_counter()
            done = analyse(store, Instant()).analysed
            seconds = time.perf_counter() - t0
            print(f"write path  {done} analyses (3 spans each) in {seconds:.1f} s: {done / seconds:,.0f} articles/s")
            full = size(store)
            print(f"store size  {bare / args.articles * 1000 / 2**20:.2f} MiB per 1,000 articles stored, "
                  f"{full / args.articles * 1000 / 2**20:.2f} MiB with one analysis each ({store.dialect})")
            t0 = time.perf_counter()
            stats = compute(store, model="instant")
            print(f"stats       {len(stats.rows)} rows over {args.articles} articles in {time.perf_counter() - t0:.2f} s")
            t0 = time.perf_counter()
            n = export(store, "parquet", Path(tmp) / "c.parquet", model="instant")
            parquet = (Path(tmp) / "c.parquet").stat().st_size
            print(f"export      {n} articles to Parquet in {time.perf_counter() - t0:.1f} s, "
                  f"{parquet / n * 1000 / 2**20:.2f} MiB per 1,000 articles")
    print(f"peak RSS    {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
