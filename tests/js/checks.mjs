// End-to-end checks of the pmkv gateway with the official @upstash/redis client in its
// default configuration (auto-pipelining, base64 responses, read-your-writes), plus
// @upstash/ratelimit. Run by tests/gateway/test_client_js.py, one Node process for all.
//
// Environment: UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN, PMKV_TEST_PREFIX (unique
// key prefix), PMKV_READONLY_TOKEN. Prints one JSON line per check:
// {"check": name, "ok": true|false, "error": "..."}; exits 0 once every check has run.
import assert from "node:assert/strict";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";

const url = process.env.UPSTASH_REDIS_REST_URL;
const p = process.env.PMKV_TEST_PREFIX ?? `pmkvjs-${Date.now()}-`;
const redis = Redis.fromEnv();

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function expectUpstashError(promise, pattern) {
  try {
    await promise;
  } catch (error) {
    assert.equal(error.name, "UpstashError", `expected UpstashError, got ${error}`);
    assert.match(error.message, pattern);
    return error;
  }
  assert.fail(`expected an UpstashError matching ${pattern}`);
}

const checks = {
  async strings_and_numbers() {
    assert.equal(await redis.set(`${p}s`, "hello"), "OK");
    assert.equal(await redis.get(`${p}s`), "hello");
    await redis.set(`${p}n`, 42);
    assert.equal(await redis.get(`${p}n`), 42);
    assert.equal(await redis.incr(`${p}n`), 43);
    await redis.set(`${p}big`, "9007199254740993");
    assert.equal(await redis.get(`${p}big`), "9007199254740993");
    assert.equal(await redis.get(`${p}missing`), null);
    await redis.set(`${p}ex`, "v", { ex: 100 });
    const ttl = await redis.ttl(`${p}ex`);
    assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
    await redis.set(`${p}u`, "héllo 世界 🎉");
    assert.equal(await redis.get(`${p}u`), "héllo 世界 🎉");
    assert.deepEqual(await redis.mget(`${p}s`, `${p}missing`), ["hello", null]);
  },

  async objects() {
    const value = { a: 1, b: [1, 2], c: "x", nested: { ok: true, none: null } };
    assert.equal(await redis.set(`${p}obj`, value), "OK");
    assert.deepEqual(await redis.get(`${p}obj`), value);
    await redis.set(`${p}bool`, true);
    assert.equal(await redis.get(`${p}bool`), true);
  },

  async promise_all_batches() {
    const results = await Promise.all([
      redis.set(`${p}b1`, "one"),
      redis.set(`${p}b2`, { two: 2 }),
      redis.incr(`${p}b3`),
      redis.get(`${p}b1`),
      redis.hset(`${p}bh`, { f: "v" }),
      redis.hgetall(`${p}bh`),
      redis.exists(`${p}b1`, `${p}b2`),
    ]);
    assert.equal(results[0], "OK");
    assert.equal(results[1], "OK");
    assert.equal(results[2], 1);
    assert.ok(results[3] === "one" || results[3] === null, `read ${results[3]}`);
    assert.equal(results[4], 1);
    assert.deepEqual(await redis.mget(`${p}b1`, `${p}b2`), ["one", { two: 2 }]);
    const many = await Promise.all(Array.from({ length: 200 }, () => redis.incr(`${p}bn`)));
    assert.deepEqual(
      [...many].sort((x, y) => x - y),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  },

  async scan_string_cursor() {
    const keys = Array.from({ length: 30 }, (_, i) => `${p}scan:${i}`);
    await Promise.all(keys.map((k) => redis.set(k, "v")));
    const found = new Set();
    let cursor = "0";
    let rounds = 0;
    do {
      const [next, batch] = await redis.scan(cursor, { match: `${p}scan:*`, count: 10 });
      assert.equal(typeof next, "string");
      for (const k of batch) found.add(k);
      cursor = next;
      rounds += 1;
    } while (cursor !== "0" && rounds < 1000);
    assert.deepEqual([...found].sort(), [...keys].sort());
  },

  async scan_with_type() {
    await redis.set(`${p}wt:s`, "v");
    await redis.hset(`${p}wt:h`, { f: "v" });
    const found = [];
    let cursor = "0";
    let rounds = 0;
    do {
      const [next, batch] = await redis.scan(cursor, { match: `${p}wt:*`, withType: true });
      found.push(...batch);
      cursor = next;
      rounds += 1;
    } while (cursor !== "0" && rounds < 1000);
    found.sort((x, y) => x.key.localeCompare(y.key));
    assert.deepEqual(found, [
      { key: `${p}wt:h`, type: "hash" },
      { key: `${p}wt:s`, type: "string" },
    ]);
  },

  async hashes() {
    assert.equal(await redis.hset(`${p}h`, { a: 1, b: "x", c: { d: 1 } }), 3);
    assert.deepEqual(await redis.hgetall(`${p}h`), { a: 1, b: "x", c: { d: 1 } });
    assert.equal(await redis.hget(`${p}h`, "b"), "x");
    assert.equal(await redis.hincrby(`${p}h`, "a", 2), 3);
    assert.deepEqual((await redis.hkeys(`${p}h`)).sort(), ["a", "b", "c"]);
    assert.equal(await redis.hgetall(`${p}nohash`), null);
  },

  async lists() {
    assert.equal(await redis.rpush(`${p}l`, "a", "b", { c: 1 }), 3);
    assert.equal(await redis.lpush(`${p}l`, "z"), 4);
    assert.deepEqual(await redis.lrange(`${p}l`, 0, -1), ["z", "a", "b", { c: 1 }]);
    assert.equal(await redis.lpop(`${p}l`), "z");
    assert.equal(await redis.llen(`${p}l`), 3);
  },

  async sets() {
    assert.equal(await redis.sadd(`${p}set`, "a", "b", "c"), 3);
    assert.deepEqual((await redis.smembers(`${p}set`)).sort(), ["a", "b", "c"]);
    assert.equal(await redis.sismember(`${p}set`, "b"), 1);
    assert.equal(await redis.scard(`${p}set`), 3);
  },

  async sorted_sets() {
    assert.equal(
      await redis.zadd(`${p}z`, { score: 1.5, member: "a" }, { score: 13.361389, member: "b" }),
      2,
    );
    assert.equal(await redis.zscore(`${p}z`, "a"), 1.5);
    assert.deepEqual(await redis.zrange(`${p}z`, 0, -1, { withScores: true }), [
      "a",
      1.5,
      "b",
      13.361389,
    ]);
    assert.equal(await redis.zincrby(`${p}z`, 0.25, "a"), 1.75);
    assert.equal(await redis.zcard(`${p}z`), 2);
    assert.equal(await redis.zrank(`${p}z`, "b"), 1);
  },

  async scripts() {
    assert.equal(await redis.eval("return ARGV[1]", [], ["hello"]), "hello");
    assert.equal(await redis.eval("return redis.call('INCR', KEYS[1])", [`${p}e`], []), 1);
    const sha = await redis.scriptLoad(`return redis.call('GET', KEYS[1]) -- ${p}`);
    assert.equal(await redis.evalsha(sha, [`${p}e`], []), 1);
    const script = redis.createScript(`return {KEYS[1], ARGV[1]} -- ${p}`);
    assert.deepEqual(await script.exec([`${p}k`], ["v"]), [`${p}k`, "v"]);
    await expectUpstashError(redis.evalsha("0".repeat(40), [], []), /NOSCRIPT/);
  },

  async pipeline() {
    const pipe = redis.pipeline();
    pipe.set(`${p}p`, { x: 1 });
    pipe.get(`${p}p`);
    pipe.incr(`${p}pn`);
    pipe.hset(`${p}ph`, { f: "v" });
    pipe.hgetall(`${p}ph`);
    pipe.zadd(`${p}pz`, { score: 0.5, member: "m" });
    pipe.zscore(`${p}pz`, "m");
    assert.deepEqual(await pipe.exec(), ["OK", { x: 1 }, 1, 1, { f: "v" }, 1, 0.5]);
  },

  async multi() {
    const tx = redis.multi();
    tx.set(`${p}m`, "10");
    tx.incrby(`${p}m`, 5);
    tx.get(`${p}m`);
    tx.lpush(`${p}ml`, "x");
    assert.deepEqual(await tx.exec(), ["OK", 15, 15, 1]);
    const concurrent = await Promise.all(
      Array.from({ length: 20 }, () => {
        const t = redis.multi();
        t.incr(`${p}mc`);
        t.incr(`${p}mc`);
        return t.exec();
      }),
    );
    for (const [first, second] of concurrent) assert.equal(second, first + 1);
    assert.equal(await redis.get(`${p}mc`), 40);
  },

  async exec_raw() {
    assert.equal(await redis.exec(["SET", `${p}x`, "raw"]), "OK");
    assert.equal(await redis.exec(["GET", `${p}x`]), "raw");
    assert.equal(await redis.exec(["INCRBY", `${p}xn`, 5]), 5);
    assert.deepEqual(await redis.exec(["HSET", `${p}xh`, "f", "v"]), 1);
    assert.deepEqual(await redis.exec(["HGETALL", `${p}xh`]), ["f", "v"]);
  },

  async errors() {
    await redis.set(`${p}err`, "string");
    await expectUpstashError(redis.hget(`${p}err`, "f"), /WRONGTYPE/);
    await expectUpstashError(redis.exec(["SET", `${p}err`]), /wrong number of arguments/);
    await expectUpstashError(redis.exec(["NOSUCHCOMMAND"]), /ERR/);
    const pipe = redis.pipeline();
    pipe.set(`${p}err2`, "1");
    pipe.hget(`${p}err`, "f");
    await expectUpstashError(pipe.exec(), /WRONGTYPE/);
    const [ok, bad] = await Promise.allSettled([
      redis.incr(`${p}err3`),
      redis.hget(`${p}err`, "f"),
    ]);
    assert.equal(ok.status, "fulfilled");
    assert.equal(bad.status, "rejected");
  },

  async bad_token() {
    const bad = new Redis({ url, token: "definitely-not-the-token" });
    await expectUpstashError(bad.get(`${p}s`), /WRONGPASS|nauthorized/);
    const pipe = bad.pipeline();
    pipe.get(`${p}s`);
    await expectUpstashError(pipe.exec(), /WRONGPASS|nauthorized/);
  },

  async readonly_token() {
    const ro = new Redis({ url, token: process.env.PMKV_READONLY_TOKEN });
    await redis.set(`${p}ro`, "v");
    assert.equal(await ro.get(`${p}ro`), "v");
    await expectUpstashError(ro.set(`${p}ro`, "w"), /NOPERM/);
    assert.equal(await redis.get(`${p}ro`), "v");
  },

  async read_your_writes() {
    const client = Redis.fromEnv();
    const initial = client.readYourWritesSyncToken;
    await client.set(`${p}ryw`, "1");
    const afterSet = client.readYourWritesSyncToken;
    assert.ok(afterSet, "no sync token after SET");
    assert.notEqual(afterSet, initial);
    const pipe = client.pipeline();
    pipe.incr(`${p}ryw`);
    await pipe.exec();
    assert.notEqual(client.readYourWritesSyncToken, afterSet);
    const afterPipe = client.readYourWritesSyncToken;
    const tx = client.multi();
    tx.incr(`${p}ryw`);
    await tx.exec();
    assert.notEqual(client.readYourWritesSyncToken, afterPipe);
    const afterMulti = client.readYourWritesSyncToken;
    await client.eval("return redis.call('INCR', KEYS[1])", [`${p}ryw`], []);
    assert.notEqual(client.readYourWritesSyncToken, afterMulti);
    const seen = new Set();
    for (let i = 0; i < 3; i++) {
      await client.set(`${p}ryw${i}`, i);
      seen.add(client.readYourWritesSyncToken);
    }
    assert.equal(seen.size, 3);
  },

  async subscribe() {
    const channel = `${p}chan`;
    const sub = redis.subscribe([channel]);
    const subscribed = new Promise((resolve) => sub.on("subscribe", resolve));
    const received = new Promise((resolve, reject) => {
      sub.on("message", resolve);
      sub.on("error", reject);
    });
    assert.equal(await withTimeout(subscribed, 5000, "subscribe event"), 1);
    assert.equal(await redis.publish(channel, { hello: "world", n: 1 }), 1);
    const message = await withTimeout(received, 5000, "published message");
    assert.deepEqual(message, { channel, message: { hello: "world", n: 1 } });
    await sub.unsubscribe();
  },

  async psubscribe() {
    const pattern = `${p}pchan:*`;
    const sub = redis.psubscribe([pattern]);
    const subscribed = new Promise((resolve) => sub.on("psubscribe", resolve));
    const received = new Promise((resolve, reject) => {
      sub.on("pmessage", resolve);
      sub.on("error", reject);
    });
    await withTimeout(subscribed, 5000, "psubscribe event");
    // pmessage payloads go through a strict JSON.parse in the client, so send an object.
    await redis.publish(`${p}pchan:one`, { text: "with, commas" });
    const message = await withTimeout(received, 5000, "pattern message");
    assert.deepEqual(message, {
      pattern,
      channel: `${p}pchan:one`,
      message: { text: "with, commas" },
    });
    await sub.unsubscribe();
  },

  async ratelimit_sliding_window() {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(5, "30 s"),
      prefix: `${p}rl`,
      ephemeralCache: false,
    });
    const outcomes = [];
    for (let i = 0; i < 7; i++) {
      const { success, remaining, pending } = await limiter.limit("user-1");
      await pending;
      outcomes.push([success, remaining]);
    }
    assert.deepEqual(outcomes.map(([s]) => s), [true, true, true, true, true, false, false]);
    assert.deepEqual(outcomes.slice(0, 5).map(([, r]) => r), [4, 3, 2, 1, 0]);
    const other = await limiter.limit("user-2");
    assert.equal(other.success, true);
    assert.ok((await redis.keys(`${p}rl*`)).length > 0, "the limiter stored nothing");
    const burst = await Promise.all(Array.from({ length: 8 }, () => limiter.limit("user-3")));
    assert.equal(burst.filter((r) => r.success).length, 5);
  },

  async ratelimit_other_algorithms() {
    const fixed = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(3, "30 s"),
      prefix: `${p}rlf`,
      ephemeralCache: false,
    });
    const bucket = new Ratelimit({
      redis,
      limiter: Ratelimit.tokenBucket(1, "30 s", 2),
      prefix: `${p}rlt`,
      ephemeralCache: false,
    });
    const fixedOutcomes = [];
    const bucketOutcomes = [];
    for (let i = 0; i < 4; i++) {
      fixedOutcomes.push((await fixed.limit("u")).success);
      bucketOutcomes.push((await bucket.limit("u")).success);
    }
    assert.deepEqual(fixedOutcomes, [true, true, true, false]);
    assert.deepEqual(bucketOutcomes, [true, true, false, false]);
    const { remaining } = await fixed.getRemaining("u");
    assert.equal(remaining, 0);
  },
};

// A listener that throws inside the client's stream reader would kill Node; make it fail
// the running check instead.
let failCurrent = () => {};
process.on("uncaughtException", (error) => failCurrent(error));
process.on("unhandledRejection", (error) => failCurrent(error));

const only = process.argv.slice(2);
for (const [name, check] of Object.entries(checks)) {
  if (only.length > 0 && !only.includes(name)) continue;
  let line;
  try {
    const crashed = new Promise((_, reject) => {
      failCurrent = reject;
    });
    await withTimeout(Promise.race([check(), crashed]), 15000, name);
    line = { check: name, ok: true };
  } catch (error) {
    line = { check: name, ok: false, error: String(error?.stack ?? error) };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
// Subscriptions are aborted above; exit anyway in case a stream keeps the loop alive.
process.exit(0);
