#!/usr/bin/env python3
"""Writes the two checkpoints of issue 16's restore comparison with Python TensorFlow 1.x's Saver:
OUT/large (16 float32 variables of 4 Mi values: 256 MiB of data) and OUT/small (a 2-layer net of
35,585 float32 values: 139 KiB of data), each as model.ckpt (+ .meta). Random normal values (graph seed 1).
Not run by tests; RestoreBench and time_restore.py then restore the very same files.

Usage:  python3 make_restore_checkpoints.py OUT
"""
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import numpy as np  # noqa: E402  (sizes only)
import tensorflow.compat.v1 as tf  # noqa: E402

# name -> list of variable shapes
CHECKPOINTS = {
    'large': [[2048, 2048]] * 16,                      # 16 x 16 MiB
    'small': [[128, 256], [256], [256, 10], [10], [1]],  # 35,585 values, 139 KiB
}


def write(out, shapes):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        for i, shape in enumerate(shapes):
            # an initializer op, not a constant: the .meta stays small
            tf.get_variable('v%d' % i, shape, initializer=tf.random_normal_initializer())
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            os.makedirs(out, exist_ok=True)
            path = saver.save(sess, os.path.join(out, 'model.ckpt'))
    data = sum(int(np.prod(s)) * 4 for s in shapes)
    print('%s: %d variables, %d bytes of data' % (path, len(shapes), data))


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: make_restore_checkpoints.py OUT')
    tf.disable_v2_behavior()
    for name, shapes in CHECKPOINTS.items():
        write(os.path.join(sys.argv[1], name), shapes)


if __name__ == '__main__':
    main()
