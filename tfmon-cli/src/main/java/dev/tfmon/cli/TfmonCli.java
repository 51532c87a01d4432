package dev.tfmon.cli;

import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.runtime.Tfmon;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
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
      EvaluateCommand.class,
      InspectCommand.class,
      EventsCommand.class,
      PlotCommand.class,
      ServerCommand.class,
      ClusterCommand.class,
      ExportCommand.class,
      PredictCommand.class,
      CommandLine.HelpCommand.class,
      picocli.AutoComplete.GenerateCompletion.class
    })
public final class TfmonCli implements Callable<Integer> {

  /** The levels of {@code --log-level}, as slf4j-simple names them. */
  static final List<String> LOG_LEVELS = List.of("error", "warn", "info", "debug", "trace");

  /** The longest error line printed without --verbose; TensorFlow's messages can list a whole tensor. */
  static final int MAX_ERROR_CHARS = 400;

  @Option(
      names = {"-v", "--verbose"},
      scope = CommandLine.ScopeType.INHERIT,
      description = "Log library messages at INFO, show TensorFlow's native INFO lines and print the stack trace of an error.")
  boolean verbose;

  @Option(
      names = {"-q", "--quiet"},
      scope = CommandLine.ScopeType.INHERIT,
      description = "Log errors only (no warnings).")
  boolean quiet;

  @Option(
      names = "--log-level",
      scope = CommandLine.ScopeType.INHERIT,
      paramLabel = "LEVEL",
      description = "The library's log level: error, warn, info, debug or trace (default: warn; info with --verbose).")
  String logLevel;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    if (!LogOptions.of(args).verbose()) {
      // Before TensorFlow's native library is loaded: its first lines are the noise.
      NativeLogFilter.install();
    }
    System.exit(run(args));
  }

  /** Runs the command line {@code args} and returns the exit code (never calls System.exit). */
  public static int run(String... args) {
    LogOptions logOptions = LogOptions.of(args);
    boolean verbose = logOptions.verbose();
    if (!LOG_LEVELS.contains(logOptions.level())) {
      System.err.println("tfmon: error: --log-level must be one of " + String.join(", ", LOG_LEVELS) + ", but got '"
          + logOptions.level() + "'");
      return CliException.USAGE;
    }
    configureLogging(logOptions);
    CommandLine cli = new CommandLine(new TfmonCli());
    // Everything after "tfmon cluster ... train" belongs to the workers' train command.
    cli.getSubcommands().get("cluster").setStopAtPositional(true);
    cli.getSubcommands().get("generate-completion").getCommandSpec().usageMessage()
        .description("Print a bash/zsh completion script for tfmon: source <(tfmon generate-completion)");
    // -V on any command prints the version (picocli gives subcommands -V but no version of their own).
    setVersionEverywhere(cli);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> reportFailure(e, cmd, verbose));
    cli.setParameterExceptionHandler(
        (e, args2) -> {
          PrintWriter err = e.getCommandLine().getErr();
          err.println("tfmon: error: " + e.getMessage());
          err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
          err.flush();
          return CliException.USAGE;
        });
    return cli.execute(args);
  }

  private static void setVersionEverywhere(CommandLine cmd) {
    cmd.getCommandSpec().versionProvider(new Version());
    cmd.getSubcommands().values().forEach(TfmonCli::setVersionEverywhere);
  }

  /**
   * The logging options, read from the raw arguments: slf4j-simple takes its level once, when the
   * first logger is created, which is before picocli has parsed anything.
   */
  record LogOptions(boolean verbose, String level) {
    static LogOptions of(String... args) {
      boolean verbose = false;
      boolean quiet = false;
      String level = null;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--")) {
          break;
        }
        if (a.equals("-v") || a.equals("--verbose")) {
          verbose = true;
        } else if (a.equals("-q") || a.equals("--quiet")) {
          quiet = true;
        } else if (a.startsWith("--log-level=")) {
          level = a.substring("--log-level=".length());
        } else if (a.equals("--log-level") && i + 1 < args.length) {
          level = args[++i];
        }
      }
      if (level == null) {
        level = quiet ? "error" : verbose ? "info" : "warn";
      }
      return new LogOptions(verbose, level.toLowerCase(Locale.ROOT));
    }
  }

  /** slf4j-simple reads these once, when the first logger is created: set them before that. */
  private static void configureLogging(LogOptions options) {
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", options.level());
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
    // One line: a multi-line message (TensorFlow's often are) keeps only its first line, and a
    // line that goes on (a tensor's values) is cut.
    int newline = message.indexOf('\n');
    if (newline >= 0 && !verbose) {
      message = message.substring(0, newline).stripTrailing();
    }
    if (!verbose && message.length() > MAX_ERROR_CHARS) {
      message = message.substring(0, MAX_ERROR_CHARS) + " ... (" + (message.length() - MAX_ERROR_CHARS)
          + " more characters; --verbose shows all)";
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

  /** The version: tfmon's (the library's, from its build) and TensorFlow's runtime version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "tfmon " + Tfmon.version(),
        "TensorFlow " + org.tensorflow.TensorFlow.version() + " (TensorFlow Java " + Tfmon.tensorFlowJavaVersion() + ")",
        "Java " + System.getProperty("java.version")
      };
    }
  }
}
