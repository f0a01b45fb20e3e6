package org.popbeforesmtp.runtime;

import io.javalin.Javalin;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpChannel;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.component.LifeCycle;
import org.popbeforesmtp.net.Listeners;

/**
 * The HTTP servers every service runs (Javalin on Jetty), made the one way, with the limits our
 * protocol servers have ({@link Listeners}): a cap on open connections (more are closed as they
 * arrive, with a log line every 10 s while it lasts), an idle timeout, and a deadline for a request
 * whose bytes have started to arrive (slowloris: one header byte a second is never idle); request
 * headers over 8 KiB are answered 431 and bodies over 64 KiB 413, and the server does not name
 * itself.
 */
public final class HttpServers {
  /** What the processor's and ingest's HTTP ports allow. */
  public static final Listeners.Limits DEFAULT_LIMITS =
      new Listeners.Limits("http", Duration.ofSeconds(30), Duration.ofSeconds(10), 1024);

  private static final long MAX_REQUEST_BYTES = 64 * 1024;
  private static final int MAX_HEADER_BYTES = 8 * 1024;

  /** A body that arrives slower than this is cut (Jetty answers 408). */
  private static final long MIN_BODY_BYTES_PER_SECOND = 1024;

  private HttpServers() {}

  /** A Javalin server under {@code limits}, counting its connections in {@code connections}. */
  public static Javalin create(Listeners.Limits limits, Listeners.Connections connections) {
    Guard guard = new Guard(limits, connections);
    return Javalin.create(
        c -> {
          c.showJavalinBanner = false;
          c.http.maxRequestSize = MAX_REQUEST_BYTES;
          c.jetty.modifyHttpConfiguration(
              h -> {
                h.setRequestHeaderSize(MAX_HEADER_BYTES);
                h.setSendServerVersion(false);
                h.setSendXPoweredBy(false);
                h.setMinRequestDataRate(MIN_BODY_BYTES_PER_SECOND);
              });
          c.jetty.modifyServer(
              server ->
                  server.addEventListener(
                      new LifeCycle.Listener() {
                        @Override
                        public void lifeCycleStarting(LifeCycle event) {
                          // Javalin has added its connector by now; every connection it makes
                          // from here on reports to the guard
                          for (Connector connector : server.getConnectors()) {
                            if (connector instanceof ServerConnector sc) {
                              sc.setIdleTimeout(limits.idle().toMillis());
                              sc.setAcceptQueueSize(1024);
                            }
                            ((ContainerLifeCycle) connector).addBean(guard);
                          }
                          guard.start();
                        }

                        @Override
                        public void lifeCycleStopped(LifeCycle event) {
                          guard.stop();
                        }
                      }));
        });
  }

  /**
   * Admits or refuses each new connection, and once a second closes those whose request has been
   * arriving for longer than the request timeout without being answered: bytes came in since its
   * last request was completed (a body slower than the minimum data rate Jetty cuts itself).
   */
  private static final class Guard implements Connection.Listener, HttpChannel.Listener {
    /** Per admitted connection: bytes read when its last request completed. */
    private static final class Progress {
      volatile long bytesAtRequest;
      volatile long pendingSince;
    }

    private final Listeners.Limits limits;
    private final Listeners.Connections connections;
    private final Map<Connection, Progress> admitted = new ConcurrentHashMap<>();
    private ScheduledExecutorService sweeper;

    Guard(Listeners.Limits limits, Listeners.Connections connections) {
      this.limits = limits;
      this.connections = connections;
    }

    @Override
    public void onOpened(Connection connection) {
      if (!connections.admit(limits)) {
        connection.close();
        return;
      }
      admitted.put(connection, new Progress());
    }

    @Override
    public void onClosed(Connection connection) {
      if (admitted.remove(connection) != null) {
        connections.release();
      }
    }

    @Override
    public void onComplete(Request request) {
      Connection connection = request.getHttpChannel().getEndPoint().getConnection();
      Progress p = connection == null ? null : admitted.get(connection);
      if (p != null) {
        p.bytesAtRequest = connection.getBytesIn();
        p.pendingSince = 0;
      }
    }

    synchronized void start() {
      if (sweeper == null) {
        sweeper =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, limits.name() + "-request-deadlines");
                  t.setDaemon(true);
                  return t;
                });
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
      }
    }

    synchronized void stop() {
      if (sweeper != null) {
        sweeper.shutdownNow();
        sweeper = null;
      }
    }

    private void sweep() {
      long now = System.nanoTime();
      long timeout = limits.requestTimeout().toNanos();
      admitted.forEach(
          (connection, p) -> {
            if (connection.getBytesIn() <= p.bytesAtRequest) {
              p.pendingSince = 0; // between requests: the idle timeout's business
            } else if (p.pendingSince == 0) {
              p.pendingSince = now;
            } else if (now - p.pendingSince > timeout) {
              connections.countTimeout();
              connection.close();
            }
          });
    }
  }
}
