package io.minibit.tracker;

import io.minibit.core.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * A Lua script a {@link RedisStore} runs: sent whole the first time and by its SHA-1 after that.
 * Immutable.
 */
record LuaScript(byte[] source, byte[] sha1) {
  static LuaScript of(String source) {
    byte[] bytes = source.getBytes(StandardCharsets.UTF_8);
    return new LuaScript(bytes,
        HexFormat.of().formatHex(Hashing.sha1(bytes)).getBytes(StandardCharsets.US_ASCII));
  }
}
