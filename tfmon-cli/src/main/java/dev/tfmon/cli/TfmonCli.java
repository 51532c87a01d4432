package dev.tfmon.cli;

import dev.tfmon.errors.TensorFlowStatusException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code tfmon} command: {@code train}, {@code inspect}, {@code events}, {@code plot},
 * {@code server}, {@code cluster}, {@code export}, {@code predict}. Exit codes: 0 success, 1 runtime failure, 2 bad usage; errors are one line on stderr (with the stack
 * trace under {@code --verbose}).
 *
 * <pre>{@code
 * int code = TfmonCli.run("inspect", "runs/default");   // what ./tfmon inspect runs/default does
 * }</pre>
 */
@Command(
    name = "tfmon",
    mixinStandardHelpOptions = true,
    versionProvider = TfmonCli.Version.class,
    description = "Train TensorFlow models from Java and look into their checkpoints and event files.",
    subcommands = {
      TrainCommand.class,
      InspectCommand.class,
      EventsCommand.class,
      PlotCommand.class,
      ServerCommand.class,
      ClusterCommand.class,
      ExportCommand.class,
      PredictCommand.class,
      CommandLine.HelpCommand.class
    })
public final class TfmonCli implements Callable<Integer> {

  @Option(
      names = {"-v", "--verbose"},
      scope = CommandLine.ScopeType.INHERIT,
      description = "Log library messages at INFO and print the stack trace of an error.")
  boolean verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line {@code args} and returns the exit code (never calls System.exit). */
  public static int run(String... args) {
    boolean verbose = Arrays.asList(args).contains("-v") || Arrays.asList(args).contains("--verbose");
    configureLogging(verbose);
    CommandLine cli = new CommandLine(new TfmonCli());
    // Everything after "tfmon cluster ... train" belongs to the workers' train command.
    cli.getSubcommands().get("cluster").setStopAtPositional(true);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> reportFailure(e, cmd, verbose));
    cli.setParameterExceptionHandler(
        (e, args2) -> {
          PrintWriter err = e.getCommandLine().getErr();
          err.println("tfmon: " + e.getMessage());
          err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
          err.flush();
          return CliException.USAGE;
        });
    return cli.execute(args);
  }

  /** slf4j-simple reads these once, when the first logger is created: set them before that. */
  private static void configureLogging(boolean verbose) {
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
    setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
    setIfAbsent("java.awt.headless", "true");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private static int reportFailure(Exception e, CommandLine cmd, boolean verbose) {
    PrintWriter err = cmd.getErr();
    int code = CliException.FAILURE;
    String message;
    if (e instanceof CliException) {
      code = ((CliException) e).exitCode();
      message = e.getMessage();
    } else if (e instanceof TensorFlowStatusException) {
      TensorFlowStatusException tf = (TensorFlowStatusException) e;
      message = tf.code() + ": " + tf.firstLine();
    } else if (e instanceof UncheckedIOException && e.getCause() != null) {
      message = e.getMessage();
    } else {
      message = e.getMessage() == null ? e.toString() : e.getMessage();
    }
    // One line: a multi-line message (TensorFlow's often are) keeps only its first line.
    int newline = message.indexOf('\n');
    if (newline >= 0 && !verbose) {
      message = message.substring(0, newline).stripTrailing();
    }
    err.println("tfmon: error: " + message);
    if (verbose) {
      e.printStackTrace(err);
    } else if (code == CliException.USAGE) {
      err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
    }
    err.flush();
    return code;
  }

  @Override
  public Integer call() {
    // No command is bad usage: the usage goes to stderr, as for any other usage error.
    spec.commandLine().usage(spec.commandLine().getErr());
    return CliException.USAGE;
  }

  /** The version: the jar's implementation version and TensorFlow's runtime version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String own = TfmonCli.class.getPackage().getImplementationVersion();
      return new String[] {
        "tfmon " + (own == null ? "0.1.0-SNAPSHOT" : own),
        "TensorFlow " + org.tensorflow.TensorFlow.version() + " (TensorFlow Java 1.1.0)",
        "Java " + System.getProperty("java.version")
      };
    }
  }
}
