"""Times Python TensorFlow's event file writer on the same workload as EventWriterBench's scalar rows.

    python3 time_event_writer.py [EVENTS] [ROUNDS]

Builds EVENTS scalar-summary events up front (one simple_value each, tag "loss"), then per round
opens a tf.compat.v1.summary.FileWriter on a fresh directory (its default max_queue of 10, as
tfmon's default) and times add_event of every event plus close(), which writes and flushes
everything. Prints the events per second of each round and their median. Not run by the tests.
"""
import statistics
import sys
import tempfile
import time

import tensorflow as tf
from tensorflow.core.framework import summary_pb2
from tensorflow.core.util import event_pb2


def main(events=200000, rounds=7):
    tf.compat.v1.disable_eager_execution()
    batch = [
        event_pb2.Event(
            wall_time=1.0,
            step=i,
            summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="loss", simple_value=float(i))]),
        )
        for i in range(events)
    ]
    rates = []
    for r in range(rounds):
        writer = tf.compat.v1.summary.FileWriter(tempfile.mkdtemp(prefix="py-events-"))
        start = time.perf_counter()
        for e in batch:
            writer.add_event(e)
        writer.close()
        rates.append(events / (time.perf_counter() - start))
        print("round %d: %.0f events/s" % (r + 1, rates[-1]))
    print("Python FileWriter (queue 10), %d scalar events: median %.0f events/s" % (events, statistics.median(rates)))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
