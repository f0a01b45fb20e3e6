package org.popbeforesmtp.edge;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.popbeforesmtp.net.Listeners;

/**
 * The edge's protocol servers ({@link EdgeProtocol}) on Netty's non-blocking transport, so
 * thousands of idle MTA connections cost little. A bad request never crashes a server: each
 * protocol answers it with its error reply or closes the connection; the accept loop lives on;
 * nothing is ever granted on an error path.
 */
public final class EdgeServers implements AutoCloseable {

  private final EventLoopGroup group;
  private final Map<String, List<Channel>> channels;

  private EdgeServers(EventLoopGroup group, Map<String, List<Channel>> channels) {
    this.group = group;
    this.channels = channels;
  }

  /**
   * Binds every protocol's servers on {@code bind} (port 0 picks a free port; see {@link #port}).
   */
  public static EdgeServers start(
      List<EdgeProtocol.Server> servers, EdgeLookups lookups, String bind)
      throws InterruptedException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    Map<String, List<Channel>> channels = new LinkedHashMap<>();
    try {
      for (EdgeProtocol.Server server : servers) {
        channels.put(
            server.protocol().name(),
            server.binder().bind(group, new InetSocketAddress(bind, server.port()), lookups));
      }
      return new EdgeServers(group, channels);
    } catch (InterruptedException | RuntimeException e) {
      channels.values().forEach(list -> list.forEach(Channel::close));
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** The port a protocol's (first) listener is bound to. */
  public int port(String protocol) {
    List<Channel> bound = channels.get(protocol);
    if (bound == null) {
      throw new IllegalArgumentException("the edge does not serve " + protocol);
    }
    return Listeners.port(bound.get(0));
  }

  /** The protocols served, by name, with their ports. */
  public Map<String, Integer> ports() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    channels.keySet().forEach(name -> ports.put(name, port(name)));
    return ports;
  }

  @Override
  public void close() {
    List<Channel> all = new ArrayList<>();
    channels.values().forEach(all::addAll);
    all.forEach(c -> c.close().syncUninterruptibly());
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
