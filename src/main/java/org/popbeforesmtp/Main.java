package org.popbeforesmtp;

import org.popbeforesmtp.cli.RootCommand;

/** Entry point of {@code pop-before-smtp.jar}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(RootCommand.newCommandLine().execute(args));
  }
}
