package org.popbeforesmtp.edge;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.popbeforesmtp.net.Listeners;
import org.popbeforesmtp.text.Setting;

/**
 * One lookup protocol the edge serves (Postfix policy delegation, socketmap, whoson, ...): its
 * name, its settings (a port and any of its own), and, once configured, its servers with their
 * codec, replies and error reply. {@link EdgeServers} binds a list of them; a new protocol is one
 * more implementation in {@link #all()}.
 *
 * <p>Every protocol answers "not granted" on any path that is not a live grant, and answers a bad
 * request with its own error reply (or by closing, where the protocol says so), never with a grant.
 */
public interface EdgeProtocol {

  /** Every protocol the edge can serve, in the order the edge lists and binds them. */
  static List<EdgeProtocol> all() {
    return List.of(new PolicyProtocol(), new SocketmapProtocol(), new WhosonProtocol());
  }

  /** Short name: tags metrics, prefixes its settings ({@code <name>.port}). */
  String name();

  /** What it serves, for logs and the dev table (e.g. "Postfix policy delegation"). */
  String title();

  /** Its port setting, {@code <name>.port}. */
  Setting port();

  /** Its other settings. */
  default List<Setting> options() {
    return List.of();
  }

  /** True when its answers name the grant's user (the grant cache then keeps usernames). */
  default boolean needsUsers() {
    return false;
  }

  /**
   * Checks this protocol's settings and returns its server, ready to bind.
   *
   * @param settings the edge's settings by property name (all of them, defaults included)
   * @throws IllegalArgumentException naming the bad value and what to do
   */
  Server configure(Map<String, String> settings);

  /**
   * A configured protocol, ready to bind.
   *
   * @param port the port asked for (0: any free port)
   */
  record Server(EdgeProtocol protocol, int port, Binder binder) {}

  /** How a configured protocol binds its listeners. */
  @FunctionalInterface
  interface Binder {
    /**
     * Binds at {@code address} on {@code group}.
     *
     * @return the bound channels (closed when the edge stops); the first one's port is reported
     */
    List<Channel> bind(EventLoopGroup group, InetSocketAddress address, EdgeLookups lookups)
        throws InterruptedException;
  }

  /**
   * A server of one TCP listener: each connection gets the handlers {@code handlers} makes (a
   * codec, then the protocol's handler), given the protocol's meters.
   */
  static Server tcp(
      EdgeProtocol protocol,
      int port,
      Function<EdgeLookups.Meters, List<ChannelHandler>> handlers) {
    return new Server(
        protocol,
        port,
        (group, address, lookups) -> {
          EdgeLookups.Meters meters = lookups.meters(protocol.name());
          return List.of(
              Listeners.tcp(
                  group,
                  address,
                  lookups.limits(protocol.name()),
                  lookups.connections(protocol.name()),
                  ch -> handlers.apply(meters).forEach(ch.pipeline()::addLast)));
        });
  }

  /** Parses a port setting: 0-65535, or an error naming the setting. */
  static int port(Map<String, String> settings, Setting setting) {
    String value = settings.get(setting.name());
    try {
      int port = Integer.parseInt(value.strip());
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException | NullPointerException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        setting.name() + " '" + value + "' is not a port: give 0-65535 (0 picks a free port)");
  }
}
