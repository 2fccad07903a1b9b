//! The Lua scripts (`EVAL`) for the steps that must be atomic. Each
//! touches keys of one Cluster slot only (passed in `KEYS`), as Cluster
//! requires.

/// KEYS: user. ARGV: password hash, created. 1 when created, 0 when the
/// name is taken (`HSETNX`: of two instances signing up one name at the
/// same instant, exactly one gets 1).
pub const CREATE_USER: &str = "\
if redis.call('HSETNX', KEYS[1], 'h', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'c', ARGV[2])
return 1";

/// KEYS: user. ARGV: old hash, new hash. 1 when replaced, 0 when the
/// stored hash is no longer the old one.
pub const REPLACE_HASH: &str = "\
if redis.call('HGET', KEYS[1], 'h') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'h', ARGV[2])
return 1";

/// KEYS: user, user's session index. ARGV: now, new password hash (or
/// empty). Sets "revoked before" to now (never backwards) and the new
/// hash, and returns the user's session hashes (none for no user).
pub const REVOKE_ALL: &str = "\
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'h', ARGV[2]) end
local rb = tonumber(redis.call('HGET', KEYS[1], 'rb')) or 0
if tonumber(ARGV[1]) > rb then redis.call('HSET', KEYS[1], 'rb', ARGV[1]) end
return redis.call('ZRANGE', KEYS[2], 0, -1)";

/// KEYS: session. ARGV: now. Moves `last_seen_at` forward if the session
/// still exists (never recreating an ended one).
pub const TOUCH: &str = "\
local s = tonumber(redis.call('HGET', KEYS[1], 's'))
if s and s < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 's', ARGV[1]) end
return 1";

/// KEYS: id counter, comments, version. ARGV: created, author, text.
/// Returns the new id.
pub const POST_COMMENT: &str = "\
local id = redis.call('INCR', KEYS[1])
local sid = string.format('%d', id)
redis.call('ZADD', KEYS[2], sid, sid .. ':' .. ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3])
redis.call('INCR', KEYS[3])
return id";

/// KEYS: comments, version. ARGV: id, author. 1 deleted, 0 no such
/// comment, -1 someone else's.
pub const DELETE_COMMENT: &str = "\
local m = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
if #m == 0 then return 0 end
local author = string.match(m[1], '^%d+:%-?%d+:([^:]*):')
if author ~= ARGV[2] then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
redis.call('INCR', KEYS[2])
return 1";
