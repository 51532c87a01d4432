"""Checks by hand that Python TensorFlow loads a tfmon SavedModel export and predicts what tfmon
predicted. Not run by the tests (they never need Python).

    python3 check_saved_model.py EXPORT_DIR ROWS.csv [TFMON_PREDICTIONS.csv]

EXPORT_DIR is one export (<base>/<version>). ROWS.csv is what was given to `tfmon predict --data`:
the signature's single input takes its first columns. TFMON_PREDICTIONS.csv is the output of
`tfmon predict` on the same rows; each output column is compared with Python's.

The model is loaded twice, with the TF2 API (tf.saved_model.load, the serving_default
signature as a function) and the TF1 API (tf.compat.v1.saved_model.loader.load into a session).
"""
import sys

import numpy as np
import tensorflow as tf


def main(export_dir, rows_csv, tfmon_csv=None):
    rows = np.loadtxt(rows_csv, delimiter=",", skiprows=1, ndmin=2)

    loaded = tf.saved_model.load(export_dir)
    fn = loaded.signatures["serving_default"]
    (key, spec), = fn.structured_input_signature[1].items()
    width = spec.shape[1] if spec.shape.rank == 2 else 1
    x = rows[:, :width].astype(spec.dtype.as_numpy_dtype)
    if spec.shape.rank == 1:
        x = x[:, 0]
    tf2 = {k: v.numpy() for k, v in fn(**{key: tf.constant(x)}).items()}
    print("TF2 tf.saved_model.load: signature inputs", {key: (spec.dtype.name, spec.shape.as_list())},
          "outputs", {k: (v.dtype.name, list(v.shape)) for k, v in tf2.items()})

    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], export_dir)
        sig = meta.signature_def["serving_default"]
        names = sorted(sig.outputs)
        values = sess.run([sig.outputs[k].name for k in names], {sig.inputs[key].name: x})
        tf1 = dict(zip(names, values))
    for k in names:
        same = np.array_equal(tf1[k], tf2[k])
        print(f"TF1 loader vs TF2 load, output {k}: {'identical' if same else 'DIFFERENT'}")

    if tfmon_csv is not None:
        header = open(tfmon_csv).readline().strip().split(",")
        java = np.loadtxt(tfmon_csv, delimiter=",", skiprows=1, ndmin=2)
        for k in names:
            cols = [i for i, h in enumerate(header) if h == k or h.startswith(k + "_")]
            mine = tf2[k].reshape(len(rows), -1).astype(np.float64)
            diff = np.max(np.abs(java[:, cols] - mine))
            print(f"output {k}: max |tfmon predict - Python| = {diff:g} over {mine.size} values")
    for k in names:
        print(f"first rows of {k}:", tf2[k][:3].tolist())


if __name__ == "__main__":
    main(*sys.argv[1:])
