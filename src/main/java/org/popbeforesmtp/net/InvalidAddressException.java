package org.popbeforesmtp.net;

/** A client address, prefix or network that is not valid; the message names the bad input. */
public final class InvalidAddressException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String input;

  public InvalidAddressException(String input, String reason) {
    super("invalid address '" + input + "': " + reason);
    this.input = input;
  }

  /** The text that failed to parse. */
  public String input() {
    return input;
  }
}
