package org.popbeforesmtp.grants;

/**
 * A login event or revocation that cannot be processed (invalid address, missing field, dated in
 * the future, unknown scope). The dead-letter handler writes the original bytes to the dead-letter
 * topic with this message as the reason; processing continues. It carries no stack trace: the
 * reason is the message, a stack trace would only cost time and dead-letter bytes on every bad
 * record of a flood.
 */
public final class InvalidEventException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidEventException(String reason) {
    super(reason, null, false, false);
  }

  public InvalidEventException(String reason, Throwable cause) {
    super(reason, cause, false, false);
  }
}
