package org.popbeforesmtp.registry;

/**
 * A schema registry call failed. The message names the registry URL, what was asked (subject or
 * schema id) and the HTTP status; {@link #status()} is -1 when no HTTP answer arrived.
 */
public final class SchemaRegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** HTTP 404: subject, version or schema id not found. */
  public static final int NOT_FOUND = 404;

  /** HTTP 409: the schema is incompatible with the subject's earlier versions. */
  public static final int CONFLICT = 409;

  private final int status;

  public SchemaRegistryException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public SchemaRegistryException(String message, int status) {
    this(message, status, null);
  }

  /** The HTTP status, or -1 when the registry did not answer. */
  public int status() {
    return status;
  }

  /**
   * Whether the registry could not answer (no answer, or a server error), as opposed to answering
   * that something does not exist or does not fit: worth waiting for, not a bad record.
   */
  public boolean unavailable() {
    return status == -1 || status >= 500;
  }

  /** The registry being unavailable somewhere in {@code t}'s causes, or null. */
  public static SchemaRegistryException unavailableIn(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SchemaRegistryException e && e.unavailable()) {
        return e;
      }
    }
    return null;
  }
}
