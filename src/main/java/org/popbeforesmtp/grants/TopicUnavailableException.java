package org.popbeforesmtp.grants;

/**
 * A command cannot write to a topic it needs: the topic does not exist (and the command does not
 * create topics: {@link Topics#missing} says what to do), or Kafka does not answer. The message
 * says which; the command line prints it and exits 1.
 */
public final class TopicUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** How long a client waits for Kafka's answer before it calls Kafka unreachable. */
  public static final long ANSWER_SECONDS = 10;

  public TopicUnavailableException(String message) {
    super(message, null, false, false);
  }

  /**
   * What every command says when no broker answers within {@link #ANSWER_SECONDS}.
   *
   * @param bootstrapServers the address asked, or null where the caller does not know it
   */
  public static String unreachable(Object bootstrapServers) {
    return "cannot reach Kafka"
        + (bootstrapServers == null ? "" : " at " + bootstrapServers)
        + " (no answer in "
        + ANSWER_SECONDS
        + " s): check bootstrap.servers and that the brokers run";
  }
}
