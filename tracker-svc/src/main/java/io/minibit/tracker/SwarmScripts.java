package io.minibit.tracker;


/**
 * The Lua scripts {@link RedisSwarms} runs, one per operation, each atomic however many trackers
 * share the Redis. Their keys and arguments are listed above each; the key layout is
 * {@link RedisSwarms}'s. Immutable.
 */
final class SwarmScripts {
  /** Members a call drops from a swarm at most, so that no call's cost grows with the silent. */
  static final int PRUNE_BATCH = 512;

  private SwarmScripts() {}

  /** Lua: the time in ms, and dropping a swarm's members heard from before a cutoff. */
  private static final String COMMON = """
      local function now_ms()
        local t = redis.call('TIME')
        return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      end
      local function prune(seen, seeders, entries, cutoff)
        local gone = redis.call('ZRANGEBYSCORE', seen, '-inf', '(' .. cutoff, 'LIMIT', 0, %d)
        for _, id in ipairs(gone) do
          redis.call('ZREM', seen, id)
          redis.call('SREM', seeders, id)
          redis.call('HDEL', entries, id)
        end
        return #gone
      end
      """.formatted(PRUNE_BATCH);

  /**
   * KEYS: session, peer-swarms, seen, seeders, swarms, the source address's sessions, the
   * torrent's manifest (the catalog may have lost it since this tracker read it). ARGV: peer
   * id, SHA-256 of the presented token, SHA-256 of a new token (empty if the announce is not
   * proven: it cannot open a session), timeout ms, stopped (0/1),
   * complete (0/1), entry, entries hash, infohash, most members of a swarm, most
   * sessions of an address, the source address (empty if unknown), proven (0/1), swarm key
   * prefix. Returns {0} for a token that does not match, {2, members} for a full swarm, {3} for
   * an address with too many sessions, {4} for a torrent the catalog does not hold, {5} for an
   * unproven announce without a session, else {1, opened, pruned, members, seeders, changed},
   * changed being 1 if the swarm's membership or seeders changed (joined, completed, expired).
   * The sample of the swarm is drawn after the script (see {@link RedisSwarms#announceAsync}).
   */
  static final LuaScript ANNOUNCE = LuaScript.of(COMMON + """
      local peer = ARGV[1]
      local timeout = tonumber(ARGV[4])
      local now = now_ms()
      local pruned = prune(KEYS[3], KEYS[4], ARGV[8], now - timeout)
      if ARGV[5] ~= '1' and not redis.call('ZSCORE', KEYS[3], peer) then
        -- a member joined when its torrent was in the catalog, and a catalog lost loses it too
        if redis.call('EXISTS', KEYS[7]) == 0 then return {4} end
        local members = redis.call('ZCARD', KEYS[3])
        if members >= tonumber(ARGV[10]) then return {2, members} end
      end
      local by_source = ARGV[12] ~= ''
      local proven = ARGV[13] == '1'
      local held = redis.call('GET', KEYS[1])
      local opened = 0
      if held and held ~= ARGV[2] and held ~= ARGV[3] and proven then
        -- the peer proved its id but lost its token: its old session ends, swarms and all
        for _, infohash in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          local swarm = ARGV[14] .. infohash
          redis.call('ZREM', swarm .. ':seen', peer)
          redis.call('SREM', swarm .. ':seeders', peer)
          redis.call('HDEL', swarm .. ':peers', peer)
        end
        redis.call('DEL', KEYS[2])
        held = nil
      end
      if not held then
        if not proven then return {5} end
        if by_source then
          redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. (now - timeout))
          if redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[11]) then return {3} end
        end
        redis.call('SET', KEYS[1], ARGV[3], 'PX', timeout)
        opened = 1
      elseif held == ARGV[3] then
        -- this very announce, run again after a broken connection, opened the session
        redis.call('PEXPIRE', KEYS[1], timeout)
        opened = 1
      elseif held ~= ARGV[2] then
        return {0}
      else
        redis.call('PEXPIRE', KEYS[1], timeout)
      end
      if by_source then
        redis.call('ZADD', KEYS[6], now, peer)
        redis.call('PEXPIRE', KEYS[6], timeout)
      end
      if ARGV[5] == '1' then
        redis.call('ZREM', KEYS[3], peer)
        redis.call('SREM', KEYS[4], peer)
        redis.call('HDEL', ARGV[8], peer)
        redis.call('SREM', KEYS[2], ARGV[9])
        local members = redis.call('ZCARD', KEYS[3])
        if members == 0 then redis.call('SREM', KEYS[5], ARGV[9]) end
        return {1, opened, pruned, members, redis.call('SCARD', KEYS[4])}
      end
      local joined = redis.call('ZADD', KEYS[3], now, peer)
      local flipped
      if ARGV[6] == '1' then
        flipped = redis.call('SADD', KEYS[4], peer)
      else
        flipped = redis.call('SREM', KEYS[4], peer)
      end
      redis.call('HSET', ARGV[8], peer, ARGV[7])
      redis.call('PEXPIRE', ARGV[8], timeout)
      redis.call('PEXPIRE', KEYS[3], timeout)
      redis.call('PEXPIRE', KEYS[4], timeout)
      if joined == 1 or opened == 1 then
        -- a member already in the swarm has it in both sets since it joined
        redis.call('SADD', KEYS[2], ARGV[9])
        redis.call('SADD', KEYS[5], ARGV[9])
      end
      redis.call('PEXPIRE', KEYS[2], timeout)
      local changed = (joined == 1 or flipped == 1 or pruned > 0) and 1 or 0
      return {1, opened, pruned, redis.call('ZCARD', KEYS[3]), redis.call('SCARD', KEYS[4]),
        changed}
      """);

  /**
   * KEYS: session, peer-swarms. ARGV: peer id, SHA-256 of the presented token, timeout ms,
   * swarm key prefix. Returns 0 for no session, -1 for a token that does not match, else 1.
   */
  static final LuaScript HEARTBEAT = LuaScript.of(COMMON + """
      local peer = ARGV[1]
      local timeout = tonumber(ARGV[3])
      local held = redis.call('GET', KEYS[1])
      if not held then return 0 end
      if held ~= ARGV[2] then return -1 end
      local now = now_ms()
      redis.call('PEXPIRE', KEYS[1], timeout)
      for _, infohash in ipairs(redis.call('SMEMBERS', KEYS[2])) do
        local swarm = ARGV[4] .. infohash
        redis.call('ZADD', swarm .. ':seen', 'XX', now, peer)
        redis.call('PEXPIRE', swarm .. ':peers', timeout)
        redis.call('PEXPIRE', swarm .. ':seen', timeout)
        redis.call('PEXPIRE', swarm .. ':seeders', timeout)
      end
      redis.call('PEXPIRE', KEYS[2], timeout)
      return 1
      """);

  /**
   * KEYS: seen, seeders, swarms. ARGV: timeout ms, entries hash, infohash. Returns {pruned,
   * members, seeders}.
   */
  static final LuaScript COUNTS = LuaScript.of(COMMON + """
      local pruned = prune(KEYS[1], KEYS[2], ARGV[2], now_ms() - tonumber(ARGV[1]))
      local members = redis.call('ZCARD', KEYS[1])
      if members == 0 then redis.call('SREM', KEYS[3], ARGV[3]) end
      return {pruned, members, redis.call('SCARD', KEYS[2])}
      """);

  /**
   * KEYS: seen, seeders. ARGV: timeout ms, entries hash. Returns {pruned, ids, scores,
   * entries}, the members in no meaningful order.
   */
  static final LuaScript MEMBERS = LuaScript.of(COMMON + """
      local pruned = prune(KEYS[1], KEYS[2], ARGV[2], now_ms() - tonumber(ARGV[1]))
      local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
      local ids, scores, entries = {}, {}, {}
      local chunk = {}
      for i = 1, #all, 2 do
        ids[#ids + 1] = all[i]
        scores[#scores + 1] = all[i + 1]
        chunk[#chunk + 1] = all[i]
        if #chunk == 1000 or i + 1 == #all then
          for _, entry in ipairs(redis.call('HMGET', ARGV[2], unpack(chunk))) do
            entries[#entries + 1] = entry
          end
          chunk = {}
        end
      end
      return {pruned, ids, scores, entries}
      """);
}
