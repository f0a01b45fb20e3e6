package org.popbeforesmtp.audit;

import org.popbeforesmtp.avro.LoginEvent;

/**
 * A login that granted nothing, and why.
 *
 * @param key the grant key of its client address (the address itself when it is not valid)
 * @param reason e.g. {@code not-successful}, {@code never-grant-network}, {@code shared-address},
 *     {@code expired-on-arrival}, {@code revoked-user}, {@code future-dated}, {@code invalid}
 * @param detail the validation message for invalid events, else empty
 * @param arrival when it reached Kafka
 */
public record RefusedLogin(
    String key, LoginEvent event, String reason, String detail, long arrival) {}
