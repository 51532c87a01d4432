#!/usr/bin/env python3
"""Python TensorFlow 1.x's side of issue 16's restore comparison: imports DIR/model.ckpt.meta and
times saver.restore(sess, DIR/model.ckpt). Not run by tests. RestoreBench runs it once per round
(with --rounds 1) to interleave it with the Java restores; alone it prints a summary.

Usage:  python3 time_restore.py DIR [--repeats 5] [--rounds 1] [--warmup-seconds 2]
Prints one line per round:  python_restore_ms <median of the round's repeats>
"""
import argparse
import os
import statistics
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import tensorflow.compat.v1 as tf  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument('dir')
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--rounds', type=int, default=1)
    p.add_argument('--warmup-seconds', type=float, default=2.0)
    a = p.parse_args()
    tf.disable_v2_behavior()
    prefix = os.path.join(a.dir, 'model.ckpt')
    g = tf.Graph()
    with g.as_default():
        saver = tf.train.import_meta_graph(prefix + '.meta')
        with tf.Session(graph=g) as sess:
            # warm-up, as the Java side does: the first restores build and settle the restore
            # executor
            end = time.perf_counter() + a.warmup_seconds
            n = 0
            while n < 3 or time.perf_counter() < end:
                saver.restore(sess, prefix)
                n += 1
            for _ in range(a.rounds):
                times = []
                for _ in range(a.repeats):
                    t0 = time.perf_counter()
                    saver.restore(sess, prefix)
                    times.append((time.perf_counter() - t0) * 1e3)
                print('python_restore_ms %.3f' % statistics.median(times), flush=True)


if __name__ == '__main__':
    main()
