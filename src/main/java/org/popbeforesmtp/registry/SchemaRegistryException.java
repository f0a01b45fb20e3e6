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
}
