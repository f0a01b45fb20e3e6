package org.popbeforesmtp.grants;

/**
 * A record that cannot be processed (invalid address, missing field, dated in the future). The
 * dead-letter handler writes the original bytes to the dead-letter topic with this message as the
 * reason; processing continues. It carries no stack trace: the reason is the message, a stack trace
 * would only cost time and dead-letter bytes on every bad record of a flood.
 */
public final class InvalidLoginException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidLoginException(String reason) {
    super(reason, null, false, false);
  }

  public InvalidLoginException(String reason, Throwable cause) {
    super(reason, cause, false, false);
  }
}
