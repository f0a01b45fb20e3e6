package org.popbeforesmtp;

import org.popbeforesmtp.cli.LogLevels;
import org.popbeforesmtp.cli.RootCommand;
import org.slf4j.LoggerFactory;

/** Entry point of {@code pop-before-smtp.jar}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // before the first logger exists: levels come from --verbose and PBS_LOG_LEVEL
    String problem = LogLevels.apply(args, System.getenv());
    if (problem != null) {
      // the levels are set now: the first logger is made after them
      LoggerFactory.getLogger(Main.class).warn(problem);
    }
    System.exit(RootCommand.newCommandLine(args).execute(args));
  }
}
