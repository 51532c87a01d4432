package dev.tfmon.json;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (RFC 8259) and string quoting, for the JSON tfmon reads and writes:
 * cluster specs and {@code TF_CONFIG}, the evaluation ledger, Chrome traces. Objects become {@code
 * Map<String, Object>} in document order, arrays {@code List<Object>}, strings {@code String},
 * numbers {@code Long} or {@code Double}, literals {@code Boolean} or {@link #NULL}. The project
 * has no JSON library and these documents are small, so a dependency is not worth it. Duplicate
 * keys, trailing commas, comments and trailing garbage are errors naming the offset.
 *
 * <pre>{@code
 * Map<?, ?> config = (Map<?, ?>) Json.parse(System.getenv("TF_CONFIG"));
 * String literal = Json.quote(name);   // with quotes and escapes, ready to write
 * }</pre>
 */
public final class Json {
  /** JSON's {@code null} (maps cannot hold Java's null). */
  public static final Object NULL = new Object() {
    @Override
    public String toString() {
      return "null";
    }
  };

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /**
   * Parses one JSON document.
   *
   * @throws IllegalArgumentException naming the offset and what was expected
   */
  public static Object parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("expected a JSON document, but got null");
    }
    Json json = new Json(text);
    json.skipSpace();
    Object value = json.value();
    json.skipSpace();
    if (json.pos != text.length()) {
      throw json.error("end of document");
    }
    return value;
  }

  private Object value() {
    if (pos >= text.length()) {
      throw error("a value");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", NULL);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("a value");
    }
  }

  private Map<String, Object> object() {
    pos++; // '{'
    Map<String, Object> map = new LinkedHashMap<>();
    skipSpace();
    if (peek('}')) {
      pos++;
      return Collections.unmodifiableMap(map);
    }
    while (true) {
      skipSpace();
      if (!peek('"')) {
        throw error("a string key");
      }
      int keyAt = pos;
      String key = string();
      skipSpace();
      expect(':');
      skipSpace();
      Object v = value();
      if (map.put(key, v) != null) {
        throw new IllegalArgumentException(
            "invalid JSON at offset " + keyAt + ": duplicate key \"" + key + "\"");
      }
      skipSpace();
      if (peek(',')) {
        pos++;
        continue;
      }
      expect('}');
      return Collections.unmodifiableMap(map);
    }
  }

  private List<Object> array() {
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipSpace();
    if (peek(']')) {
      pos++;
      return Collections.unmodifiableList(list);
    }
    while (true) {
      skipSpace();
      list.add(value());
      skipSpace();
      if (peek(',')) {
        pos++;
        continue;
      }
      expect(']');
      return Collections.unmodifiableList(list);
    }
  }

  private String string() {
    pos++; // '"'
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("a closing quote");
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return sb.toString();
      }
      if (c < 0x20) {
        pos--;
        throw error("no control character inside a string");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= text.length()) {
        throw error("an escape");
      }
      char e = text.charAt(pos++);
      switch (e) {
        case '"' -> sb.append('"');
        case '\\' -> sb.append('\\');
        case '/' -> sb.append('/');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (pos + 4 > text.length()) {
            throw error("four hex digits");
          }
          try {
            sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
          } catch (NumberFormatException ex) {
            throw error("four hex digits");
          }
          pos += 4;
        }
        default -> {
          pos--;
          throw error("a valid escape");
        }
      }
    }
  }

  private Object number() {
    int start = pos;
    if (peek('-')) {
      pos++;
    }
    if (peek('0')) {
      pos++;
    } else if (digit()) {
      while (digit()) {
        pos++;
      }
    } else {
      throw error("a digit");
    }
    boolean integral = true;
    if (peek('.')) {
      integral = false;
      pos++;
      if (!digit()) {
        throw error("a digit");
      }
      while (digit()) {
        pos++;
      }
    }
    if (peek('e') || peek('E')) {
      integral = false;
      pos++;
      if (peek('+') || peek('-')) {
        pos++;
      }
      if (!digit()) {
        throw error("a digit");
      }
      while (digit()) {
        pos++;
      }
    }
    String literal = text.substring(start, pos);
    if (integral) {
      try {
        return Long.parseLong(literal);
      } catch (NumberFormatException tooBig) {
        return Double.parseDouble(literal);
      }
    }
    return Double.parseDouble(literal);
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, pos)) {
      throw error("a value");
    }
    pos += word.length();
    return value;
  }

  private boolean digit() {
    return pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9';
  }

  private boolean peek(char c) {
    return pos < text.length() && text.charAt(pos) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error("'" + c + "'");
    }
    pos++;
  }

  private void skipSpace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private IllegalArgumentException error(String expected) {
    String found =
        pos >= text.length() ? "end of input" : "'" + text.charAt(pos) + "'";
    return new IllegalArgumentException(
        "invalid JSON at offset " + pos + ": expected " + expected + ", but found " + found);
  }

  /** Writes a string as a JSON string literal. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
