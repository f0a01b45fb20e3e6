package org.popbeforesmtp.config;

/**
 * A topic a command needs does not exist, and the command does not create topics ({@link
 * Topics#missing} says what to do). The command line prints the message and exits 1.
 */
public final class MissingTopicException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MissingTopicException(String message) {
    super(message, null, false, false);
  }
}
