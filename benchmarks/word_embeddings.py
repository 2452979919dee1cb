"""Benchmark: our skip-gram and CBOW (Keras, unsuplab.embeddings) against gensim's Word2Vec, lesson 18's corpus.

    python benchmarks/word_embeddings.py                    # full mode: 1.23M tokens, 5 epochs, seeds 0,1,2
    UNSUPLAB_FAST=1 python benchmarks/word_embeddings.py    # smoke run: 60,000 tokens, 1 epoch, seed 0
    python benchmarks/word_embeddings.py --seeds 0 --gensim-workers 1

All four models see the same sentences (``datasets.load_text("english")``: Debian's fortunes and the King
James Bible) with the same settings: 100 dimensions, window 5 (dynamic), 5 noise words from unigram^0.75,
min_count 5, subsampling 1e-3, 5 epochs, SGD from 0.05 per example falling linearly to 0 (word2vec's CBOW
default; its skip-gram default 0.025 gives both implementations about 0.12 less on WordSim-353 on this corpus).
Scores: WordSim-353 and SimLex-999 Spearman, and the Google analogies by 3CosAdd, each restricted to the
vocabulary. Words per second = tokens in the vocabulary x epochs / training seconds (wall); CPU seconds are
the process's user + system time while training (all threads), a fairer measure on a shared machine.
Writes benchmarks/results/word_embeddings.md (full mode; a fast run only prints its table).
"""

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import report

RESULTS = Path(__file__).parent / "results" / "word_embeddings.md"
SETTINGS = dict(dim=100, window=5, negatives=5, min_count=5, sample=1e-3)
RATE = {"skipgram": 0.05, "cbow": 0.05}  # per example at the start (word2vec: 0.025 skip-gram, 0.05 CBOW)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ours(kind, corpus, epochs, seed, batch_size):
    import keras

    from unsuplab import embeddings

    keras.utils.set_random_seed(seed)
    vocab, ids, sentence_ids = corpus
    build = embeddings.build_skipgram if kind == "skipgram" else embeddings.build_cbow
    model = build(len(vocab), SETTINGS["dim"])
    cpu = cpu_seconds()
    report = embeddings.train_word2vec(model, kind, ids, sentence_ids, vocab, epochs=epochs,
                                       window=SETTINGS["window"], negatives=SETTINGS["negatives"],
                                       sample=SETTINGS["sample"], learning_rate=RATE[kind],
                                       batch_size=batch_size, seed=seed)
    return embeddings.word_vectors(model), vocab.words, report.history["seconds"][-1], cpu_seconds() - cpu


def gensim(kind, sentences, epochs, seed, workers):
    from gensim.models import Word2Vec

    w2v = Word2Vec(vector_size=SETTINGS["dim"], window=SETTINGS["window"], negative=SETTINGS["negatives"],
                   min_count=SETTINGS["min_count"], sample=SETTINGS["sample"], alpha=RATE[kind],
                   sg=int(kind == "skipgram"), epochs=epochs, workers=workers, seed=seed)
    w2v.build_vocab(sentences)
    cpu, start = cpu_seconds(), time.perf_counter()
    w2v.train(sentences, total_examples=w2v.corpus_count, epochs=epochs)
    return w2v.wv.vectors, w2v.wv.index_to_key, time.perf_counter() - start, cpu_seconds() - cpu


def main(argv=None):
    from unsuplab import config

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default=config.pick("0,1,2", "0"))
    p.add_argument("--epochs", type=int, default=config.pick(5, 1))
    p.add_argument("--max-tokens", type=int, default=config.pick(None, 60_000))
    p.add_argument("--batch-size", type=int, default=None, help="our examples per step (default: "
                   "embeddings.BATCH_SIZE, 2048 for skip-gram and 1024 for CBOW)")
    p.add_argument("--gensim-workers", type=int, default=2, help="gensim's threads (2 = both cores, as TensorFlow)")
    p.add_argument("--out", default=None, help=f"the table's file (default: {RESULTS.name} in full mode; fast mode "
                   "only prints it)")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    from unsuplab import datasets, embeddings  # after the arguments: --help answers without loading Keras

    config.banner()
    sentences = datasets.load_text("english", max_tokens=args.max_tokens)
    vocab = embeddings.build_vocabulary(sentences, SETTINGS["min_count"])
    ids, sentence_ids = vocab.encode(sentences)
    pairs = {name: datasets.word_similarity_pairs(name) for name in ("wordsim353", "simlex999")}
    questions = datasets.analogy_questions()
    print(f"{sum(map(len, sentences)):,} tokens, {len(vocab):,} words, {len(ids):,} tokens in the vocabulary; "
          f"{report.machine()}", flush=True)

    runs = {}  # name -> list of result dicts, one per seed
    for seed in seeds:
        for name, train in (("ours, skip-gram", lambda s: ours("skipgram", (vocab, ids, sentence_ids), args.epochs,
                                                                s, args.batch_size)),
                            ("ours, CBOW", lambda s: ours("cbow", (vocab, ids, sentence_ids), args.epochs, s,
                                                          args.batch_size)),
                            ("gensim, skip-gram", lambda s: gensim("skipgram", sentences, args.epochs, s,
                                                                   args.gensim_workers)),
                            ("gensim, CBOW", lambda s: gensim("cbow", sentences, args.epochs, s,
                                                              args.gensim_workers))):
            vectors, words, seconds, cpu = train(seed)
            result = {"seed": seed, "seconds": seconds, "cpu": cpu, "words_per_s": len(ids) * args.epochs / seconds}
            for set_name, set_pairs in pairs.items():
                result[set_name], result[set_name + " coverage"] = embeddings.similarity_spearman(vectors, words,
                                                                                                  set_pairs)
            result["analogy"], result["analogy coverage"] = embeddings.analogy_accuracy(vectors, words, questions)
            runs.setdefault(name, []).append(result)
            print(f"seed {seed} {name}: WordSim-353 {result['wordsim353']:.3f}, SimLex-999 {result['simlex999']:.3f}, "
                  f"analogies {result['analogy']:.1%}, {seconds:.0f} s ({cpu:.0f} CPU s), "
                  f"{result['words_per_s']:,.0f} words/s", flush=True)
        write(args, argv, runs, len(vocab), sum(map(len, sentences)), len(ids))


def batches(args):
    from unsuplab import embeddings

    if args.batch_size is not None:
        return f"{args.batch_size:,}"
    return f"{embeddings.BATCH_SIZE['skipgram']:,} (skip-gram) and {embeddings.BATCH_SIZE['cbow']:,} (CBOW)"


def write(args, argv, runs, vocab_size, tokens, in_vocab):
    """The table so far (after every seed, so a run cut short keeps its results)."""
    def mean(name, key):
        return float(np.mean([r[key] for r in runs[name]]))

    first = next(iter(runs.values()))[0]
    from unsuplab import config, embeddings

    lines = ["# Word embeddings: our Keras skip-gram and CBOW against gensim's Word2Vec", "",
             f"{config.mode_name()} mode. Machine: {report.machine()}. Command: `{report.command(argv)}`", "",
             f"Corpus: `datasets.load_text('english')` (Debian's fortunes + the King James Bible), {tokens:,} tokens; "
             f"{vocab_size:,} words seen at least {SETTINGS['min_count']} times cover {in_vocab:,} tokens. Settings "
             f"for all four: dimension {SETTINGS['dim']}, window {SETTINGS['window']} (dynamic), "
             f"{SETTINGS['negatives']} noise words (unigram^0.75), subsampling {SETTINGS['sample']}, {args.epochs} "
             f"epochs, SGD from {RATE['skipgram']} (skip-gram) and {RATE['cbow']} (CBOW) per example falling "
             "linearly to 0 (word2vec's CBOW default; its skip-gram default, 0.025, gave WordSim-353 0.134-0.156 to "
             f"both implementations in single runs). Ours: batches of {batches(args)} examples, XLA-compiled, "
             f"{embeddings.STEPS_PER_EXECUTION} batches per compiled call; gensim: {args.gensim_workers} worker "
             "thread(s).", "",
             f"Coverage: WordSim-353 {first['wordsim353 coverage']:.0%} of 353 pairs, SimLex-999 "
             f"{first['simlex999 coverage']:.0%} of 999, analogies {first['analogy coverage']:.0%} of 19,544 "
             "questions (all words in the vocabulary).", "",
             "| model | seeds | WordSim-353 rho (mean) | spread (min-max) | SimLex-999 rho | analogy accuracy | "
             "train s | CPU s | words/s |", "|---|---|---|---|---|---|---|---|---|"]
    for name in runs:
        wordsim = report.spread([r["wordsim353"] for r in runs[name]], ".3f", single="-")
        lines.append(f"| {name} | {len(runs[name])} | {mean(name, 'wordsim353'):.3f} | {wordsim} | "
                     f"{mean(name, 'simlex999'):.3f} | "
                     f"{mean(name, 'analogy'):.1%} | {mean(name, 'seconds'):.0f} | {mean(name, 'cpu'):.0f} | "
                     f"{mean(name, 'words_per_s'):,.0f} |")
    if "gensim, skip-gram" in runs and "ours, skip-gram" in runs:
        gap = mean("ours, skip-gram", "wordsim353") - mean("gensim, skip-gram", "wordsim353")
        speed = mean("gensim, skip-gram", "words_per_s") / mean("ours, skip-gram", "words_per_s")
        cpu = mean("ours, skip-gram", "cpu") / mean("gensim, skip-gram", "cpu")
        lines += ["", f"Targets: our skip-gram within 0.03 WordSim-353 Spearman of gensim's: {gap:+.3f}, "
                  f"{'met' if gap > -0.03 else 'NOT met'}; within 2x of gensim's wall time: {speed:.1f}x, "
                  f"{'met' if speed <= 2 else 'NOT met'} (we use {cpu:.1f}x its CPU time). gensim's inner loop is C "
                  "that updates the rows of each pair in place; ours draws each epoch's pairs in NumPy and runs Keras "
                  "on batches (gather, dot, scatter into two 100-d tables), "
                  f"{embeddings.STEPS_PER_EXECUTION} compiled steps per call. Our CBOW, like word2vec's code and "
                  "gensim's, gives each context word the whole gradient of the context mean "
                  "(unsuplab.embeddings.ContextMean)."]
    lines += ["", "Per seed:", "", "| model | seed | WordSim-353 | SimLex-999 | analogies | train s | CPU s |",
              "|---|---|---|---|---|---|---|"]
    for name, results in runs.items():
        lines += [f"| {name} | {r['seed']} | {r['wordsim353']:.3f} | {r['simlex999']:.3f} | {r['analogy']:.1%} | "
                  f"{r['seconds']:.0f} | {r['cpu']:.0f} |" for r in results]
    lines += ["", report.load_note("wall times (and words/s) suffer when the load exceeds the CPU count; "
                                   "CPU seconds much less so.")]
    out = args.out or (None if config.is_fast() else RESULTS)
    print(report.write(out, lines) if out is not None else "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
