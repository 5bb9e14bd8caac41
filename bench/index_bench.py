"""Benchmark of the full-text index: catch-up throughput and search latency.

Generates N synthetic emails with a seeded generator (a Zipf-distributed mix
of common English words, invented words, names, addresses, numbers and some
accented, Cyrillic and CJK text; ~2 KB bodies), submits them as a backlog the
way the indexer does after an import, times until they are all searchable,
then times searches of several shapes over the result.

    .venv/bin/python bench/index_bench.py --docs 20000
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import IndexBatch, IndexDocument, SearchIndex, parse_query  # noqa: E402

COMMON = (
    "the of and to a in is it you that he was for on are with as I his they be "
    "at one have this from or had by hot but some what there we can out other "
    "were all your when up use word how said an each she which do their time if "
    "will way about many then them would write like so these her long make thing "
    "see him two has look more day could go come did my sound no most number who "
    "over know water than call first people may down side been now find any new "
    "work part take get place made live where after back little only round man "
    "year came show every good me give our under name very through just form "
    "meeting report invoice project budget review attached please thanks regards "
    "schedule deadline quarter team update proposal contract client server issue"
).split()
FIRST = "alice bob carol dave erin frank grace heidi ivan judy mallory oscar peggy trent victor walter".split()
LAST = "smith jones müller dubois rossi novak kowalski garcía johansson o'brien nguyen tanaka".split()
DOMAINS = "example.com example.org mail.example.net corp.example acme.test".split()
ACCENTED = "café résumé naïve façade über straße größe año niño crème déjà élève".split()
CYRILLIC = "привет отчёт встреча проект бюджет сервер письмо договор".split()
GREEK = "καλημέρα αναφορά συνάντηση έργο".split()
CJK = ["東京で会議があります", "報告書を送ります", "我们明天开会", "预算报告已经附上", "회의는 내일입니다"]
SYLL = "ka ro mi tan sel vor ul den pra gis lo nex tur bel fa quo zin ar et om".split()


class Generator:
    """Deterministic synthetic mail; same seed, same corpus."""

    def __init__(self, seed: int = 42, vocab: int = 20000) -> None:
        self.r = random.Random(seed)
        r = self.r
        invented = {
            "".join(r.choice(SYLL) for _ in range(r.randint(2, 4))) for _ in range(vocab)
        }
        self.words = COMMON + sorted(invented)
        # Zipf weights: rank k has weight 1/k.
        self.cum = list(itertools.accumulate(1.0 / (k + 1) for k in range(len(self.words))))

    def word(self) -> str:
        r = self.r
        x = r.random()
        if x < 0.02:
            return r.choice(ACCENTED)
        if x < 0.025:
            return str(r.randint(0, 99999))
        i = bisect.bisect(self.cum, r.random() * self.cum[-1])
        return self.words[min(i, len(self.words) - 1)]

    def person(self) -> str:
        r = self.r
        first, last = r.choice(FIRST), r.choice(LAST)
        addr = f"{first}.{last.replace(chr(39), '')}@{r.choice(DOMAINS)}"
        return f"{first.title()} {last.title()} <{addr}>"

    def sentence(self) -> str:
        words = [self.word() for _ in range(self.r.randint(6, 18))]
        return " ".join(words).capitalize() + self.r.choice(".!?,;:") + " "

    def body(self, size: int = 2000) -> str:
        r = self.r
        parts: list[str] = []
        n = 0
        while n < size:
            x = r.random()
            if x < 0.02:
                s = r.choice(CYRILLIC) + " " + r.choice(CYRILLIC) + ". "
            elif x < 0.03:
                s = r.choice(GREEK) + ". "
            elif x < 0.04:
                s = r.choice(CJK) + "。 "
            elif x < 0.05:
                s = f"https://{r.choice(DOMAINS)}/{self.word()}/{r.randint(1, 9999)} "
            else:
                s = self.sentence()
            if r.random() < 0.1:
                s += "\n\n"
            parts.append(s)
            n += len(s)
        return "".join(parts)

    def document(self, account: str, email_id: str) -> IndexDocument:
        r = self.r
        return IndexDocument(
            account_id=account,
            email_id=email_id,
            from_=self.person(),
            to=", ".join(self.person() for _ in range(r.randint(1, 3))),
            cc=", ".join(self.person() for _ in range(r.choice((0, 0, 0, 1, 2)))),
            bcc="",
            subject=" ".join(self.word() for _ in range(r.randint(3, 9))).capitalize(),
            body=self.body(r.randint(1500, 2500)),
            attachments=(
                f"{self.word()}-{r.choice(('report', 'invoice', 'notes'))}.pdf"
                if r.random() < 0.2
                else ""
            ),
        )


def worker_cpu(ix: SearchIndex) -> float:
    """CPU seconds used so far by the index's worker processes (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for w in list(ix._writer._workers):
        try:
            with open(f"/proc/{w.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--accounts", type=int, default=4)
    ap.add_argument("--batch", type=int, default=100, help="documents per submitted batch (one modseq)")
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--dir", help="index directory (default: a temporary one, removed afterwards)")
    args = ap.parse_args()

    gen = Generator(args.seed)
    accounts = [f"a{i}" for i in range(args.accounts)]
    t0 = time.perf_counter()
    docs = [gen.document(accounts[i % len(accounts)], f"M{i:08d}") for i in range(args.docs)]
    gen_s = time.perf_counter() - t0
    mb = sum(len(d.body) for d in docs) / 1e6
    print(f"generated {len(docs)} documents ({mb:.1f} MB of body text) in {gen_s:.1f} s")

    tmp = args.dir or tempfile.mkdtemp(prefix="index-bench-")
    try:
        ix = SearchIndex.open(tmp)
        batches = [
            IndexBatch(modseq=k + 1, upserts=docs[i : i + args.batch])
            for k, i in enumerate(range(0, len(docs), args.batch))
        ]
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        c0 = time.process_time()
        for b in batches:
            ix.submit(b)
        submitted = time.perf_counter() - t0
        ok = ix.wait_for(batches[-1].modseq, timeout=3600)
        catchup = time.perf_counter() - t0
        cpu = time.process_time() - c0 + worker_cpu(ix)
        assert ok, "index did not catch up"
        counted = sum(ix.doc_count(a) for a in accounts)
        assert counted == len(docs), (counted, len(docs))
        print(
            f"catch-up: {len(docs)} docs in {catchup:.1f} s = {len(docs) / catchup:.0f} docs/s "
            f"(submit returned after {submitted:.1f} s; {ix.segment_count()} segments)"
        )
        print(
            f"          {cpu:.1f} CPU-s in all processes = {len(docs) / cpu:.0f} docs per CPU-second; "
            f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )

        r = random.Random(args.seed + 1)
        shapes = {
            "common word": lambda: r.choice(COMMON[:60]),
            "rare word": lambda: gen.words[r.randint(2000, len(gen.words) - 1)],
            "two words": lambda: f"{r.choice(COMMON[60:])} {gen.words[r.randint(100, 3000)]}",
            "phrase": lambda: '"' + " ".join(docs[r.randrange(len(docs))].body.split()[5:8]) + '"',
            "address": lambda: gen.person().split("<")[1].rstrip(">"),
            "cjk": lambda: r.choice(["会議", "报告", "東京", "회의"]),
        }
        fields = ["text", "body", "subject", "from"]
        overall: list[float] = []
        for name, make in shapes.items():
            lat: list[float] = []
            hits = 0
            for _ in range(max(1, args.queries // len(shapes))):
                q = make()
                acc = r.choice(accounts)
                field = "from" if name == "address" else r.choice(fields)
                t = time.perf_counter()
                res = ix.search(acc, field, q)
                lat.append((time.perf_counter() - t) * 1000)
                hits += len(res)
            overall += lat
            print(
                f"search {name:12s} median {statistics.median(lat):7.2f} ms  "
                f"p99 {percentile(lat, 99):7.2f} ms  avg hits {hits / len(lat):8.1f}"
            )
        print(f"search all          median {statistics.median(overall):7.2f} ms  p99 {percentile(overall, 99):7.2f} ms")

        terms = parse_query("meeting report")
        lat = []
        for d in docs[:200]:
            t = time.perf_counter()
            ix.snippet(d.body, terms, max_bytes=255)
            lat.append((time.perf_counter() - t) * 1000)
        print(f"snippet (2 KB body) median {statistics.median(lat):.2f} ms  p99 {percentile(lat, 99):.2f} ms")

        t0 = time.perf_counter()
        ix.optimize()
        print(f"optimize: {time.perf_counter() - t0:.1f} s, {ix.segment_count()} segment(s)")
        lat = []
        for _ in range(100):
            q = r.choice(COMMON[:60])
            t = time.perf_counter()
            ix.search(r.choice(accounts), "text", q)
            lat.append((time.perf_counter() - t) * 1000)
        print(f"search after optimize, common word: median {statistics.median(lat):.2f} ms  p99 {percentile(lat, 99):.2f} ms")
        ix.close()
    finally:
        if not args.dir:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
