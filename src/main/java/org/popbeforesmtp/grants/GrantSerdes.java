package org.popbeforesmtp.grants;

import org.apache.kafka.common.serialization.Serde;
import org.popbeforesmtp.avro.LoginEvent;
import org.popbeforesmtp.avro.RelayGrant;
import org.popbeforesmtp.avro.Revocation;
import org.popbeforesmtp.registry.AvroSerde;
import org.popbeforesmtp.registry.SchemaRegistryClient;

/** The value serdes of the grant topology's topics, built once and passed in. */
public record GrantSerdes(
    Serde<LoginEvent> logins, Serde<Revocation> revocations, Serde<RelayGrant> grants) {

  /** Confluent wire-format serdes on one registry client. */
  public static GrantSerdes of(SchemaRegistryClient registry, boolean autoRegister) {
    return new GrantSerdes(
        AvroSerde.of(LoginEvent.class, registry, autoRegister, false),
        AvroSerde.of(Revocation.class, registry, autoRegister, false),
        AvroSerde.of(RelayGrant.class, registry, autoRegister, false));
  }
}
