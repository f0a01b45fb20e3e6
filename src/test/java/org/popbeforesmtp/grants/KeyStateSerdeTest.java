package org.popbeforesmtp.grants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.popbeforesmtp.avro.Protocol;

/** The key-state store's binary form: round trip, and clear errors on what it cannot read. */
class KeyStateSerdeTest {
  private static KeyState sample() {
    GrantState.Share alice =
        new GrantState.Share("alice", 1_000, 5_000, 3, "ev-3", "203.0.113.5", Protocol.POP3, "p1");
    GrantState.Share bob =
        new GrantState.Share("bøb", 2_000, 2_000, 1, "ev-2", "203.0.113.5", Protocol.IMAP, "p2");
    SeenIds seen = new SeenIds(KeyState.MAX_SEEN);
    seen.add("ev-1", 1_000L);
    seen.add("ev-2", 2_000L);
    seen.add("ev-3", 5_000L);
    return new KeyState(
        new ArrayList<>(List.of(new GrantState(List.of(alice, bob), false))),
        1_805_000L,
        List.of("alice", "bøb"),
        1_805_000L,
        seen,
        true);
  }

  @Test
  void shouldReadBackWhatItWrote() {
    KeyState state = sample();
    KeyState read = KeyStateSerde.read(KeyStateSerde.write(state));

    assertThat(read.sessions()).isEqualTo(state.sessions());
    assertThat(read.expiresAt()).isEqualTo(1_805_000L);
    assertThat(read.users()).containsExactly("alice", "bøb");
    assertThat(read.filedAt()).isEqualTo(1_805_000L);
    assertThat(read.seen()).containsExactlyEntriesOf(state.seen());
    assertThat(read.counted()).isTrue();
    assertThat(KeyStateSerde.read(KeyStateSerde.write(new KeyState())).isEmpty()).isTrue();
  }

  @Test
  void shouldReadBackStringsOfEveryLengthAndAlphabet() {
    for (String user :
        List.of("", "a".repeat(127), "b".repeat(128), "c".repeat(300), "ü".repeat(70), "x€y")) {
      GrantState.Share share =
          new GrantState.Share(user, 1, 2, 1, "ev-" + user, "192.0.2.1", Protocol.IMAP, "p");
      KeyState state =
          new KeyState(
              new ArrayList<>(List.of(new GrantState(List.of(share), false))),
              9L,
              List.of(user),
              9L,
              new SeenIds(KeyState.MAX_SEEN),
              true);
      KeyState read = KeyStateSerde.read(KeyStateSerde.write(state));
      assertThat(read.users()).as("user of %d chars", user.length()).containsExactly(user);
      assertThat(read.sessions()).isEqualTo(state.sessions());
    }
  }

  @Test
  void shouldRefuseAnUnknownVersionAndCutBytes() {
    byte[] bytes = KeyStateSerde.write(sample());
    byte[] other = bytes.clone();
    other[0] = 9;
    assertThatThrownBy(() -> KeyStateSerde.read(other))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("version 9");
    assertThatThrownBy(() -> KeyStateSerde.read(Arrays.copyOf(bytes, bytes.length - 3)))
        .isInstanceOf(SerializationException.class);
  }

  @Test
  void shouldForgetTheOldestEventIdsBeyondTheCap() {
    KeyState state = new KeyState();
    for (int i = 0; i <= KeyState.MAX_SEEN; i++) {
      assertThat(state.markSeen("ev-" + i, i)).isTrue();
    }
    assertThat(state.seen()).hasSize(KeyState.MAX_SEEN).doesNotContainKey("ev-0");
    assertThat(state.markSeen("ev-" + KeyState.MAX_SEEN, 0)).as("a duplicate").isFalse();
  }
}
