package dev.tfmon.graph;

/**
 * TensorFlow's standard collection names ({@code tf.GraphKeys}), spelled exactly as Python
 * TensorFlow writes them into {@code MetaGraphDef.collection_def}.
 */
public final class CollectionKeys {
  private CollectionKeys() {}

  public static final String GLOBAL_VARIABLES = "variables";
  public static final String LOCAL_VARIABLES = "local_variables";
  /** The local variables of streaming metrics ({@code tf.GraphKeys.METRIC_VARIABLES}). */
  public static final String METRIC_VARIABLES = "metric_variables";
  public static final String TRAINABLE_VARIABLES = "trainable_variables";
  public static final String MODEL_VARIABLES = "model_variables";
  public static final String MOVING_AVERAGE_VARIABLES = "moving_average_variables";
  public static final String SUMMARIES = "summaries";
  public static final String QUEUE_RUNNERS = "queue_runners";
  public static final String TABLE_INITIALIZERS = "table_initializer";
  public static final String SAVERS = "savers";
  public static final String RESOURCES = "resources";
  public static final String LOCAL_RESOURCES = "local_resources";
  public static final String INIT_OP = "init_op";
  public static final String LOCAL_INIT_OP = "local_init_op";
  public static final String READY_OP = "ready_op";
  public static final String READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op";
  public static final String SUMMARY_OP = "summary_op";
  public static final String TRAIN_OP = "train_op";
  public static final String GLOBAL_STEP = "global_step";
  public static final String LOSSES = "losses";
  /** Python's private cache of the global step's read tensor ({@code _get_or_create_global_step_read}). */
  public static final String GLOBAL_STEP_READ_CACHE = "global_step_read_op_cache";

  /** True for the collections whose items are variables (stored as {@code VariableDef}s). */
  public static boolean holdsVariables(String key) {
    switch (key) {
      case GLOBAL_VARIABLES:
      case LOCAL_VARIABLES:
      case METRIC_VARIABLES:
      case TRAINABLE_VARIABLES:
      case MODEL_VARIABLES:
      case MOVING_AVERAGE_VARIABLES:
      case GLOBAL_STEP:
        return true;
      default:
        return false;
    }
  }
}
