package io.minibit.peer.policy;

/**
 * What a downloader offers a seed to choose from. Offered more blocks than it is to send, a seed
 * sends those it has sent least, as it knows what it gave the others, which a downloader learns
 * only once they have them. So a request to a seed that filled its room is topped up to
 * {@link #FACTOR} times that room (at most a call's worth), with blocks only the seed holds and
 * nobody else is asked for: a block other peers hold would wait on the seed's choice while
 * another peer could send it.
 *
 * <p>Pure and stateless.
 */
public final class SeedChoice {
  /** A seed is offered this many times the blocks it is to send, to choose from. */
  public static final int FACTOR = 4;

  private SeedChoice() {}

  /**
   * How many blocks to offer on top of the {@code picked} ones, for a call with {@code room}
   * blocks to send and at most {@code maxPerCall} blocks asked: 0 when the picker found fewer
   * than the room (nothing is left to choose among).
   */
  public static int extras(int picked, int room, int maxPerCall) {
    int extra = Math.min(maxPerCall, FACTOR * room) - picked;
    return extra <= 0 || picked < room ? 0 : extra;
  }

  /**
   * Whether a block may be offered as an extra: only the seed holds it ({@code availability}
   * peers do, counting the seed) and this would be its only request.
   */
  public static boolean offerable(int availability, int requests) {
    return availability <= 1 && requests == 1;
  }
}
