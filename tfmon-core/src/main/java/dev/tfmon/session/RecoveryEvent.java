package dev.tfmon.session;

import dev.tfmon.errors.TensorFlowStatusException;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * One recovery of a monitored session: the session was lost and a new one was created.
 *
 * @param cause the error that ended the old session
 * @param attempt 1 for the first recovery of this monitored session, then 2, 3...
 * @param timeToRecover from the error to the new session being ready (backoff included)
 * @param globalStepBefore the global step read from the old session just before it was closed,
 *     empty when the old session could no longer answer (a lost cluster task) or the graph has none
 * @param globalStepAfter the global step of the new session (restored or re-initialized), empty if
 *     the graph has none
 */
public record RecoveryEvent(
    TensorFlowStatusException cause,
    int attempt,
    Duration timeToRecover,
    OptionalLong globalStepBefore,
    OptionalLong globalStepAfter) {}
