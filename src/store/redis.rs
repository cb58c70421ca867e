//! Redis revocation store, for apps running many instances.
//!
//! Key layout (every key starts with the prefix, `simplejwt:` by default):
//!
//! | key | value | expires |
//! |---|---|---|
//! | `<prefix>bl:<jti>` | `1`, or `r<instant>` when a rotation spent the token | when no instance could still accept the token (`exp` or `refresh_exp`, plus leeway) |
//! | `<prefix>fam:<family>` | `1` | when the family's last token expires |
//! | `<prefix>user:<user_id>` | revoked-before instant (Unix seconds) | when every token issued before it has expired |
//! | `<prefix>out:<user_id>` | sorted set of `[jti, iat, exp, family]` JSON arrays, scored by `exp` | with the user's last outstanding token |
//! | `<prefix>out-users` | sorted set of user ids, scored by their last outstanding token's `exp` | never; the flush prunes it |
//! | `<prefix>attempt:<key>@<window start>` | login attempts counted in the window | when the window ends |
//!
//! Expiry is set as a time to live counted from the app's clock (`PX`, not
//! `EXAT`), so an entry lives exactly as long as the app needs it whatever
//! the Redis server's clock says. Keys and values are binary safe: any bytes
//! in a claim are stored as they are.
//!
//! Needs Redis 6.0 or newer; [`RedisStore::connect`] checks the server's
//! version and refuses older ones.
//!
//! Works on Redis Cluster ([`RedisStore::connect_cluster`]): every write
//! and script touches exactly one key, and the revocation check is one
//! `MGET`, which the cluster client splits by slot and sends to the nodes
//! at once (one round trip). The flush
//! walks the `out-users` index rather than `SCAN`, which would see one node
//! only. Blacklisting is `SET ... NX PX` (in a script), atomic on the
//! server: of many concurrent refreshes of one token exactly one wins. No raw
//! token is stored.

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, PushInfo, PushKind, Script, Value};

use crate::store::{
    BlacklistEntry, Blacklisted, FeedSender, InvalidationFeed, OutstandingToken, RevocationQuery,
    RevocationStore, StoreError, StoreErrorKind, StoreFuture,
};

/// The oldest Redis this store works with: `SET ... KEEPTTL` is 6.0.
const MIN_VERSION: (u64, u64) = (6, 0);

/// Inserts `KEYS[1] = ARGV[1]` for `ARGV[2]` milliseconds unless it exists;
/// an existing key only ever has its life extended. Replies `{1, ""}` when
/// this call inserted, else `{0, <value found>}`.
const INSERT: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, ''} end
local old = redis.call('GET', KEYS[1]) or ''
local t = redis.call('PTTL', KEYS[1])
if t == -1 or t < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {0, old}";

/// Makes the key live at least `ARGV[1]` more milliseconds (never shortens it).
const EXTEND: &str = r"
local t = redis.call('PTTL', KEYS[1])
if t == -2 then return 0 end
if t == -1 or t < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1";

/// Raises the revoked-before instant to `ARGV[1]` (never lowers it) and
/// keeps the key at least `ARGV[2]` more milliseconds.
const REVOKE_USER: &str = r"
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
local t = redis.call('PTTL', KEYS[1])
if t == -1 or t < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1";

/// Raises user `ARGV[2]`'s score in the index `KEYS[1]` to `ARGV[1]`
/// (never lowers it; `ZADD GT` needs Redis 6.2).
const INDEX_USER: &str = r"
local cur = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not cur or tonumber(cur) < tonumber(ARGV[1]) then redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) end
return 1";

/// Counts an attempt in `KEYS[1]`, which lives `ARGV[1]` milliseconds from
/// its first attempt; replies the count.
const ATTEMPT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n";

/// Redis refuses expiry times past about 2^63 milliseconds; nothing here
/// needs more than a few centuries.
const MAX_TTL_MS: u64 = 10_000 * 365 * 24 * 3600 * 1000;

/// Milliseconds from the app's `now` to `expires_at`: at least 1, so an
/// entry already past its life is dropped at once.
/// Whether the server `INFO server` describes is recent enough; the error
/// says which version is needed and why.
fn supported(info: &str) -> Result<(), String> {
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map_or("unknown", str::trim);
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found < MIN_VERSION {
        return Err(format!(
            "Redis {version} is too old: the revocation store needs Redis {}.{} or newer (it uses SET ... KEEPTTL)",
            MIN_VERSION.0, MIN_VERSION.1
        ));
    }
    Ok(())
}

fn ttl(expires_at: u64, now: u64) -> u64 {
    expires_at
        .saturating_sub(now)
        .saturating_mul(1000)
        .clamp(1, MAX_TTL_MS)
}

/// A revocation store in Redis. Clones share the connection.
///
/// ```no_run
/// # async fn demo() -> Result<(), tower_simplejwt::store::StoreError> {
/// use tower_simplejwt::store::redis::RedisStore;
///
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?.with_prefix("myapp:jwt:");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore<C = ConnectionManager> {
    conn: C,
    prefix: String,
    timeout: Duration,
    insert: Script,
    extend: Script,
    revoke_user: Script,
    index_user: Script,
    attempt: Script,
    /// Replicas that must hold a revocation before it is acknowledged, and
    /// how long to wait for them (milliseconds).
    acks: Option<(u32, u64)>,
}

impl<C> fmt::Debug for RedisStore<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn store_error(e: redis::RedisError) -> StoreError {
    let kind = if e.is_timeout() {
        StoreErrorKind::Timeout
    } else if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
        StoreErrorKind::Unavailable
    } else {
        StoreErrorKind::Backend
    };
    StoreError::new(kind, "Redis store call failed", Some(Box::new(e)))
}

impl RedisStore<ConnectionManager> {
    /// Connects with a connection manager that reconnects by itself after
    /// Redis restarts. Connecting and every response time out after 1 second.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(store_error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = tokio::time::timeout(
            Duration::from_secs(3),
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| StoreError::new(StoreErrorKind::Timeout, "Redis connect timed out", None))?
        .map_err(store_error)?;
        let store = Self::from_connection(conn);
        store.check_server().await?;
        Ok(store)
    }
}

impl RedisStore<ClusterConnection> {
    /// Connects to a Redis Cluster through any of its nodes
    /// (`["redis://10.0.0.1:6379", ...]`); the client follows the cluster's
    /// topology, redirections and failovers. Connecting and every response
    /// time out after 1 second.
    pub async fn connect_cluster<I, T>(nodes: I) -> Result<Self, StoreError>
    where
        I: IntoIterator<Item = T>,
        T: redis::IntoConnectionInfo,
    {
        let client = ClusterClientBuilder::new(nodes)
            .connection_timeout(Duration::from_secs(1))
            .response_timeout(Duration::from_secs(1))
            .retries(3)
            .build()
            .map_err(store_error)?;
        let conn = tokio::time::timeout(Duration::from_secs(5), client.get_async_connection())
            .await
            .map_err(|_| {
                StoreError::new(
                    StoreErrorKind::Timeout,
                    "Redis Cluster connect timed out",
                    None,
                )
            })?
            .map_err(store_error)?;
        let store = Self::from_connection(conn);
        store.check_server().await?;
        Ok(store)
    }
}

impl<C> RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    /// A store on any async connection (for example a connection manager
    /// built with your own settings, or a cluster connection).
    pub fn from_connection(conn: C) -> Self {
        Self {
            conn,
            prefix: "simplejwt:".to_owned(),
            timeout: Duration::from_secs(2),
            insert: Script::new(INSERT),
            extend: Script::new(EXTEND),
            revoke_user: Script::new(REVOKE_USER),
            index_user: Script::new(INDEX_USER),
            attempt: Script::new(ATTEMPT),
            acks: None,
        }
    }

    /// Puts every key under `prefix` (defaults to `simplejwt:`).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Acknowledges a revocation (blacklist, family, user) only once `replicas`
    /// replicas hold it (`WAIT`, up to `timeout`), so a failover that
    /// promotes one of them loses none; otherwise the call fails and the
    /// app answers 503 (the client retries). Defaults to off: Redis
    /// replicates asynchronously, and a primary that dies right after a
    /// logout may take it with it.
    #[must_use]
    pub fn with_replica_acks(mut self, replicas: u32, timeout: Duration) -> Self {
        let ms = u64::try_from(timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        self.acks = Some((replicas, ms));
        self
    }

    /// The per-call timeout (defaults to 2 seconds); past it requests get 503.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }

    async fn timed<T>(
        &self,
        fut: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(result) => result.map_err(store_error),
            Err(_) => Err(StoreError::new(
                StoreErrorKind::Timeout,
                "Redis store call timed out",
                None,
            )),
        }
    }

    /// Inserts `key = value` for `ttl` milliseconds unless it exists (then only
    /// extends its life). Returns the value found, `None` when this call
    /// inserted.
    async fn insert(
        &self,
        key: String,
        value: &str,
        ttl: u64,
    ) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.clone();
        let (inserted, old): (i64, String) = match self.acks {
            None => {
                self.timed(
                    self.insert
                        .key(key)
                        .arg(value)
                        .arg(ttl)
                        .invoke_async(&mut conn),
                )
                .await?
            }
            Some(acks) => {
                let mut pipe = redis::pipe();
                pipe.cmd("EVAL")
                    .arg(INSERT)
                    .arg(1)
                    .arg(key)
                    .arg(value)
                    .arg(ttl);
                self.replicated(pipe, acks).await?
            }
        };
        Ok((inserted == 0).then_some(old))
    }

    /// Runs a one-key write followed by `WAIT` on the key's node; fails
    /// unless enough replicas acknowledged it.
    async fn replicated<T: redis::FromRedisValue>(
        &self,
        mut pipe: redis::Pipeline,
        (replicas, timeout_ms): (u32, u64),
    ) -> Result<T, StoreError> {
        pipe.cmd("WAIT").arg(replicas).arg(timeout_ms);
        let mut conn = self.conn.clone();
        let (reply, acked): (T, u32) = self.timed(pipe.query_async(&mut conn)).await?;
        if acked < replicas {
            return Err(StoreError::new(
                StoreErrorKind::Unavailable,
                format!("the revocation reached {acked} of {replicas} replicas in time"),
                None,
            ));
        }
        Ok(reply)
    }

    async fn revoke_user_impl(
        &self,
        user_id: &str,
        instant: u64,
        keep_until: u64,
        now: u64,
    ) -> Result<(), StoreError> {
        let key = self.key("user", user_id);
        let ttl = ttl(keep_until, now);
        if let Some(acks) = self.acks {
            let mut pipe = redis::pipe();
            pipe.cmd("EVAL")
                .arg(REVOKE_USER)
                .arg(1)
                .arg(&key)
                .arg(instant)
                .arg(ttl);
            let _: i64 = self.replicated(pipe, acks).await?;
        } else {
            let mut conn = self.conn.clone();
            let _: i64 = self
                .timed(
                    self.revoke_user
                        .key(key)
                        .arg(instant)
                        .arg(ttl)
                        .invoke_async(&mut conn),
                )
                .await?;
        }
        Ok(())
    }

    async fn is_revoked_impl(&self, q: RevocationQuery<'_>) -> Result<bool, StoreError> {
        // The keys are built once, for the local check and the reads.
        let bl = self.key("bl", q.jti);
        let fam = q.family.map(|f| self.key("fam", f));
        let user = q.user_id.map(|u| self.key("user", u));
        // One MGET: on one server a single command; on a cluster the client splits it by slot
        // and sends the parts to their nodes at once (keys of one check live
        // in different slots, which a pipeline could not span).
        let keys: Vec<&String> = [Some(&bl), fam.as_ref(), user.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        let mut conn = self.conn.clone();
        let values: Vec<Option<String>> = self
            .timed(redis::cmd("MGET").arg(&keys).query_async(&mut conn))
            .await?;
        let mut values = values.into_iter();
        let revoked = values.next().flatten().is_some();
        let family_revoked = fam.is_some() && values.next().flatten().is_some();
        let before = match user {
            Some(_) => values.next().flatten().and_then(|v| v.parse::<u64>().ok()),
            None => None,
        };
        Ok(revoked || family_revoked || q.is_covered_by(before))
    }

    async fn record_impl(&self, t: OutstandingToken, now: u64) -> Result<(), StoreError> {
        let key = self.key("out", &t.user_id);
        let member = serde_json::to_string(&(&t.jti, t.issued_at, t.expires_at, &t.family))
            .map_err(|e| StoreError::new(StoreErrorKind::Backend, "encoding", Some(Box::new(e))))?;
        let mut pipe = redis::pipe();
        pipe.cmd("ZADD")
            .arg(&key)
            .arg(t.expires_at)
            .arg(member)
            .ignore();
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(&key)
            .arg("-inf")
            .arg(format!("({now}"))
            .ignore();
        let mut conn = self.conn.clone();
        let () = self.timed(pipe.query_async(&mut conn)).await?;
        let _: i64 = self
            .timed(
                self.extend
                    .key(&key)
                    .arg(ttl(t.expires_at, now))
                    .invoke_async(&mut conn),
            )
            .await?;
        let _: i64 = self
            .timed(
                self.index_user
                    .key(self.index_key())
                    .arg(t.expires_at)
                    .arg(&t.user_id)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }

    /// The index of users with outstanding tokens.
    fn index_key(&self) -> String {
        format!("{}out-users", self.prefix)
    }

    async fn outstanding_impl(
        &self,
        user_id: &str,
        now: u64,
    ) -> Result<Vec<OutstandingToken>, StoreError> {
        let mut conn = self.conn.clone();
        let members: Vec<String> = self
            .timed(
                redis::cmd("ZRANGEBYSCORE")
                    .arg(self.key("out", user_id))
                    .arg(now)
                    .arg("+inf")
                    .query_async(&mut conn),
            )
            .await?;
        Ok(members
            .into_iter()
            .filter_map(|m| {
                let (jti, issued_at, expires_at, family) =
                    serde_json::from_str::<(String, u64, u64, Option<String>)>(&m).ok()?;
                Some(OutstandingToken {
                    jti,
                    user_id: user_id.to_owned(),
                    family,
                    issued_at,
                    expires_at,
                })
            })
            .collect())
    }

    /// Redis expires blacklist, family and user keys by itself; this prunes
    /// expired members from the outstanding-token sets. It walks the
    /// `out-users` index (in batches of 500), so on a cluster it reaches
    /// every user's set whichever primary holds it; users whose last token
    /// expired leave the index (their set expired with it).
    async fn flush_impl(&self, now: u64) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        let index = self.index_key();
        let _: i64 = self
            .timed(
                redis::cmd("ZREMRANGEBYSCORE")
                    .arg(&index)
                    .arg("-inf")
                    .arg(format!("({now}"))
                    .query_async(&mut conn),
            )
            .await?;
        let mut cursor: u64 = 0;
        let mut removed = 0u64;
        loop {
            let (next, page): (u64, Vec<String>) = self
                .timed(
                    redis::cmd("ZSCAN")
                        .arg(&index)
                        .arg(cursor)
                        .arg("COUNT")
                        .arg(500)
                        .query_async(&mut conn),
                )
                .await?;
            // ZSCAN answers member, score, member, score...
            for user in page.iter().step_by(2) {
                let n: u64 = self
                    .timed(
                        redis::cmd("ZREMRANGEBYSCORE")
                            .arg(self.key("out", user))
                            .arg("-inf")
                            .arg(format!("({now}"))
                            .query_async(&mut conn),
                    )
                    .await?;
                removed += n;
            }
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }

    /// Starts an [`InvalidationFeed`] for this store's keys on its own
    /// RESP3 connection to the Redis server at `url` (server-assisted
    /// client-side caching: `CLIENT TRACKING ON BCAST` for the blacklist,
    /// family and user keys under the store's prefix). Redis pushes an
    /// invalidation whenever any client changes one of them; a `PING` on
    /// the same connection, every quarter of `bound`, confirms the feed is
    /// live. Hand it to
    /// [`RevokedCache::with_invalidations`](crate::store::RevokedCache::with_invalidations).
    ///
    /// A single server only: on Redis Cluster each node tracks its own
    /// keys, so this refuses a cluster node; use
    /// [`RevokedCache::with_not_revoked_for`](crate::store::RevokedCache::with_not_revoked_for)
    /// there. Fails when the first connection cannot be made; after that,
    /// the feed reconnects by itself (the cache asks the store meanwhile).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), tower_simplejwt::store::StoreError> {
    /// use std::time::Duration;
    /// use tower_simplejwt::store::RevokedCache;
    /// use tower_simplejwt::store::redis::RedisStore;
    ///
    /// let url = "redis://127.0.0.1:6379";
    /// let store = RedisStore::connect(url).await?;
    /// let feed = store.invalidation_feed(url, Duration::from_secs(1)).await?;
    /// let store = RevokedCache::new(store, 100_000, Duration::from_secs(600)).with_invalidations(feed);
    /// # Ok(()) }
    /// ```
    pub async fn invalidation_feed(
        &self,
        url: &str,
        bound: Duration,
    ) -> Result<InvalidationFeed, StoreError> {
        let mut info = redis::IntoConnectionInfo::into_connection_info(url).map_err(store_error)?;
        let redis_settings = info
            .redis_settings()
            .clone()
            .set_protocol(redis::ProtocolVersion::RESP3);
        info = info.set_redis_settings(redis_settings);
        let client = redis::Client::open(info).map_err(store_error)?;
        let (feed, sender) = InvalidationFeed::new(bound);
        let tracker = Tracker {
            client,
            prefix: self.prefix.clone(),
            sender,
        };
        let conn = tracker.connect().await.map_err(store_error)?;
        if tracker.is_cluster_node(conn.clone()).await {
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                "invalidation feeds need a single Redis server: a Redis Cluster node only tracks its own keys (use RevokedCache::with_not_revoked_for on a cluster)",
                None,
            ));
        }
        let task = tokio::spawn(tracker.run(conn));
        let abort = task.abort_handle();
        Ok(feed.on_drop(move || abort.abort()))
    }

    /// Checks that the server is a Redis this store works with (6.0 or
    /// newer); [`connect`](RedisStore::connect) calls it.
    pub async fn check_server(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let info: Value = self
            .timed(redis::cmd("INFO").arg("server").query_async(&mut conn))
            .await?;
        // A cluster answers for every primary: node address -> text.
        let answers = match info {
            Value::Map(nodes) => nodes.into_iter().map(|(_, text)| text).collect(),
            one => vec![one],
        };
        for text in answers {
            let text: String = redis::from_redis_value(text).map_err(|e| {
                StoreError::new(
                    StoreErrorKind::Backend,
                    "unexpected INFO reply",
                    Some(Box::new(e)),
                )
            })?;
            supported(&text)
                .map_err(|message| StoreError::new(StoreErrorKind::Backend, message, None))?;
        }
        Ok(())
    }

    /// Checks the connection (`PING`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let v: Value = self
            .timed(redis::cmd("PING").query_async(&mut conn))
            .await?;
        match v {
            Value::SimpleString(s) if s == "PONG" => Ok(()),
            _ => Err(StoreError::new(
                StoreErrorKind::Backend,
                "unexpected PING reply",
                None,
            )),
        }
    }
}

/// The connection behind a Redis [`InvalidationFeed`].
struct Tracker {
    client: redis::Client,
    prefix: String,
    sender: FeedSender,
}

impl Tracker {
    /// Connects, turns tracking on and confirms the feed from the instant
    /// tracking was asked for.
    async fn connect(&self) -> redis::RedisResult<MultiplexedConnection> {
        let every = self.sender.heartbeat_every();
        let (sender, prefix) = (self.sender.clone(), self.prefix.clone());
        // Pushes are handled as the connection reads them, before the
        // replies that follow them are delivered: a PONG proves every
        // earlier invalidation was applied.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(every.max(Duration::from_secs(1))))
            .set_response_timeout(Some(every))
            .set_push_sender(move |push: PushInfo| {
                on_push(&sender, &prefix, push);
                Ok::<(), std::convert::Infallible>(())
            });
        let mut conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        let sent = Instant::now();
        let mut tracking = redis::cmd("CLIENT");
        tracking.arg("TRACKING").arg("ON").arg("BCAST");
        for kind in ["bl:", "fam:", "user:"] {
            tracking.arg("PREFIX").arg(format!("{}{kind}", self.prefix));
        }
        tracking.query_async::<()>(&mut conn).await?;
        self.sender.confirm(sent);
        Ok(conn)
    }

    async fn is_cluster_node(&self, mut conn: MultiplexedConnection) -> bool {
        let info: redis::RedisResult<String> = redis::cmd("INFO")
            .arg("cluster")
            .query_async(&mut conn)
            .await;
        info.is_ok_and(|i| i.contains("cluster_enabled:1"))
    }

    /// Heartbeats on `conn`; reconnects (with backoff) when it fails.
    async fn run(self, conn: MultiplexedConnection) {
        let every = self.sender.heartbeat_every();
        let mut conn = Some(conn);
        let mut backoff = Duration::from_millis(50);
        loop {
            if let Some(mut live) = conn.take() {
                backoff = Duration::from_millis(50);
                loop {
                    tokio::time::sleep(every).await;
                    let sent = Instant::now();
                    let pong: redis::RedisResult<Value> =
                        redis::cmd("PING").query_async(&mut live).await;
                    if pong.is_err() {
                        self.sender.lost();
                        break;
                    }
                    self.sender.confirm(sent);
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
            conn = self.connect().await.ok();
        }
    }
}

/// Applies one push from the tracking connection.
fn on_push(sender: &FeedSender, prefix: &str, push: PushInfo) {
    match push.kind {
        PushKind::Invalidate => match push.data.first() {
            Some(Value::Array(keys)) => {
                for key in keys {
                    match key {
                        Value::BulkString(key) => invalidate_key(sender, prefix, key),
                        _ => sender.invalidate_all(),
                    }
                }
            }
            // A flushed database: every tracked key changed.
            _ => sender.invalidate_all(),
        },
        PushKind::Disconnection => sender.lost(),
        _ => {}
    }
}

fn invalidate_key(sender: &FeedSender, prefix: &str, key: &[u8]) {
    let Some(rest) = std::str::from_utf8(key)
        .ok()
        .and_then(|k| k.strip_prefix(prefix))
    else {
        // Not a key this store wrote: nothing to forget, but forgetting
        // everything is the safe answer to what cannot be read.
        sender.invalidate_all();
        return;
    };
    if let Some(jti) = rest.strip_prefix("bl:") {
        sender.invalidate_jti(jti);
    } else if let Some(family) = rest.strip_prefix("fam:") {
        sender.invalidate_family(family);
    } else if let Some(user) = rest.strip_prefix("user:") {
        sender.invalidate_user(user);
    } else {
        sender.invalidate_all();
    }
}

impl<C> RevocationStore for RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    fn name(&self) -> &'static str {
        "redis"
    }

    fn blacklist<'a>(&'a self, e: BlacklistEntry<'a>) -> StoreFuture<'a, Blacklisted> {
        Box::pin(async move {
            let value = if e.rotation {
                format!("r{}", e.now)
            } else {
                "1".to_owned()
            };
            let found = self
                .insert(self.key("bl", e.jti), &value, ttl(e.expires_at, e.now))
                .await?;
            Ok(match found {
                None => Blacklisted::Inserted,
                Some(old) => Blacklisted::Existing {
                    rotated_at: old.strip_prefix('r').and_then(|t| t.parse().ok()),
                },
            })
        })
    }

    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        expires_at: u64,
        now: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.insert(self.key("fam", family), "1", ttl(expires_at, now))
                .await
                .map(|_| ())
        })
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        instant: u64,
        keep_until: u64,
        now: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.revoke_user_impl(user_id, instant, keep_until, now))
    }

    fn is_revoked<'a>(&'a self, query: RevocationQuery<'a>) -> StoreFuture<'a, bool> {
        Box::pin(self.is_revoked_impl(query))
    }

    fn record_outstanding(&self, token: OutstandingToken, now: u64) -> StoreFuture<'_, ()> {
        Box::pin(self.record_impl(token, now))
    }

    fn outstanding_for_user<'a>(
        &'a self,
        user_id: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<OutstandingToken>> {
        Box::pin(self.outstanding_impl(user_id, now))
    }

    fn count_attempt<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let (key, ends) = crate::store::attempt_window(key, window, now);
            let mut conn = self.conn.clone();
            let count: u64 = self
                .timed(
                    self.attempt
                        .key(self.key("attempt", &key))
                        .arg(ttl(ends, now))
                        .invoke_async(&mut conn),
                )
                .await?;
            Ok(count)
        })
    }

    fn clear_attempts<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (key, _) = crate::store::attempt_window(key, window, now);
            let mut conn = self.conn.clone();
            let _: i64 = self
                .timed(
                    redis::cmd("DEL")
                        .arg(self.key("attempt", &key))
                        .query_async(&mut conn),
                )
                .await?;
            Ok(())
        })
    }

    fn flush_expired(&self, now: u64) -> StoreFuture<'_, u64> {
        Box::pin(self.flush_impl(now))
    }
}

#[cfg(test)]
mod tests {
    use super::supported;

    #[test]
    fn servers_older_than_6_0_are_refused_with_the_reason() {
        for ok in ["7.0.15", "6.0.0", "10.1"] {
            assert!(
                supported(&format!("# Server\r\nredis_version:{ok}\r\n")).is_ok(),
                "{ok}"
            );
        }
        for old in ["5.0.14", "4.0.9", "garbage"] {
            let err = supported(&format!("# Server\r\nredis_version:{old}\r\n")).unwrap_err();
            assert!(err.contains(&format!("Redis {old} is too old")), "{err}");
            assert!(err.contains("6.0 or newer"), "{err}");
        }
        assert!(supported("no version at all").is_err());
    }
}
