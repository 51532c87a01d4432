package dev.tfmon.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a model.")
final class TrainCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return 0;
  }
}
