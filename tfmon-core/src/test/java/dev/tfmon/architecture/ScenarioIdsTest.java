package dev.tfmon.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.testing.RepoFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 9: the scenario and requirement IDs cited in the repository (MST-064, BHT-15,
 * SM-6, ...) can be traced: each is defined in the shared specification, and docs/SCENARIOS.md
 * explains every prefix in use.
 */
class ScenarioIdsTest {
  private static final Pattern SCENARIO = Pattern.compile("\\b(MST|BHT|SMT|CRT|QRT|SVT|CMT)-[0-9]+\\b");
  private static final Pattern REQUIREMENT =
      Pattern.compile(
          "\\b(ERR|GK|GS|SC|SCR|SM|API|MS|WS|RS|CS|HS|MTS|CO|LT|QR|TM|HK-[A-Z]+|SV|CK|FW|EFW|FWC|EV|TFR|TR|V)"
              + "-[0-9]+\\b");

  private static final Path ROOT = RepoFiles.find("docs/ARCHITECTURE.md").getParent().getParent();
  private static final String SCENARIOS = read(RepoFiles.find("shared/spec/tf1-test-scenarios.md"));
  private static final String BEHAVIOUR = read(RepoFiles.find("shared/spec/tf1-behavior.md"));

  // issue 15 item 9
  @Test
  void everyCitedIdIsDefinedInTheSharedSpecification() {
    Set<String> scenarios = cited(SCENARIO);
    Set<String> requirements = cited(REQUIREMENT);
    assertThat(scenarios).as("scenario IDs cited in the repository").hasSizeGreaterThan(100);
    assertThat(requirements).as("requirement IDs cited in the repository").isNotEmpty();
    List<String> undefined = new ArrayList<>();
    scenarios.stream().filter(id -> !SCENARIOS.contains("\n### " + id + " ")).forEach(undefined::add);
    requirements.stream().filter(id -> !BEHAVIOUR.contains("**" + id + "**")).forEach(undefined::add);
    assertThat(undefined).as("IDs cited but defined nowhere in ../shared/spec").isEmpty();
  }

  // issue 15 item 9
  @Test
  void theScenariosPageExplainsEveryPrefixInUse() {
    String page = read(ROOT.resolve("docs/SCENARIOS.md"));
    Set<String> prefixes = new TreeSet<>();
    for (Pattern p : List.of(SCENARIO, REQUIREMENT)) {
      cited(p).forEach(id -> prefixes.add(id.substring(0, id.lastIndexOf('-'))));
    }
    assertThat(prefixes).allSatisfy(prefix -> assertThat(page).as("prefix %s", prefix).contains(prefix));
    assertThat(page).contains("../shared/spec/tf1-test-scenarios.md", "../shared/tools/scenario-coverage");
  }

  /** The IDs matching {@code pattern} in the Java sources and Markdown files of the repository. */
  private static Set<String> cited(Pattern pattern) {
    Set<String> ids = new TreeSet<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      files
          .filter(f -> !f.toString().contains("/target/") && !f.toString().contains("/.git/"))
          .filter(f -> f.toString().endsWith(".java") || f.toString().endsWith(".md"))
          .forEach(
              f -> {
                Matcher m = pattern.matcher(read(f));
                while (m.find()) {
                  ids.add(m.group());
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ids;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
