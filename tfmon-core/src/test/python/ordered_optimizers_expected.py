"""Expected weights for dev.tfmon.optimizers' tests (OrderedOptimizersTest), from Python TensorFlow.

Run with Python TensorFlow 2.21 (any 2.x with tf.compat.v1 should do):

    python3 tfmon-core/src/test/python/ordered_optimizers_expected.py

The model is the tests': a float32 variable w = [1, -2, 0.5] and the loss sum(w * [1, -3, 0.25]),
so every step sees the same gradient [1, -3, 0.25]. For each optimizer it prints w after 1, 2 and 3
steps, as Java float literals (the shortest that read back as the same float32) and as their bits,
which OrderedOptimizersTest holds.

- Adam and AdagradDA: TensorFlow 1.x's optimizers (tf.compat.v1.train) in a graph-mode session; the
  AdagradDA global step is the one minimize() increments after the update, as in TF 1.x.
- Adamax: TF 1.x had it only in tf.contrib (gone); its update is the ApplyAdaMax kernel with
  beta1_power = beta1^t at step t, which is what the kernel is run with here (raw op, float32).
"""
import struct

import numpy as np
import tensorflow as tf

W0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
C = np.array([1.0, -3.0, 0.25], dtype=np.float32)


def java(values):
    parts = []
    for v in values:
        f = np.float32(v)
        parts.append(np.format_float_positional(f, unique=True, trim="-") + "f")
    bits = ["0x%08x" % struct.unpack("<I", struct.pack("<f", np.float32(v)))[0] for v in values]
    return "{" + ", ".join(parts) + "}  bits " + " ".join(bits)


def tf1(make_optimizer, steps=3, with_global_step=False):
    g = tf.Graph()
    out = []
    with g.as_default():
        w = tf.compat.v1.Variable(W0, name="w", use_resource=False)
        loss = tf.reduce_sum(w * C)
        gs = tf.compat.v1.train.get_or_create_global_step() if with_global_step else None
        opt = make_optimizer(gs)
        train = opt.minimize(loss, global_step=gs)
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            for _ in range(steps):
                s.run(train)
                out.append(s.run(w))
    return out


def adamax(lr, b1, b2, eps, steps=3):
    var = tf.Variable(W0)
    m = tf.Variable(np.zeros(3, np.float32))
    v = tf.Variable(np.zeros(3, np.float32))
    power = np.float32(b1)
    out = []
    for _ in range(steps):
        tf.raw_ops.ResourceApplyAdaMax(
            var=var.handle, m=m.handle, v=v.handle, beta1_power=power, lr=np.float32(lr), beta1=np.float32(b1),
            beta2=np.float32(b2), epsilon=np.float32(eps), grad=C)
        out.append(var.numpy())
        power = np.float32(power * np.float32(b1))
    return out


def show(name, rows):
    print(name)
    for i, r in enumerate(rows):
        print("  after %d: %s" % (i + 1, java(r)))


show("Adam(0.1)", tf1(lambda gs: tf.compat.v1.train.AdamOptimizer(0.1)))
show("Adam(0.05, beta1 0.8, beta2 0.99, epsilon 1e-6)",
     tf1(lambda gs: tf.compat.v1.train.AdamOptimizer(0.05, beta1=0.8, beta2=0.99, epsilon=1e-6)))
show("Adamax(0.1)", adamax(0.1, 0.9, 0.999, 1e-7))
show("Adamax(0.05, beta1 0.8, beta2 0.99, epsilon 1e-6)", adamax(0.05, 0.8, 0.99, 1e-6))
show("AdagradDA(0.5, initial accumulator 0.1, l1 0.01, l2 0.02)",
     tf1(lambda gs: tf.compat.v1.train.AdagradDAOptimizer(
         0.5, gs, initial_gradient_squared_accumulator_value=0.1, l1_regularization_strength=0.01,
         l2_regularization_strength=0.02), with_global_step=True))
