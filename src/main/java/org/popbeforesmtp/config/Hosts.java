package org.popbeforesmtp.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** This machine's name, for defaults that name the server (server ids, instance ids). */
public final class Hosts {
  private Hosts() {}

  /**
   * The host name: {@code $HOSTNAME} when the environment has it (containers, most init systems),
   * else what the resolver says this host is called, else {@code localhost}.
   */
  public static String localName() {
    String host = System.getenv("HOSTNAME");
    if (host != null && !host.isBlank()) {
      return host;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
