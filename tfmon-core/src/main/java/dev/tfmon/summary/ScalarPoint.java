package dev.tfmon.summary;

/**
 * One scalar of a TensorBoard run: a summary value's tag, the event's step and wall time, and the
 * value (float32 values are widened exactly).
 *
 * <pre>{@code
 * ScalarPoint p = ScalarSeries.of(events).get(0);
 * System.out.printf("%s@%d = %g%n", p.tag(), p.step(), p.value());
 * }</pre>
 */
public record ScalarPoint(String tag, long step, double wallTime, double value) {}
