package org.popbeforesmtp.edge;

import java.util.Map;
import org.popbeforesmtp.net.Whoson;
import org.popbeforesmtp.text.Setting;

/**
 * whoson ({@link Whoson}: the wire protocol), read-only, over TCP and UDP on one port: {@code QUERY
 * <address>} answers {@code +<user>} when a live grant covers the address (the grant's user),
 * {@code -<reason>} otherwise. {@code LOGIN} and {@code LOGOUT} are refused with {@code *}: logins
 * reach the edge only through Kafka (ingest takes whoson writers).
 */
public final class WhosonProtocol implements EdgeProtocol {
  public static final String NAME = "whoson";
  static final Setting PORT =
      Setting.of("whoson.port", "9876", "whoson, TCP and UDP (Exim `readsocket`)");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String title() {
    return "whoson (TCP and UDP; Exim)";
  }

  @Override
  public Setting port() {
    return PORT;
  }

  @Override
  public boolean needsUsers() {
    return true;
  }

  @Override
  public Server configure(Map<String, String> settings) {
    int port = EdgeProtocol.port(settings, PORT);
    return new Server(
        this,
        port,
        (group, address, lookups) -> {
          return Whoson.bind(
              group,
              address,
              lookups.limits(NAME),
              lookups.connections(NAME),
              new Answers(lookups.meters(NAME)));
        });
  }

  /** The edge's answers: QUERY from the grant cache, anything else refused. */
  static final class Answers implements Whoson.Answerer {
    private final EdgeLookups.Meters meters;

    Answers(EdgeLookups.Meters meters) {
      this.meters = meters;
    }

    @Override
    public String answer(Whoson.Request request) {
      return switch (request.verb()) {
        case "QUERY" -> {
          if (request.address() == null) {
            yield "*QUERY needs an address";
          }
          GrantLookup.Answer verdict = meters.verdict(request.address());
          yield switch (verdict.status()) {
            case GRANTED ->
                verdict.user() == null ? "-no live grant" : "+" + Whoson.printable(verdict.user());
            case INVALID -> "*" + Whoson.printable(verdict.detail());
            case NOT_READY, NOT_GRANTED -> "-" + verdict.detail();
          };
        }
        case "LOGIN", "LOGOUT" ->
            "*"
                + request.verb()
                + " refused: this whoson server is read-only (logins reach it through"
                + " pop-before-smtp ingest)";
        default -> Whoson.unknownVerb(request);
      };
    }

    @Override
    public void malformed(Object client, String reason) {
      meters.malformed(client, reason);
    }
  }
}
