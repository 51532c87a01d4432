package dev.tfmon.optimizers;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.framework.optimizers.AdaGradDA;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.framework.optimizers.Adamax;
import org.tensorflow.framework.optimizers.Optimizer;

/**
 * The tensorflow-framework optimizers whose own state races with the updates that read it, and
 * their ordered replacements in this package. {@code TrainOps} calls {@link #warnIfRacy} with every
 * optimizer it is handed, so a program that builds the framework's Adam gets one WARN line naming
 * {@link OrderedAdam}, once per class and JVM.
 *
 * <pre>{@code
 * OrderedOptimizers.replacementFor(new Adam(graph, 0.01f));          // Optional[OrderedAdam.class]
 * OrderedOptimizers.replacementFor(new OrderedAdam(graph, 0.01f));   // empty
 * }</pre>
 *
 * <p>The others do not race: GradientDescent, Momentum, AdaGrad, AdaDelta, RMSProp and Ftrl keep
 * no state beyond their slots, each updated only by its own variable's update; Nadam's {@code
 * beta1_power} and {@code beta2_power} are advanced without order too, but nothing reads them (its
 * step count is a constant of the graph, a defect of its own: its bias correction stays that of
 * step 1).
 */
public final class OrderedOptimizers {
  private static final Logger LOG = LoggerFactory.getLogger(OrderedOptimizers.class);

  private record Race(Class<? extends Optimizer> replacement, String state) {}

  private static final Map<Class<? extends Optimizer>, Race> RACES = Map.of(
      Adam.class, new Race(OrderedAdam.class, "beta1_power and beta2_power"),
      Adamax.class, new Race(OrderedAdamax.class, "beta1_power"),
      AdaGradDA.class, new Race(OrderedAdaGradDA.class, "step counter (twice per run)"));

  private static final Set<Class<?>> WARNED = ConcurrentHashMap.newKeySet();

  private OrderedOptimizers() {}

  /**
   * The ordered class to use instead of {@code optimizer}, if it is one of the framework's racy
   * optimizers itself (not a subclass, which may have ordered its state already).
   */
  public static Optional<Class<? extends Optimizer>> replacementFor(Optimizer optimizer) {
    Race race = RACES.get(optimizer.getClass());
    return race == null ? Optional.empty() : Optional.of(race.replacement());
  }

  /** Logs one WARN line naming the replacement, the first time this JVM sees a racy optimizer's class. */
  public static void warnIfRacy(Optimizer optimizer) {
    Race race = RACES.get(optimizer.getClass());
    if (race != null && WARNED.add(optimizer.getClass())) {
      LOG.warn("tensorflow-framework's {} advances its {} in the same run as the updates that read it, in no"
              + " set order, so its steps differ from run to run and from TensorFlow 1.x; use {} (the same"
              + " constructors) instead", optimizer.getClass().getSimpleName(), race.state(),
          race.replacement().getName());
    }
  }
}
