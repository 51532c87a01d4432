#!/usr/bin/env python3
"""Writes the checkpoint fixtures of tfmon-core's tests with real Python TensorFlow.

Usage (from the repository root):
    python3 tfmon-core/src/test/python/make_checkpoint_fixtures.py

Output, each folder with a PROVENANCE.md of the values a reader must find:
    tfmon-core/src/test/resources/fixtures/partitioned/   TF1 graph mode, fixed_size_partitioner
    tfmon-core/src/test/resources/fixtures/object-graph/  a TF2 tf.train.Checkpoint (object graph)

Tested with tensorflow-cpu 2.21.0. Inputs are seeded or constant, so a rerun writes the same tensors;
the `checkpoint` state file carries no time (TF1 Savers write none). Each part runs in its own Python
process: the TF1 part turns v2 behaviour off, the TF2 part needs eager execution.
"""
import os
import struct
import subprocess
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, '..', 'resources', 'fixtures'))
SCRIPT = 'tfmon-core/src/test/python/make_checkpoint_fixtures.py'
TRUE_W = [1.0, -2.0, 3.0, 0.5, -1.0, 2.0]
TRUE_B = 0.25
TABLE = np.arange(15, dtype=np.float32).reshape(5, 3) * 0.5 - 1.0
VOCAB = [b'alpha', b'tab\t"quoted"\n', b'\x00\x01\xfe\xff raw']


# ------------------------------------------------------------------------------------------------
# Reading a .index file without TensorFlow, to list its raw entries (keys of slices are binary).
# ------------------------------------------------------------------------------------------------

def _uvarint(buf, pos):
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _table_block(data, offset, size):
    block = data[offset:offset + size]
    (restarts,) = struct.unpack('<I', block[-4:])
    end = len(block) - 4 - 4 * restarts
    pos, key, out = 0, b'', []
    while pos < end:
        shared, pos = _uvarint(block, pos)
        unshared, pos = _uvarint(block, pos)
        vlen, pos = _uvarint(block, pos)
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        out.append((key, block[pos:pos + vlen]))
        pos += vlen
    return out


def index_entries(path):
    """[(key bytes, BundleEntryProto)] of a tensor bundle's .index, header excluded."""
    from tensorflow.core.protobuf import tensor_bundle_pb2
    with open(path, 'rb') as f:
        data = f.read()
    footer = data[-48:]
    pos = 0
    _, pos = _uvarint(footer, pos)
    _, pos = _uvarint(footer, pos)
    index_offset, pos = _uvarint(footer, pos)
    index_size, pos = _uvarint(footer, pos)
    entries = []
    for _, handle in _table_block(data, index_offset, index_size):
        offset, p = _uvarint(handle, 0)
        size, _ = _uvarint(handle, p)
        for key, value in _table_block(data, offset, size):
            if key:
                entries.append((key, tensor_bundle_pb2.BundleEntryProto.FromString(value)))
    return entries


# ------------------------------------------------------------------------------------------------
# Text helpers
# ------------------------------------------------------------------------------------------------

def versions():
    import platform
    import tensorflow as tf
    return 'TensorFlow %s (git %s), numpy %s, Python %s on %s' % (
        tf.__version__, tf.version.GIT_VERSION, np.__version__, platform.python_version(),
        platform.machine())


def show(values, dtype):
    flat = np.asarray(values).reshape(-1)
    if dtype == 'string':
        return '[' + ', '.join(repr(bytes(v)) for v in flat) + ']'
    if dtype == 'int64':
        return '[' + ', '.join(str(int(v)) for v in flat) + ']'
    return '[' + ', '.join('%.9g' % float(v) for v in flat) + ']'


def extents(slice_proto):
    return ':'.join('%d,%d' % (e.start, e.length) if e.HasField('length') else '-'
                    for e in slice_proto.extent)


def checkpoint_lines(prefix, folder):
    import tensorflow as tf
    from tensorflow.core.framework import types_pb2
    reader = tf.train.load_checkpoint(prefix)
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    out = ['Tensors as `tf.train.load_checkpoint(%r)` lists them (a sliced variable once, with its '
           'full shape; values row-major):' % os.path.relpath(prefix, folder), '',
           '| name | dtype | shape | values |', '|---|---|---|---|']
    for name in sorted(shapes):
        value = reader.get_tensor(name)
        if name == '_CHECKPOINTABLE_OBJECT_GRAPH':
            shown = 'a serialized TrackableObjectGraph, %d bytes' % len(value)
        else:
            shown = show(value, dtypes[name].name)
        out.append('| `%s` | %s | %s | %s |' % (name, dtypes[name].name, list(shapes[name]), shown))
    out += ['', 'Raw entries of `%s.index` in table order (a key that is not printable is shown as '
            'hex: TensorFlow names a stored slice by an OrderedCode of 0, the full name, the rank and '
            'a signed start and length per dimension, full dimensions as start 0, length -1; '
            '`slices` lists the TensorSliceProto extents of a full entry, `-` for a full '
            'dimension):' % os.path.basename(prefix), '',
            '| key | dtype | shape | shard | offset | size | crc32c (masked) | slices |',
            '|---|---|---|---|---|---|---|---|']
    for key, e in index_entries(prefix + '.index'):
        try:
            text = key.decode('ascii')
            shown_key = '`%s`' % text if text.isprintable() else 'hex `%s`' % key.hex()
        except UnicodeDecodeError:
            shown_key = 'hex `%s`' % key.hex()
        out.append('| %s | %s | %s | %d | %d | %d | 0x%08x | %s |' % (
            shown_key, types_pb2.DataType.Name(e.dtype), [d.size for d in e.shape.dim], e.shard_id,
            e.offset, e.size, e.crc32c, '; '.join(extents(s) for s in e.slices) or '-'))
    files = sorted(f for f in os.listdir(folder) if f.startswith(os.path.basename(prefix) + '.'))
    out += ['', 'Files: ' + ', '.join('`%s` (%d bytes)' % (f, os.path.getsize(os.path.join(folder, f)))
                                      for f in files)]
    return out


def write(folder, title, sections):
    lines = ['# %s' % title, '', 'Made by `python3 %s` with %s.' % (SCRIPT, versions()), '']
    for s in sections:
        lines += s if isinstance(s, list) else [s]
        lines.append('')
    with open(os.path.join(folder, 'PROVENANCE.md'), 'w') as f:
        f.write('\n'.join(lines).rstrip('\n') + '\n')


def empty(folder):
    import shutil
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)


# ------------------------------------------------------------------------------------------------
# partitioned: a TF1 linear model whose weights are split by fixed_size_partitioner(3)
# ------------------------------------------------------------------------------------------------

def data():
    rng = np.random.RandomState(7)
    x = rng.standard_normal((48, 6)).astype(np.float32)
    y = (x.astype(np.float64) @ np.array(TRUE_W) + TRUE_B).astype(np.float32).reshape(-1, 1)
    return x, y


def table_init(shape, dtype=None, partition_info=None):
    import tensorflow as tf
    start = partition_info.var_offset if partition_info is not None else [0, 0]
    return tf.constant(TABLE[start[0]:start[0] + shape[0], start[1]:start[1] + shape[1]])


def part_partitioned():
    import tensorflow as tf
    tf.compat.v1.disable_v2_behavior()
    folder = os.path.join(OUT, 'partitioned')
    empty(folder)
    x, y = data()
    with open(os.path.join(folder, 'data.csv'), 'w') as f:
        f.write('f0,f1,f2,f3,f4,f5,y\n')
        for r in range(x.shape[0]):
            f.write(','.join('%.9g' % v for v in list(x[r]) + [y[r, 0]]) + '\n')
    g = tf.Graph()
    with g.as_default():
        xp = tf.compat.v1.placeholder(tf.float32, [None, 6], name='x')
        yp = tf.compat.v1.placeholder(tf.float32, [None, 1], name='y')
        w = tf.compat.v1.get_variable('w', [6, 1], tf.float32, initializer=tf.compat.v1.zeros_initializer(),
                                      partitioner=tf.compat.v1.fixed_size_partitioner(3))
        b = tf.compat.v1.get_variable('b', [1], tf.float32, initializer=tf.compat.v1.zeros_initializer())
        table = tf.compat.v1.get_variable('table', [5, 3], tf.float32, initializer=table_init,
                                          partitioner=tf.compat.v1.fixed_size_partitioner(3),
                                          trainable=False)
        vocab = tf.compat.v1.get_variable('vocab', initializer=tf.constant(VOCAB), trainable=False)
        gs = tf.compat.v1.train.get_or_create_global_step()
        pred = tf.add(tf.matmul(xp, tf.concat(list(w), axis=0)), b, name='pred')
        loss = tf.reduce_mean(tf.square(pred - yp), name='loss')
        train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=gs,
                                                                              name='train_op')
        if train_op not in tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.TRAIN_OP):
            tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.TRAIN_OP, train_op)
        init = tf.compat.v1.global_variables_initializer()
        saver = tf.compat.v1.train.Saver(max_to_keep=3, save_relative_paths=True)
        losses, saved = [], []
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(init)
            names = [n.decode() for n in sess.run('save/RestoreV2/tensor_names:0')]
            specs = [s.decode() for s in sess.run('save/RestoreV2/shape_and_slices:0')]
            for step in range(1, 21):
                value, _ = sess.run([loss, train_op], {xp: x, yp: y})
                losses.append(value)
                if step % 10 == 0:
                    saved.append(saver.save(sess, os.path.join(folder, 'model.ckpt'), global_step=gs))
        parts = {v.op.name: v.shape.as_list() for v in list(w) + list(table)}
        restore_targets = []
        for i in range(len(names)):
            assign = [op for op in g.get_operations() if op.type == 'Assign'
                      and op.name.startswith('save/Assign')
                      and op.inputs[1].name == ('save/RestoreV2:%d' % i)][0]
            restore_targets.append('`%s` `%s` -> `%s`' % (names[i], specs[i] or '""', assign.inputs[0].op.name))
    # Continue from the newest checkpoint through its .meta, as a Java resume must.
    g2 = tf.Graph()
    with g2.as_default():
        s2 = tf.compat.v1.train.import_meta_graph(saved[-1] + '.meta')
        op = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.TRAIN_OP)[0]
        with tf.compat.v1.Session(graph=g2) as sess:
            s2.restore(sess, saved[-1])
            more = [sess.run(['loss:0', op], {'x:0': x, 'y:0': y})[0] for _ in range(10)]
            parts_after = sess.run(['w/part_0:0', 'w/part_1:0', 'w/part_2:0', 'b:0', 'global_step:0'])
    with open(os.path.join(folder, 'checkpoint')) as f:
        state = f.read()
    sections = [
        'A TF1 graph-mode linear regression whose weight matrix is a partitioned variable, saved by '
        'a plain `tf.compat.v1.train.Saver(max_to_keep=3, save_relative_paths=True)`.',
        'Data: `data.csv`, 48 rows, header `f0..f5,y`, values printed with 9 significant digits '
        '(they parse back to the exact float32 fed). x = `np.random.RandomState(7).standard_normal((48, '
        '6))` as float32, y = x·%s + %s in float64 rounded to float32. Every step feeds all rows.'
        % (TRUE_W, TRUE_B),
        'Graph: placeholders `x` float32 [None, 6] and `y` float32 [None, 1]; '
        '`w = get_variable("w", [6, 1], zeros, partitioner=fixed_size_partitioner(3))`, so three '
        'VariableV2 ops %s; `b` [1] zeros; `table = get_variable("table", [5, 3], '
        'partitioner=fixed_size_partitioner(3), trainable=False)` initialized from the full matrix '
        '`arange(15).reshape(5, 3) * 0.5 - 1` (parts of uneven size); `vocab`, a string [3] '
        'variable %s; `global_step`; `pred = matmul(x, concat(w parts)) + b`, `loss` = mean squared '
        'error, `train_op` = GradientDescentOptimizer(0.1).minimize(loss, global_step).'
        % (', '.join('`%s` %s' % kv for kv in sorted(parts.items())[3:]), show(VOCAB, 'string')),
        'Table parts: %s.' % ', '.join('`%s` %s' % kv for kv in sorted(parts.items())[:3]),
        'The saver stores each partitioned variable as slices of one full tensor. Its restore op '
        '`save/RestoreV2` reads (tensor name, shape_and_slices, assigned to):',
        ['- ' + t for t in restore_targets],
        'Losses of steps 1..20 (fetched with each train run, so before that step\'s update): %s.'
        % ', '.join('%.9g' % v for v in losses),
    ]
    for p in saved:
        sections.append('## Checkpoint `%s`' % os.path.basename(p))
        sections.append(checkpoint_lines(p, folder))
    sections += [
        '## Checkpoint state file, verbatim',
        ['```'] + state.rstrip('\n').split('\n') + ['```'],
        '## Continuing training',
        '`import_meta_graph("%s.meta")`, `restore`, then 10 runs of the `train_op` collection\'s op '
        'feeding all of data.csv. Losses (before each update): %s. After them: w/part_0 = %s, '
        'w/part_1 = %s, w/part_2 = %s, b = %s, global_step = %d.' % (
            os.path.basename(saved[-1]), ', '.join('%.9g' % v for v in more),
            show(parts_after[0], 'f'), show(parts_after[1], 'f'), show(parts_after[2], 'f'),
            show(parts_after[3], 'f'), parts_after[4]),
    ]
    write(folder, 'partitioned: fixed_size_partitioner variables saved as slices', sections)


# ------------------------------------------------------------------------------------------------
# object-graph: a TF2 object-based checkpoint (tf.train.Checkpoint)
# ------------------------------------------------------------------------------------------------

def part_object_graph():
    import tensorflow as tf
    folder = os.path.join(OUT, 'object-graph')
    empty(folder)

    class Dense(tf.Module):
        def __init__(self):
            super().__init__()
            self.kernel = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name='kernel')
            self.bias = tf.Variable([0.5, -0.5], name='bias')

    model = Dense()
    step = tf.Variable(7, dtype=tf.int64, name='step')
    ckpt = tf.train.Checkpoint(model=model, step=step)
    path = ckpt.write(os.path.join(folder, 'ckpt'))
    reader = tf.train.load_checkpoint(path)
    from tensorflow.core.protobuf import trackable_object_graph_pb2
    graph = trackable_object_graph_pb2.TrackableObjectGraph.FromString(
        reader.get_tensor('_CHECKPOINTABLE_OBJECT_GRAPH'))
    nodes = []
    for i, node in enumerate(graph.nodes):
        children = ', '.join('%s -> node %d' % (c.local_name, c.node_id) for c in node.children)
        attrs = ', '.join('%s = `%s`' % (a.name, a.checkpoint_key) for a in node.attributes)
        nodes.append('- node %d: children [%s]; attributes [%s]' % (i, children, attrs))
    write(folder, 'object-graph: a TF2 tf.train.Checkpoint', [
        'Eager TF2: `tf.train.Checkpoint(model=Dense(), step=tf.Variable(7, int64))` where `Dense` is '
        'a `tf.Module` with `kernel` [[1, 2], [3, 4]] and `bias` [0.5, -0.5]; written with '
        '`ckpt.write("<dir>/ckpt")` (no state file, no counter suffix).',
        '## Checkpoint `ckpt`',
        checkpoint_lines(path, folder),
        'The string scalar `_CHECKPOINTABLE_OBJECT_GRAPH` parses as a TrackableObjectGraph of %d nodes '
        '(node 0 is the Checkpoint itself):' % len(graph.nodes),
        nodes,
    ])


PARTS = {'partitioned': part_partitioned, 'object-graph': part_object_graph}


def main(argv):
    if len(argv) == 2 and argv[0] == '--part':
        PARTS[argv[1]]()
        return 0
    for name in PARTS:
        print('== %s' % name, flush=True)
        subprocess.run([sys.executable, os.path.abspath(__file__), '--part', name], check=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
