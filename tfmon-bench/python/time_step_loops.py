#!/usr/bin/env python3
"""Python TensorFlow 1.x's side of issue 16's step-loop comparison: the same imported MLP
MetaGraph (make_mlp_metagraph.py) trained in four loops, timed in interleaved rounds. Not run by
tests; the Java side is StepLoopRatios (docs/BENCHMARKS.md gives both commands).

Usage:  python3 time_step_loops.py [--size small|large] [--rounds 7] [--steps 5000]
            [--meta PATH]   (default: ../src/main/resources/dev/tfmon/bench/mlp-SIZE.meta)

Loops, on one graph: the raw session loop (sess.run([loss, train_op], feed_dict)), the raw loop
with one more fetch (the global step's value, what the default hooks add), MonitoredSession with no
hook, and MonitoredTrainingSession with its default hooks (checkpoints into a temporary directory).
Each round runs every loop for --steps steps, in an order that rotates; a ratio is the median over
rounds of (loop / raw loop of the same round), in wall time and in this process's CPU time.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
from tensorflow.python.training import training_util  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--size', choices=['small', 'large'], default='small')
    p.add_argument('--rounds', type=int, default=7)
    p.add_argument('--steps', type=int, default=5000)
    p.add_argument('--meta')
    a = p.parse_args()
    meta = a.meta or os.path.join(HERE, '..', 'src', 'main', 'resources', 'dev', 'tfmon', 'bench',
                                  'mlp-%s.meta' % a.size)
    batch = 32 if a.size == 'small' else 256
    tf.disable_v2_behavior()
    tf.logging.set_verbosity(tf.logging.WARN)

    rng = np.random.RandomState(1)
    xs = rng.standard_normal((batch, 16)).astype(np.float32)
    ys = rng.standard_normal((batch, 1)).astype(np.float32)
    workdir = tempfile.mkdtemp(prefix='tfmon-py-steps-')
    g = tf.Graph()
    with g.as_default():
        tf.train.import_meta_graph(meta)
        x = g.get_tensor_by_name('x:0')
        y = g.get_tensor_by_name('y:0')
        loss = g.get_tensor_by_name('loss:0')
        train = g.get_operation_by_name('train_op')
        feed = {x: xs, y: ys}
        raw = tf.Session(graph=g)
        raw.run(tf.global_variables_initializer())
        # MTS first: its hooks add the global step's read op; then the graph is final.
        mts = tf.train.MonitoredTrainingSession(checkpoint_dir=os.path.join(workdir, 'train'))
        plain = tf.train.MonitoredSession(session_creator=tf.train.ChiefSessionCreator())
        # What the default hooks fetch in every run: the global step's read tensor.
        step = training_util._get_or_create_global_step_read()  # pylint: disable=protected-access

    loops = [
        ('raw session loop', lambda: raw.run([loss, train], feed)),
        ('raw + global step fetch', lambda: raw.run([loss, train, step], feed)),
        ('MonitoredSession, no hook', lambda: plain.run([loss, train], feed)),
        ('MonitoredTrainingSession, default hooks', lambda: mts.run([loss, train], feed)),
    ]
    for _, fn in loops:  # warm-up
        for _ in range(max(200, a.steps // 5)):
            fn()
    wall = [[] for _ in loops]
    cpu = [[] for _ in loops]
    for r in range(a.rounds):
        for k in range(len(loops)):
            v = (k + r) % len(loops)
            fn = loops[v][1]
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(a.steps):
                fn()
            wall[v].append((time.perf_counter() - t0) / a.steps * 1e6)
            cpu[v].append((time.process_time() - c0) / a.steps * 1e6)
    plain.close()
    mts.close()
    raw.close()
    shutil.rmtree(workdir, ignore_errors=True)

    print('Python TF %s, %s step, %d rounds of %d steps, load average %s'
          % (tf.__version__, a.size, a.rounds, a.steps, ' '.join('%.2f' % l for l in os.getloadavg())))
    print('| loop | wall µs/step (median) | wall vs raw (median, min..max) | CPU µs/step | CPU vs raw |')
    print('|---|---:|---:|---:|---:|')
    for v, (name, _) in enumerate(loops):
        wr = [w / b for w, b in zip(wall[v], wall[0])]
        cr = [c / b for c, b in zip(cpu[v], cpu[0])]
        print('| %s | %.1f | %.3f× (%.3f..%.3f) | %.1f | %.3f× |'
              % (name, statistics.median(wall[v]), statistics.median(wr), min(wr), max(wr),
                 statistics.median(cpu[v]), statistics.median(cr)))


if __name__ == '__main__':
    sys.exit(main())
