package org.popbeforesmtp.config;

/**
 * A command cannot write to a topic it needs: the topic does not exist (and the command does not
 * create topics: {@link Topics#missing} says what to do), or Kafka does not answer. The message
 * says which; the command line prints it and exits 1.
 */
public final class TopicUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TopicUnavailableException(String message) {
    super(message, null, false, false);
  }
}
