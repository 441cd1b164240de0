/**
 * The Lua scripts of the Redis registry. Each runs atomically in Redis: a claim cannot race another
 * instance's claim, a frame is stored and published in one step (so a resume that subscribed first
 * and reads second misses nothing), and the synthetic `upstream_lost` end is appended at most once.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A script and its SHA1, for EVALSHA. */
export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

const script = (name: string, lua: string): Script => ({
  name,
  lua,
  sha: createHash('sha1').update(lua).digest('hex'),
});

/** Milliseconds from the Redis clock, so instances with skewed clocks agree on deadlines. */
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * End a running stream whose owner's lease is gone with an error frame and a stop, published like
 * any frame. KEYS meta, lease, frames; returns 1 when it appended, 0 when the stream runs with a
 * live lease, -1 when the stream is finished or unknown.
 */
const LOSE = `
local function lose(meta, lease, frames, id, errorContent, retention, streamChannel, convPrefix, force)
  local state = redis.call('HGET', meta, 'state')
  if state ~= 'running' then return -1 end
  if force ~= '1' and redis.call('EXISTS', lease) == 1 then return 0 end
  local seq = tonumber(redis.call('HGET', meta, 'next'))
  local conv = redis.call('HGET', meta, 'conv')
  -- Frames carry the client's request id; the payload names the registry key besides.
  local idJson = cjson.encode(redis.call('HGET', meta, 'cid') or id)
  local keyJson = cjson.encode(id)
  -- Every message carries a timestamp (ms since the epoch): Redis's clock, the one all agree on.
  local now = redis.call('TIME')
  local ts = ',"timestamp":' .. string.format('%d', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))
  local texts = {
    '{"type":"error","content":' .. errorContent .. ',"request_id":' .. idJson .. ',"seq":' .. seq .. ts .. '}',
    '{"type":"stop","content":{"reason":"error"},"request_id":' .. idJson .. ',"seq":' .. (seq + 1) .. ts .. '}',
  }
  for i, text in ipairs(texts) do
    redis.call('XADD', frames, '0-' .. (seq + i), 'f', text, 'n', #text)
    local payload = 'redis {"kind":"frame","key":' .. keyJson .. ',"frame":' .. text .. '}'
    redis.call('PUBLISH', streamChannel, payload)
    if conv then redis.call('PUBLISH', convPrefix .. conv, payload) end
  end
  redis.call('HSET', meta, 'state', 'done', 'next', seq + 2, 'lost', '1')
  redis.call('PEXPIRE', meta, retention)
  redis.call('PEXPIRE', frames, retention)
  redis.call('DEL', lease)
  return 1
end
`;

/**
 * KEYS meta, lease, the conversation's stream set (or the none key); ARGV owner, conversation
 * ('' for none), record TTL, lease TTL, request id (the registry key), the client's request id,
 * the stream's owner, its resume token hash.
 */
export const CLAIM = script(
  'claim',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'running', 'next', 0, 'bytes', 0, 'owner', ARGV[1])
redis.call('HSET', KEYS[1], 'cid', ARGV[6], 'own', ARGV[7], 'rth', ARGV[8])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'conv', ARGV[2])
  -- Members that join later learn of the running streams here, to watch them for a lost owner.
  redis.call('SADD', KEYS[3], ARGV[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[4])
return 1
`,
);

/**
 * KEYS three per stream (meta, frames, lease); ARGV buffer bytes, record TTL, retention, length
 * bound, then per stream: its channel, its conversation's channel ('' for none), its frame count,
 * and five per frame, in seq order: seq, frame JSON, its bytes, is-stop ('1'/'0'), payload. One call
 * stores and publishes every frame the streams made in one event-loop turn (paced, each stream's
 * chunk holds one frame, and a call per stream was a round trip and a script run per frame).
 * Returns one result per stream: 1 stored, -1 the stream is finished (or was declared lost), -2 a
 * frame before one of them is missing (a write failed): the caller ends the stream instead of
 * storing a gap. A frame already stored (a retry) is skipped.
 */
export const APPEND = script(
  'append',
  `
local limit = tonumber(ARGV[1])
local results = {}
local a = 5
for s = 1, #KEYS, 3 do
  local meta, frames, lease = KEYS[s], KEYS[s + 1], KEYS[s + 2]
  local channel, conv, count = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local first, last = a + 3, a + 2 + count * 5
  a = last + 1
  local record = redis.call('HMGET', meta, 'state', 'next', 'bytes')
  if record[1] ~= 'running' then
    results[#results + 1] = -1
  else
    local nxt = tonumber(record[2])
    local bytes = tonumber(record[3])
    local ttl = ARGV[2]
    local result = 1
    for i = first, last, 5 do
      local seq = tonumber(ARGV[i])
      if seq > nxt then
        result = -2
        break
      end
      if seq == nxt then
        redis.call('XADD', frames, 'MAXLEN', '~', ARGV[4], '0-' .. (seq + 1), 'f', ARGV[i + 1], 'n', ARGV[i + 2])
        bytes = bytes + tonumber(ARGV[i + 2])
        while bytes > limit do
          -- Keep the newest frame, so a resume can still learn the first seq held.
          local head = redis.call('XRANGE', frames, '-', '+', 'COUNT', 2)
          if #head < 2 then break end
          redis.call('XDEL', frames, head[1][1])
          bytes = bytes - tonumber(head[1][2][4])
        end
        nxt = seq + 1
        if ARGV[i + 3] == '1' then
          redis.call('HSET', meta, 'state', 'done')
          redis.call('DEL', lease)
          ttl = ARGV[3]
        end
        redis.call('PUBLISH', channel, ARGV[i + 4])
        if conv ~= '' then redis.call('PUBLISH', conv, ARGV[i + 4]) end
      end
    end
    redis.call('HSET', meta, 'bytes', bytes, 'next', nxt)
    redis.call('PEXPIRE', meta, ttl)
    redis.call('PEXPIRE', frames, ttl)
    results[#results + 1] = result
  end
end
return results
`,
);

/**
 * KEYS meta, lease, frames; ARGV after seq, request id, error content JSON, retention, stream
 * channel, conversation channel prefix. Ends the stream first if its owner is lost, then answers
 * {'unknown'} | {'truncated', firstSeq} | {'ok', state, conversation, client request id, stream
 * owner, resume token hash, frame JSON...}.
 */
export const READ = script(
  'read',
  `${LOSE}
lose(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], '0')
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'unknown'} end
local after = tonumber(ARGV[1])
local head = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
if #head > 0 then
  local first = tonumber(string.match(head[1][1], '%-(%d+)$')) - 1
  if first > after + 1 then return {'truncated', first} end
end
local m = redis.call('HMGET', KEYS[1], 'conv', 'cid', 'own', 'rth')
local out = {'ok', state, m[1] or '', m[2] or '', m[3] or '', m[4] or ''}
for _, entry in ipairs(redis.call('XRANGE', KEYS[3], '0-' .. (after + 2), '+')) do
  out[#out + 1] = entry[2][2]
end
return out
`,
);

/**
 * KEYS meta, lease, frames; ARGV request id, error content JSON, retention, stream channel,
 * conversation channel prefix, force ('1' ends it even with a live lease). See {@link LOSE}.
 */
export const LOST = script(
  'lost',
  `${LOSE}
return lose(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
`,
);

/**
 * KEYS meta, lease, frames; ARGV owner, lease TTL, record TTL. Renews the owner's lease of a
 * running stream (taking it back if it lapsed and nobody ended the stream); 0 when it is not ours.
 */
export const RENEW = script(
  'renew',
  `
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1
`,
);

/** KEYS lease; ARGV owner. Let go of a lease (the stream ended, or this instance stops). */
export const RELEASE = script(
  'release',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`,
);

/**
 * A sorted set of deadlines (conversation members, stream subscriber instances). KEYS set, users
 * hash (or the none key); ARGV mode ('add' also renews, 'remove'), TTL, user ('' for none),
 * members. Prunes entries past their deadline first; returns {pruned, live count, user ids...}.
 */
export const DEADLINES = script(
  'deadlines',
  `
${NOW}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, member in ipairs(dead) do redis.call('HDEL', KEYS[2], member) end
if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) end
local ttl = tonumber(ARGV[2])
for i = 4, #ARGV do
  if ARGV[1] == 'remove' then
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('HDEL', KEYS[2], ARGV[i])
  else
    redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
    if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], ARGV[i], ARGV[3]) end
  end
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
local out = {#dead, redis.call('ZCARD', KEYS[1])}
for _, user in ipairs(redis.call('HVALS', KEYS[2])) do out[#out + 1] = user end
return out
`,
);

/**
 * KEYS stream subscriber set, conversation members (or the none key); ARGV this instance. The
 * sockets elsewhere that would receive the stream: other instances with direct subscribers (one
 * each) plus live conversation members.
 */
export const AUDIENCE = script(
  'audience',
  `
${NOW}
local n = redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
local mine = redis.call('ZSCORE', KEYS[1], ARGV[1])
if mine and tonumber(mine) > now then n = n - 1 end
return n + redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
`,
);

/** Every script, loaded on each (re)connect so EVALSHA rarely misses. */
export const SCRIPTS: readonly Script[] = [
  CLAIM,
  APPEND,
  READ,
  LOST,
  RENEW,
  RELEASE,
  DEADLINES,
  AUDIENCE,
];

/** Run a script by SHA, sending its text once if Redis does not know it (after a restart). */
export async function runScript(
  redis: Redis,
  s: Script,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(s.lua, keys.length, ...keys, ...args);
  }
}
