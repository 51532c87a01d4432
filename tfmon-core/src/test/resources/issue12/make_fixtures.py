#!/usr/bin/env python3
"""Writes the expected values of tfmon's streaming metrics and learning-rate schedules (issue 12),
computed by Python TensorFlow's own TF 1.x code paths (tf.compat.v1.metrics.*, the streaming
confusion matrix behind tf.compat.v1.metrics.mean_iou, tf.compat.v1.train.*_decay) in graph mode.

Usage:  python3 make_fixtures.py     (from this directory; rewrites the three CSV files next to it)

Files:
  metric_inputs.csv      the fixed data set: set,batch,value,weight,label_bin,pred_bin,pred_prob,
                         label_cls,pred_cls,reg_label,reg_pred (float32 values, exact decimal form)
  metric_expected.csv    case,stage,batch,element,value: stage 'initial' is the value tensor before
                         any update, 'update' what the update op returned after batch B, 'final' the
                         value tensor after the last batch; element indexes a flattened tensor
  schedule_expected.csv  case,step,value: the float32 learning rate at each step

Tests read only the CSV files; they never run Python.
"""
import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import csv
import numpy as np
import tensorflow as tf

tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1
HERE = os.path.dirname(os.path.abspath(__file__))


def exact(x):
    """The decimal form of a float32 or float64 value that parses back to the same value."""
    return repr(float(x))


# ----------------------------------------------------------------------------------------------
# The data set: three batches of different sizes (so a mean of batch means would differ from the
# streaming mean), probabilities that hit thresholds exactly (0, 0.5, 1), some zero weights.
# ----------------------------------------------------------------------------------------------

def make_inputs():
    rng = np.random.RandomState(12)
    rows = []
    for batch, size in enumerate([7, 5, 4]):
        for _ in range(size):
            rows.append(main_row(rng, batch))
    # Every label negative and no positive prediction: the zero-denominator cases.
    for batch, size in enumerate([3, 2]):
        for _ in range(size):
            prob = np.float32(rng.choice([0.0, 0.1, 0.35]))
            rows.append({
                'set': 'negatives', 'batch': batch,
                'value': np.float32(rng.normal()), 'weight': np.float32(1.0),
                'label_bin': 0, 'pred_bin': 0, 'pred_prob': prob,
                'label_cls': 0, 'pred_cls': 0,
                'reg_label': np.float32(0.0), 'reg_pred': np.float32(0.0)})
    return rows


def main_row(rng, batch):
    label = int(rng.randint(0, 2))
    prob = np.float32(rng.choice([0.0, 0.5, 1.0]) if rng.rand() < 0.25
                      else np.clip(rng.normal(0.3 + 0.4 * label, 0.25), 0.0, 1.0))
    return {
        'set': 'main', 'batch': batch,
        'value': np.float32(rng.normal(1.0, 2.0)),
        'weight': np.float32(0.0 if rng.rand() < 0.2 else rng.uniform(0.1, 2.0)),
        'label_bin': label, 'pred_bin': int(prob > 0.5), 'pred_prob': prob,
        'label_cls': int(rng.randint(0, 3)), 'pred_cls': int(rng.randint(0, 3)),
        'reg_label': np.float32(rng.normal()), 'reg_pred': np.float32(rng.normal())}


COLUMNS = ['set', 'batch', 'value', 'weight', 'label_bin', 'pred_bin', 'pred_prob',
           'label_cls', 'pred_cls', 'reg_label', 'reg_pred']
DTYPES = {'value': tf.float32, 'weight': tf.float32, 'label_bin': tf.int64, 'pred_bin': tf.int64,
          'pred_prob': tf.float32, 'label_cls': tf.int64, 'pred_cls': tf.int64,
          'reg_label': tf.float32, 'reg_pred': tf.float32}


# ----------------------------------------------------------------------------------------------
# The metric cases: name -> (data set, builder). A builder gets a dict of [None] placeholders and
# returns (value, update_op) from TensorFlow's TF 1.x metrics.
# ----------------------------------------------------------------------------------------------

def col(p, name, shape=None):
    return p[name] if shape is None else tf.reshape(p[name], shape)


M = v1.metrics
CASES = {
    'mean': ('main', lambda p: M.mean(p['value'])),
    'mean_weighted': ('main', lambda p: M.mean(p['value'], weights=p['weight'])),
    'mean_scalar_weight': ('main', lambda p: M.mean(p['value'], weights=0.5)),
    'mean_weights_2d': ('main', lambda p: M.mean(p['value'], weights=col(p, 'weight', [-1, 1]))),
    'accuracy': ('main', lambda p: M.accuracy(p['label_cls'], p['pred_cls'])),
    'accuracy_weighted': ('main', lambda p: M.accuracy(p['label_cls'], p['pred_cls'], weights=p['weight'])),
    'accuracy_predictions_2d': ('main', lambda p: M.accuracy(p['label_cls'], col(p, 'pred_cls', [-1, 1]))),
    'precision': ('main', lambda p: M.precision(p['label_bin'], p['pred_bin'])),
    'precision_weighted': ('main', lambda p: M.precision(p['label_bin'], p['pred_bin'], weights=p['weight'])),
    'precision_negatives': ('negatives', lambda p: M.precision(p['label_bin'], p['pred_bin'])),
    'recall': ('main', lambda p: M.recall(p['label_bin'], p['pred_bin'])),
    'recall_weighted': ('main', lambda p: M.recall(p['label_bin'], p['pred_bin'], weights=p['weight'])),
    'recall_negatives': ('negatives', lambda p: M.recall(p['label_bin'], p['pred_bin'])),
    'auc_roc': ('main', lambda p: M.auc(p['label_bin'], p['pred_prob'])),
    'auc_roc_weighted': ('main', lambda p: M.auc(p['label_bin'], p['pred_prob'], weights=p['weight'])),
    'auc_roc_11_minoring': ('main', lambda p: M.auc(p['label_bin'], p['pred_prob'], num_thresholds=11,
                                                     summation_method='minoring')),
    'auc_roc_11_majoring': ('main', lambda p: M.auc(p['label_bin'], p['pred_prob'], num_thresholds=11,
                                                     summation_method='majoring')),
    'auc_roc_thresholds': ('main', lambda p: M.auc(p['label_bin'], p['pred_prob'],
                                                    thresholds=[0.75, 0.25, 0.5])),
    'auc_pr_careful': ('main', lambda p: M.auc(p['label_bin'], p['pred_prob'], curve='PR',
                                                summation_method='careful_interpolation')),
    'auc_pr_careful_weighted_50': ('main', lambda p: M.auc(p['label_bin'], p['pred_prob'], curve='PR',
                                                            num_thresholds=50, weights=p['weight'],
                                                            summation_method='careful_interpolation')),
    'auc_pr_trapezoidal': ('main', lambda p: M.auc(p['label_bin'], p['pred_prob'], curve='PR')),
    'auc_roc_negatives': ('negatives', lambda p: M.auc(p['label_bin'], p['pred_prob'])),
    'auc_pr_careful_negatives': ('negatives', lambda p: M.auc(p['label_bin'], p['pred_prob'], curve='PR',
                                                              summation_method='careful_interpolation')),
    'mse': ('main', lambda p: M.mean_squared_error(p['reg_label'], p['reg_pred'])),
    'mse_weighted': ('main', lambda p: M.mean_squared_error(p['reg_label'], p['reg_pred'], weights=p['weight'])),
    'confusion_matrix': ('main', lambda p: confusion(p, None)),
    'confusion_matrix_weighted': ('main', lambda p: confusion(p, p['weight'])),
}


def confusion(p, weights):
    # tf.compat.v1.metrics has no public streaming confusion matrix; this is the one mean_iou uses.
    from tensorflow.python.ops import metrics_impl
    total, update = metrics_impl._streaming_confusion_matrix(
        p['label_cls'], p['pred_cls'], 3, weights=weights)
    return total, update


def run_metric_cases(rows):
    out = []
    for case, (data_set, build) in CASES.items():
        batches = sorted({r['batch'] for r in rows if r['set'] == data_set})
        with tf.Graph().as_default():
            p = {name: v1.placeholder(dtype, [None], name=name) for name, dtype in DTYPES.items()}
            value, update = build(p)
            with v1.Session() as s:
                s.run(v1.local_variables_initializer())
                out += flat(case, 'initial', '', s.run(value))
                for b in batches:
                    chosen = [r for r in rows if r['set'] == data_set and r['batch'] == b]
                    feed = {p[n]: np.array([r[n] for r in chosen], dtype=DTYPES[n].as_numpy_dtype)
                            for n in DTYPES}
                    out += flat(case, 'update', b, s.run(update, feed))
                out += flat(case, 'final', '', s.run(value))
    return out


def flat(case, stage, batch, array):
    return [[case, stage, batch, i, exact(x)] for i, x in enumerate(np.asarray(array).reshape(-1))]


# ----------------------------------------------------------------------------------------------
# Learning-rate schedules at chosen steps, over an int64 global step as tf.train would see it.
# ----------------------------------------------------------------------------------------------

T = v1.train
SCHEDULES = {
    'exponential': lambda g: T.exponential_decay(0.1, g, 100, 0.96),
    'exponential_staircase': lambda g: T.exponential_decay(0.1, g, 100, 0.96, staircase=True),
    'piecewise_constant': lambda g: T.piecewise_constant(g, [100, 200], [1.0, 0.5, 0.1]),
    'polynomial': lambda g: T.polynomial_decay(0.1, g, 1000, 0.01, power=0.5),
    'polynomial_cycle': lambda g: T.polynomial_decay(0.1, g, 1000, 0.01, power=2.0, cycle=True),
    'cosine': lambda g: T.cosine_decay(0.1, g, 1000),
    'cosine_alpha': lambda g: T.cosine_decay(0.1, g, 1000, alpha=0.1),
    'cosine_restarts': lambda g: T.cosine_decay_restarts(0.1, g, 100),
    'cosine_restarts_tmul1_mmul': lambda g: T.cosine_decay_restarts(0.1, g, 100, t_mul=1.0,
                                                                   m_mul=0.5, alpha=0.1),
    'inverse_time': lambda g: T.inverse_time_decay(0.1, g, 100, 0.5),
    'inverse_time_staircase': lambda g: T.inverse_time_decay(0.1, g, 100, 0.5, staircase=True),
    'natural_exp': lambda g: T.natural_exp_decay(0.1, g, 100, 0.5),
    'natural_exp_staircase': lambda g: T.natural_exp_decay(0.1, g, 100, 0.5, staircase=True),
    'warmup_exponential': lambda g: bert_warmup(T.exponential_decay(0.1, g, 100, 0.96), g, 50, 0.1),
}
STEPS = [0, 1, 25, 50, 99, 100, 101, 150, 200, 201, 250, 300, 700, 999, 1000, 1500, 2500]


def bert_warmup(rate, global_step, warmup_steps, peak):
    # Linear warm-up as Google's BERT (TF 1.x) writes it in optimization.create_optimizer.
    step = tf.cast(tf.cast(global_step, tf.int32), tf.float32)
    warm = tf.constant(warmup_steps, dtype=tf.int32)
    warmup_rate = peak * (step / tf.cast(warm, tf.float32))
    is_warmup = tf.cast(tf.cast(global_step, tf.int32) < warm, tf.float32)
    return (1.0 - is_warmup) * rate + is_warmup * warmup_rate


def run_schedules():
    out = []
    for case, build in SCHEDULES.items():
        with tf.Graph().as_default():
            step = v1.placeholder(tf.int64, [], name='global_step')
            rate = build(step)
            with v1.Session() as s:
                for k in STEPS:
                    out.append([case, k, exact(np.float32(s.run(rate, {step: k})))])
    return out


def write(name, header, rows):
    with open(os.path.join(HERE, name), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(header)
        w.writerows(rows)


def main():
    rows = make_inputs()
    write('metric_inputs.csv', COLUMNS,
          [[r['set'], r['batch']] + [exact(r[c]) if DTYPES[c] == tf.float32 else r[c]
                                     for c in COLUMNS[2:]] for r in rows])
    write('metric_expected.csv', ['case', 'stage', 'batch', 'element', 'value'], run_metric_cases(rows))
    write('schedule_expected.csv', ['case', 'step', 'value'], run_schedules())
    print('TensorFlow', tf.__version__, tf.version.GIT_VERSION, 'numpy', np.__version__)


if __name__ == '__main__':
    main()
