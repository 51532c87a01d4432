#!/usr/bin/env python3
"""Writes the MLP MetaGraphs that tfmon's step-loop benchmark imports (issue 16), with Python
TensorFlow's own graph builder, so that Java and Python time the very same graph.

Usage:  python3 make_mlp_metagraph.py OUT_DIR
Writes  OUT_DIR/mlp-small.meta (batch 32, 64 hidden) and OUT_DIR/mlp-large.meta (2048 hidden).
The committed copies live in tfmon-bench/src/main/resources/dev/tfmon/bench/ and were made with
tensorflow-cpu 2.21.0:  python3 tfmon-bench/python/make_mlp_metagraph.py \
    tfmon-bench/src/main/resources/dev/tfmon/bench

The graph (TF 1.x semantics: tf.compat.v1 with v2 behaviour off, so classic ref variables):
placeholders x [None, 16] and y [None, 1]; w1 [16, hidden] and w2 [hidden, 1] with truncated
normal initializers; loss = mean((relu(x w1) w2 - y)^2), named "loss"; a scalar summary of it;
GradientDescent(0.001).minimize(loss, global_step) named "train_op", listed in collection train_op;
the global step in its collection; a Saver's SaverDef. The batch is not in the graph: the runner
feeds 32 (small) or 256 (large) rows.
"""
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import tensorflow.compat.v1 as tf  # noqa: E402

SIZES = {'small': 64, 'large': 2048}


def build(hidden):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        step = tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [None, 16], name='x')
        y = tf.placeholder(tf.float32, [None, 1], name='y')
        w1 = tf.get_variable('w1', [16, hidden], initializer=tf.truncated_normal_initializer())
        w2 = tf.get_variable('w2', [hidden, 1], initializer=tf.truncated_normal_initializer())
        h = tf.nn.relu(tf.matmul(x, w1))
        loss = tf.reduce_mean(tf.square(tf.matmul(h, w2) - y), name='loss')
        tf.summary.scalar('loss', loss)
        train = tf.train.GradientDescentOptimizer(0.001).minimize(loss, global_step=step, name='train_op')
        tf.add_to_collection(tf.GraphKeys.TRAIN_OP, train)
        saver = tf.train.Saver()
    return g, saver


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: make_mlp_metagraph.py OUT_DIR')
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    tf.disable_v2_behavior()
    for name, hidden in SIZES.items():
        g, saver = build(hidden)
        path = os.path.join(out, 'mlp-%s.meta' % name)
        tf.train.export_meta_graph(filename=path, graph=g, saver_def=saver.as_saver_def(),
                                   clear_devices=True)
        print('%s: %d nodes, %d bytes' % (path, len(g.as_graph_def().node), os.path.getsize(path)))


if __name__ == '__main__':
    main()
