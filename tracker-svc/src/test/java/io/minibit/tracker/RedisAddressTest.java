package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class RedisAddressTest {
  @Test
  void portAndDatabaseDefault() {
    RedisAddress address = RedisAddress.parse("redis://cache.internal");
    assertEquals(new RedisAddress("cache.internal", 6379, 0, Optional.empty(), Optional.empty()),
        address);
    assertEquals("redis://cache.internal:6379/0", address.toString());
  }

  @Test
  void everyPartIsRead() {
    assertEquals(new RedisAddress("10.0.0.5", 6380, 3, Optional.of("tracker"),
            Optional.of("p@ss:word")),
        RedisAddress.parse("redis://tracker:p%40ss%3Aword@10.0.0.5:6380/3"));
    assertEquals(new RedisAddress("h", 6379, 0, Optional.empty(), Optional.of("secret")),
        RedisAddress.parse("redis://:secret@h/"));
  }

  @Test
  void thePasswordIsNeverShown() {
    RedisAddress address = RedisAddress.parse("redis://:hunter2@h:1");
    assertFalse(address.toString().contains("hunter2"), address.toString());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> RedisAddress.parse("redis://:hunter2@h:1/x"));
    assertFalse(bad.getMessage().contains("hunter2"), bad.getMessage());
  }

  @Test
  void whatIsNotAStoreSaysWhy() {
    assertRefused("http://h:6379", "only redis://");
    assertRefused("redis:///0", "no host");
    assertRefused("redis://h:0", "port 0");
    assertRefused("redis://h/abc", "database number");
    assertRefused("redis://h/-1", "database number");
    assertRefused("redis://h?db=1", "query");
    assertRefused("redis://user@h", "after a colon");
    assertRefused("redis://h h", "not a URI");
  }

  private static void assertRefused(String uri, String why) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisAddress.parse(uri));
    assertTrue(e.getMessage().contains(why), e.getMessage());
    assertTrue(e.getMessage().startsWith("--store "), e.getMessage());
  }
}
