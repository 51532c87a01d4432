package dev.tfmon.eval;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.CheckpointState;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.errors.TensorFlowStatusException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints of a training directory as they appear: TensorFlow 1.x's {@code
 * checkpoints_iterator}. Each new checkpoint is yielded once; between checkpoints the iterator
 * waits, polling the {@code checkpoint} state file. It ends after {@code timeout} without a new
 * checkpoint, or once {@code until} says training is over (after one last look, so the final
 * checkpoint is not missed), or after a checkpoint at or past {@code lastStep}.
 *
 * <pre>{@code
 * for (String checkpoint : CheckpointsIterator.of(Path.of("/train"), Duration.ofMinutes(10))) {
 *   evaluation.once(checkpoint);
 * }
 * }</pre>
 *
 * <p>Beyond TF 1.x, which yields only the newest checkpoint at each look (so a slow evaluator
 * skips some), this yields every checkpoint the state file lists, oldest first ({@code
 * latestOnly(true)} restores TF's behaviour). Nothing half-written is yielded: a checkpoint counts
 * only once the state file names it (savers update it after the files are complete) and its index
 * and data files are there and long enough; one that fails that check is looked at again at the
 * next poll and skipped (logged) once the state file no longer lists it or after {@link
 * Builder#verifyAttempts}. Not thread-safe; {@link #iterator()} starts over.
 */
public final class CheckpointsIterator implements Iterable<String> {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointsIterator.class);

  private final Path dir;
  private final Duration timeout;
  private final Duration pollInterval;
  private final Duration minInterval;
  private final BooleanSupplier until;
  private final Predicate<String> skip;
  private final boolean latestOnly;
  private final Long lastStep;
  private final int verifyAttempts;
  private final LongSupplier nanoClock;
  private final Sleeper sleeper;

  /** How the iterator waits (tests may pass their own). */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private CheckpointsIterator(Builder b) {
    this.dir = b.dir;
    this.timeout = b.timeout;
    this.pollInterval = b.pollInterval;
    this.minInterval = b.minInterval;
    this.until = b.until;
    this.skip = b.skip;
    this.latestOnly = b.latestOnly;
    this.lastStep = b.lastStep;
    this.verifyAttempts = b.verifyAttempts;
    this.nanoClock = b.nanoClock;
    this.sleeper = b.sleeper;
  }

  /** Every new checkpoint of {@code dir} until none comes for {@code timeout}. */
  public static CheckpointsIterator of(Path dir, Duration timeout) {
    return builder(dir).timeout(timeout).build();
  }

  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  /** The directory watched. */
  public Path directory() {
    return dir;
  }

  @Override
  public Iterator<String> iterator() {
    return new Walk();
  }

  /** One pass: the state of the waiting loop. */
  private final class Walk implements Iterator<String> {
    private final Set<String> yielded = new HashSet<>();
    private final Map<String, Integer> failedChecks = new HashMap<>();
    private final Deque<String> ready = new ArrayDeque<>();
    private String lastYielded;
    private long lastNewNanos = nanoClock.getAsLong();
    private long lastYieldNanos = Long.MIN_VALUE;
    private boolean finished;

    @Override
    public boolean hasNext() {
      if (!ready.isEmpty()) {
        return true;
      }
      if (finished) {
        return false;
      }
      try {
        waitForNext();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        LOG.info("stopped waiting for checkpoints in {}: interrupted", dir);
        finished = true;
      }
      return !ready.isEmpty();
    }

    @Override
    public String next() {
      if (!hasNext()) {
        throw new NoSuchElementException("no more checkpoints in " + dir);
      }
      String path = ready.poll();
      yielded.add(path);
      lastYielded = path;
      lastYieldNanos = nanoClock.getAsLong();
      if (lastStep != null) {
        OptionalLong step = CheckpointStep.of(path);
        if (step.isPresent() && step.getAsLong() >= lastStep) {
          LOG.info("checkpoint {} is at step {} >= last step {}: no more checkpoints", path, step.getAsLong(), lastStep);
          finished = true;
          ready.clear();
        }
      }
      return path;
    }

    private void waitForNext() throws InterruptedException {
      if (minInterval.toNanos() > 0 && lastYieldNanos != Long.MIN_VALUE) {
        long left = lastYieldNanos + minInterval.toNanos() - nanoClock.getAsLong();
        if (left > 0) {
          sleeper.sleep(Duration.ofNanos(left));
        }
      }
      boolean lastLook = false;
      while (true) {
        poll();
        if (!ready.isEmpty()) {
          lastNewNanos = nanoClock.getAsLong();
          return;
        }
        if (lastLook) {
          finished = true;
          return;
        }
        if (until != null && until.getAsBoolean()) {
          // training says it is over: one more look, for a checkpoint written just before
          LOG.info("training in {} is over; looking for checkpoints one last time", dir);
          lastLook = true;
          continue;
        }
        if (timeout != null && nanoClock.getAsLong() - lastNewNanos + pollInterval.toNanos() > timeout.toNanos()) {
          LOG.info("no new checkpoint in {} for {}: done", dir, timeout);
          finished = true;
          return;
        }
        sleeper.sleep(pollInterval);
      }
    }

    /** Looks at the state file once and queues the checkpoints that are new and complete. */
    private void poll() {
      List<String> listed = listed();
      if (listed.isEmpty()) {
        return;
      }
      List<String> candidates = new ArrayList<>();
      if (latestOnly) {
        String latest = listed.get(listed.size() - 1);
        if (!latest.equals(lastYielded) && !yielded.contains(latest)) {
          candidates.add(latest);
        }
      } else {
        // after the newest one yielded, in the state file's order (oldest first)
        int from = 0;
        for (int i = listed.size() - 1; i >= 0; i--) {
          if (yielded.contains(listed.get(i))) {
            from = i + 1;
            break;
          }
        }
        candidates.addAll(listed.subList(from, listed.size()));
      }
      failedChecks.keySet().removeIf(p -> !listed.contains(p));
      for (String path : candidates) {
        if (yielded.contains(path)) {
          continue;
        }
        if (skip != null && skip.test(path)) {
          yielded.add(path);
          continue;
        }
        Optional<String> problem = incomplete(path);
        if (problem.isPresent()) {
          int n = failedChecks.merge(path, 1, Integer::sum);
          if (n >= verifyAttempts) {
            LOG.warn("skipping checkpoint {}: {} (after {} looks)", path, problem.get(), n);
            yielded.add(path);
            failedChecks.remove(path);
            continue;
          }
          // later ones wait for it: order is kept
          LOG.debug("checkpoint {} is not complete yet: {}", path, problem.get());
          return;
        }
        failedChecks.remove(path);
        LOG.info("found new checkpoint {}", path);
        ready.add(path);
      }
    }

    private List<String> listed() {
      Optional<CheckpointState> state;
      try {
        state = Checkpoints.checkpointState(dir);
      } catch (IllegalArgumentException e) {
        LOG.warn("{}", e.getMessage());
        return List.of();
      }
      if (state.isEmpty()) {
        return List.of();
      }
      List<String> all = new ArrayList<>(state.get().allModelCheckpointPaths());
      String model = state.get().modelCheckpointPath();
      all.remove(model);
      all.add(model);
      return all;
    }
  }

  /** Why {@code path} cannot be read as a whole checkpoint yet, if it cannot. */
  private static Optional<String> incomplete(String path) {
    try (CheckpointReader reader = CheckpointReader.open(path)) {
      reader.verifyLengths();
      return Optional.empty();
    } catch (TensorFlowStatusException | IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Settings of a {@link CheckpointsIterator}, checked at {@link #build()}.
   *
   * <pre>{@code
   * CheckpointsIterator it = CheckpointsIterator.builder(dir)
   *     .timeout(Duration.ofMinutes(30)).until(() -> trainingFinished()).build();
   * }</pre>
   */
  public static final class Builder {
    private final Path dir;
    private Duration timeout;
    private Duration pollInterval = Duration.ofSeconds(1);
    private Duration minInterval = Duration.ZERO;
    private BooleanSupplier until;
    private Predicate<String> skip;
    private boolean latestOnly;
    private Long lastStep;
    private int verifyAttempts = 30;
    private LongSupplier nanoClock = System::nanoTime;
    private Sleeper sleeper = d -> Thread.sleep(Math.max(1, d.toMillis()));

    private Builder(Path dir) {
      this.dir = Objects.requireNonNull(dir, "dir");
    }

    /** End after this long without a new checkpoint (default: wait forever, TF's None). */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** How often the state file is read while waiting (default 1 s, TF's seconds_to_sleep). */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = interval;
      return this;
    }

    /** At least this long between two yields (TF's min_interval_secs; default 0). */
    public Builder minInterval(Duration interval) {
      this.minInterval = interval;
      return this;
    }

    /**
     * Asked whenever a look finds nothing new: once it returns true, the iterator looks one last
     * time and ends (TF's {@code timeout_fn}, asked more often).
     */
    public Builder until(BooleanSupplier trainingDone) {
      this.until = trainingDone;
      return this;
    }

    /** Checkpoints to pass over without yielding (e.g. those already evaluated). */
    public Builder skip(Predicate<String> alreadyDone) {
      this.skip = alreadyDone;
      return this;
    }

    /** Yield only the newest checkpoint at each look, as TF 1.x does (default false: every one). */
    public Builder latestOnly(boolean latest) {
      this.latestOnly = latest;
      return this;
    }

    /** End after yielding a checkpoint at this global step or later (Estimator's max_steps). */
    public Builder lastStep(long step) {
      this.lastStep = step;
      return this;
    }

    /** How many looks a listed but incomplete checkpoint gets before it is skipped (default 30). */
    public Builder verifyAttempts(int attempts) {
      this.verifyAttempts = attempts;
      return this;
    }

    /** The time source and sleeper (tests pass fakes). */
    public Builder clock(LongSupplier nanos, Sleeper sleep) {
      this.nanoClock = Objects.requireNonNull(nanos, "nanos");
      this.sleeper = Objects.requireNonNull(sleep, "sleep");
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the setting and value, for a negative or zero
     *     duration or attempt count
     */
    public CheckpointsIterator build() {
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        throw new IllegalArgumentException("expected a positive timeout, but got " + timeout);
      }
      if (pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()) {
        throw new IllegalArgumentException("expected a positive pollInterval, but got " + pollInterval);
      }
      if (minInterval == null || minInterval.isNegative()) {
        throw new IllegalArgumentException("expected a non-negative minInterval, but got " + minInterval);
      }
      if (verifyAttempts < 1) {
        throw new IllegalArgumentException("expected verifyAttempts >= 1, but got " + verifyAttempts);
      }
      return new CheckpointsIterator(this);
    }
  }
}
