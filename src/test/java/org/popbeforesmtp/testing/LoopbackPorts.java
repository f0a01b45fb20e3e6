package org.popbeforesmtp.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Ports on loopback for the real servers the tests start. */
public final class LoopbackPorts {
  private LoopbackPorts() {}

  /** A port free on loopback right now. */
  public static int free() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** True when something accepts TCP connections on the port. */
  public static boolean listening(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return s.isConnected();
    } catch (IOException e) {
      return false;
    }
  }
}
