package dev.tfmon.cli;

import dev.tfmon.checkpoint.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Writes a PNG beside its destination and moves it into place ({@link AtomicFiles}), so a failure
 * never leaves a half image under the asked name; any failure is one line naming the path and the
 * reason.
 *
 * <pre>{@code
 * PngFile.write(image, Path.of("curves.png"), "-o");
 * }</pre>
 */
final class PngFile {
  private PngFile() {}

  /**
   * @param option the option that named {@code output}, for the message
   * @throws CliException exit 2 if the directory does not exist or the path is a directory, exit 1
   *     if the file cannot be written there
   */
  static void write(BufferedImage image, Path output, String option) {
    Path absolute = output.toAbsolutePath();
    Path parent = absolute.getParent();
    if (Files.isDirectory(absolute)) {
      throw CliException.usage(option + " " + output + ": is a directory");
    }
    if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) {
      throw CliException.usage(option + " " + output + ": " + parent + " is a file, not a directory");
    }
    if (parent == null || !Files.isDirectory(parent)) {
      throw CliException.usage(option + " " + output + ": directory " + parent + " does not exist");
    }
    // ImageIO would otherwise stage the stream in a cache file under java.io.tmpdir, and report a
    // failure there as "Can't create an ImageOutputStream!" after printing a stack trace itself.
    ImageIO.setUseCache(false);
    try {
      // the temp file beside the destination gets the permissions of any new file, unlike
      // Files.createTempFile's owner-only ones, and they stay on the moved PNG
      AtomicFiles.write(absolute, temp -> {
        try (OutputStream out = Files.newOutputStream(temp)) {
          if (!ImageIO.write(image, "png", out)) {
            throw CliException.failure("no PNG writer available in this Java runtime");
          }
        }
      });
    } catch (IOException e) {
      throw cannotWrite(option, output, e);
    }
  }

  private static CliException cannotWrite(String option, Path output, IOException e) {
    String reason;
    if (e instanceof AccessDeniedException) {
      reason = "permission denied";
    } else if (e instanceof NoSuchFileException) {
      reason = "files cannot be created in " + output.toAbsolutePath().getParent();
    } else if (e instanceof FileSystemException fs && fs.getReason() != null) {
      reason = fs.getReason().toLowerCase(java.util.Locale.ROOT);
    } else {
      reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    return CliException.failure(option + " " + output + ": cannot write the PNG there (" + reason + ")", e);
  }
}
