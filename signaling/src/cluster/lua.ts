/**
 * The Lua scripts that change shared state. Each runs atomically in Redis, so two instances
 * deciding about the same id, room or address at once never both win. Keys (see keys.ts):
 *   pf:owner:<id>       hash iid, addr: which instance holds the id, and the address counted
 *   pf:peers:<iid>      set of ids an instance holds
 *   pf:resv:<id>        hash d = SHA-256 of the token; expires RESERVATION_TTL after last sight
 *   pf:newids:<addr>    new ids reserved by an address in the current hour
 *   pf:sockets:<addr>   hash iid -> open sockets of the address on that instance
 *   pf:sockaddrs:<iid>  set of addresses an instance counts sockets for
 *   pf:room:<room>      hash id -> member JSON;  pf:member:<id> hash room, addr
 *   pf:members:<addr>   room members joined from an address
 *   pf:queue:<id>       messages waiting for an absent id;  pf:queues sorted set by age
 */

/** Removes an id from its room and the address's member count. */
const LEAVE_ROOM = `
local function leave_room(id)
  local m = redis.call('HMGET', 'pf:member:' .. id, 'room', 'addr')
  if not m[1] then return 0 end
  redis.call('DEL', 'pf:member:' .. id)
  if m[2] and redis.call('DECR', 'pf:members:' .. m[2]) <= 0 then
    redis.call('DEL', 'pf:members:' .. m[2])
  end
  redis.call('HDEL', 'pf:room:' .. m[1], id)
  if redis.call('HLEN', 'pf:room:' .. m[1]) == 0 then redis.call('SREM', 'pf:rooms', m[1]) end
  return 1
end
`;

/** The instance that holds an id, when that instance is alive. */
const LIVE_OWNER = `
local function live_owner(id)
  local iid = redis.call('HGET', 'pf:owner:' .. id, 'iid')
  if iid and redis.call('EXISTS', 'pf:alive:' .. iid) == 1 then return iid end
  return false
end
`;

/** An instance stops holding an id: the reservation ages from now, the room place ends. */
const RELEASE_OWNER = `${LEAVE_ROOM}
local function release_owner(id, iid, now, ttl)
  if redis.call('HGET', 'pf:owner:' .. id, 'iid') ~= iid then return 0 end
  redis.call('DEL', 'pf:owner:' .. id)
  redis.call('SREM', 'pf:peers:' .. iid, id)
  if redis.call('EXISTS', 'pf:resv:' .. id) == 1 then
    redis.call('PEXPIRE', 'pf:resv:' .. id, ttl)
    redis.call('SREM', 'pf:resv:live', id)
    redis.call('ZADD', 'pf:resv:idle', now, id)
  end
  leave_room(id)
  return 1
end
`;

/** Makes `iid` the holder of `id` for the token digest, counting the socket for `addr`. */
const HOLD = `
local function hold(id, digest, iid, addr)
  redis.call('HSET', 'pf:resv:' .. id, 'd', digest)
  redis.call('PERSIST', 'pf:resv:' .. id)
  redis.call('ZREM', 'pf:resv:idle', id)
  redis.call('SADD', 'pf:resv:live', id)
  local previous = redis.call('HGET', 'pf:owner:' .. id, 'iid')
  if previous and previous ~= iid then redis.call('SREM', 'pf:peers:' .. previous, id) end
  redis.call('HSET', 'pf:owner:' .. id, 'iid', iid, 'addr', addr)
  redis.call('SADD', 'pf:peers:' .. iid, id)
  redis.call('SADD', 'pf:instances', iid)
  return previous or ''
end
`;

/**
 * Admission of a registration. ARGV: id, digest, iid, addr, now, ttl, maxReservations,
 * newIdsLimit, newIdsWindowMs, maxSockets. Returns {verdict, previousHolder, evicted}.
 */
export const CLAIM = `${HOLD}
local id, digest, iid, addr = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, ttl, max_resv = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local new_limit, new_window, max_sockets = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
redis.call('ZREMRANGEBYSCORE', 'pf:resv:idle', '-inf', now - ttl)
local held = redis.call('HGET', 'pf:resv:' .. id, 'd')
if held and held ~= digest then return {'taken', '', 0} end
if not held and tonumber(redis.call('GET', 'pf:newids:' .. addr) or '0') >= new_limit then
  return {'new_ids', '', 0}
end
local open = 0
for _, n in ipairs(redis.call('HVALS', 'pf:sockets:' .. addr)) do open = open + tonumber(n) end
-- A takeover hands the old socket's place to the new one.
if held and redis.call('HGET', 'pf:owner:' .. id, 'addr') == addr then open = open - 1 end
if open >= max_sockets then return {'sockets', '', 0} end
local verdict, evicted = 'renewed', 0
if not held then
  verdict = 'created'
  while redis.call('SCARD', 'pf:resv:live') + redis.call('ZCARD', 'pf:resv:idle') >= max_resv do
    local oldest = redis.call('ZPOPMIN', 'pf:resv:idle')
    if #oldest == 0 then break end
    redis.call('DEL', 'pf:resv:' .. oldest[1])
    evicted = evicted + 1
  end
  if redis.call('INCR', 'pf:newids:' .. addr) == 1 then
    redis.call('PEXPIRE', 'pf:newids:' .. addr, new_window)
  end
end
local previous = hold(id, digest, iid, addr)
redis.call('HINCRBY', 'pf:sockets:' .. addr, iid, 1)
redis.call('SADD', 'pf:sockaddrs:' .. iid, addr)
return {verdict, previous, evicted}
`;

/** A counted socket closed. ARGV: addr, iid. */
export const RELEASE_SOCKET = `
local addr, iid = ARGV[1], ARGV[2]
if redis.call('HINCRBY', 'pf:sockets:' .. addr, iid, -1) <= 0 then
  redis.call('HDEL', 'pf:sockets:' .. addr, iid)
end
return 1
`;

/** The holder on this instance disconnected. ARGV: id, iid, now, ttl. Returns 1 if it held. */
export const RELEASE_OWNER_SCRIPT = `${RELEASE_OWNER}
return release_owner(ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/** The token digest of a connected id, or nil. ARGV: id. */
export const CONNECTED_DIGEST = `${LIVE_OWNER}
if not live_owner(ARGV[1]) then return false end
return redis.call('HGET', 'pf:resv:' .. ARGV[1], 'd')
`;

/**
 * Joins a room. ARGV: room, id, memberJson, role, name, addr, maxRoomSize, maxPerAddress.
 * Returns {'ok', members...} or {'full'}, {'address'}, {'gone'}.
 */
export const JOIN = `${LEAVE_ROOM}
local room, id, member, role, name, addr = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local max_size, max_per_addr = tonumber(ARGV[7]), tonumber(ARGV[8])
if redis.call('EXISTS', 'pf:owner:' .. id) == 0 then return {'gone'} end
local key = 'pf:room:' .. room
local existing = redis.call('HGET', key, id)
if existing then
  local m = cjson.decode(existing)
  m.role = role
  m.name = name
  redis.call('HSET', key, id, cjson.encode(m))
else
  if redis.call('HLEN', key) >= max_size then return {'full'} end
  local own = 0
  if redis.call('HGET', 'pf:member:' .. id, 'addr') == addr then own = 1 end
  if tonumber(redis.call('GET', 'pf:members:' .. addr) or '0') - own >= max_per_addr then
    return {'address'}
  end
  leave_room(id)
  redis.call('INCR', 'pf:members:' .. addr)
  redis.call('HSET', 'pf:member:' .. id, 'room', room, 'addr', addr)
  redis.call('HSET', key, id, member)
  redis.call('SADD', 'pf:rooms', room)
end
local out = {'ok'}
for _, m in ipairs(redis.call('HVALS', key)) do out[#out + 1] = m end
return out
`;

/** Leaves the room. ARGV: id. */
export const LEAVE = `${LEAVE_ROOM}
return leave_room(ARGV[1])
`;

/** The room of an id and its members: {room, members...} or {}. ARGV: id. */
export const ROOM_OF = `
local room = redis.call('HGET', 'pf:member:' .. ARGV[1], 'room')
if not room then return {} end
local out = {room}
for _, m in ipairs(redis.call('HVALS', 'pf:room:' .. room)) do out[#out + 1] = m end
return out
`;

/** Puts a message in an absent id's queue (bounded). ARGV: dst, message, now, maxQueued. */
const ENQUEUE = `
local function enqueue(dst, message, now, max_queued)
  local key = 'pf:queue:' .. dst
  if redis.call('LLEN', key) >= max_queued then return 0 end
  redis.call('RPUSH', key, message)
  -- Outlives the expiry sweep by far: a queue nobody sweeps (no instance left) still goes.
  redis.call('PEXPIRE', key, 60000)
  redis.call('ZADD', 'pf:queues', 'NX', now, dst)
  return 1
end
`;

/**
 * Routes one message to the instance holding `dst`, or queues it while `dst` is absent
 * (LEAVE and EXPIRE are not queued, as in PeerServer). One atomic step, so a peer that
 * registers meanwhile either gets the message published or finds it in its queue.
 * ARGV: dst, envelope, message, now, maxQueued, queueable (1/0).
 * Returns 'relayed', 'queued', 'full' or 'dropped'.
 */
export const ROUTE = `${LIVE_OWNER}${ENQUEUE}
local dst = ARGV[1]
local iid = live_owner(dst)
if iid and redis.call('PUBLISH', 'pf:relay:' .. iid, ARGV[2]) > 0 then return 'relayed' end
if ARGV[6] ~= '1' then return 'dropped' end
if enqueue(dst, ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])) == 1 then return 'queued' end
return 'full'
`;

/** Queues a message that reached an instance its id had left. ARGV as enqueue. */
export const ENQUEUE_SCRIPT = `${ENQUEUE}
return enqueue(ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
`;

/** Takes an id's queued messages, oldest first. ARGV: id. */
export const TAKE_QUEUE = `
local key = 'pf:queue:' .. ARGV[1]
local messages = redis.call('LRANGE', key, 0, -1)
redis.call('DEL', key)
redis.call('ZREM', 'pf:queues', ARGV[1])
return messages
`;

/** Takes every queue older than the cutoff (at most `limit` ids). ARGV: cutoff, limit. */
export const TAKE_EXPIRED_QUEUES = `
local ids = redis.call('ZRANGEBYSCORE', 'pf:queues', '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, dst in ipairs(ids) do
  for _, m in ipairs(redis.call('LRANGE', 'pf:queue:' .. dst, 0, -1)) do out[#out + 1] = m end
  redis.call('DEL', 'pf:queue:' .. dst)
  redis.call('ZREM', 'pf:queues', dst)
end
return out
`;

/** Drops the socket counts of an instance. */
const FORGET_SOCKETS = `
local function forget_sockets(iid)
  for _, addr in ipairs(redis.call('SMEMBERS', 'pf:sockaddrs:' .. iid)) do
    redis.call('HDEL', 'pf:sockets:' .. addr, iid)
  end
  redis.call('DEL', 'pf:sockaddrs:' .. iid)
end
`;

/**
 * Releases everything a dead instance held (its heartbeat key expired). ARGV: iid, now, ttl.
 * Returns the ids released, or -1 when the instance is alive after all.
 */
export const REAP = `${RELEASE_OWNER}${FORGET_SOCKETS}
local iid, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('EXISTS', 'pf:alive:' .. iid) == 1 then return -1 end
local ids = redis.call('SMEMBERS', 'pf:peers:' .. iid)
for _, id in ipairs(ids) do release_owner(id, iid, now, ttl) end
redis.call('DEL', 'pf:peers:' .. iid)
forget_sockets(iid)
redis.call('SREM', 'pf:instances', iid)
return #ids
`;

/**
 * Writes an instance's own view back after Redis was unreachable or restarted empty.
 * ARGV: iid, now, ttl, JSON [[id, digest, addr, [room, memberJson, addr] | false]...] of
 * its connected peers, JSON {addr: open sockets}. Releases ids it no longer holds; returns
 * the ids another token took meanwhile.
 */
export const RESYNC = `${RELEASE_OWNER}${HOLD}${FORGET_SOCKETS}
local iid, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local peers = cjson.decode(ARGV[4])
local mine = {}
for _, p in ipairs(peers) do mine[p[1]] = true end
for _, id in ipairs(redis.call('SMEMBERS', 'pf:peers:' .. iid)) do
  if not mine[id] then release_owner(id, iid, now, ttl) end
end
forget_sockets(iid)
for addr, n in pairs(cjson.decode(ARGV[5])) do
  redis.call('HINCRBY', 'pf:sockets:' .. addr, iid, n)
  redis.call('SADD', 'pf:sockaddrs:' .. iid, addr)
end
local lost = {}
for _, p in ipairs(peers) do
  local id, digest, addr = p[1], p[2], p[3]
  local held = redis.call('HGET', 'pf:resv:' .. id, 'd')
  if held and held ~= digest then
    lost[#lost + 1] = id
  else
    hold(id, digest, iid, addr)
    local r = p[4]
    if r and redis.call('EXISTS', 'pf:member:' .. id) == 0 then
      redis.call('HSET', 'pf:room:' .. r[1], id, r[2])
      redis.call('HSET', 'pf:member:' .. id, 'room', r[1], 'addr', r[3])
      redis.call('INCR', 'pf:members:' .. r[3])
      redis.call('SADD', 'pf:rooms', r[1])
    end
  end
end
return lost
`;
