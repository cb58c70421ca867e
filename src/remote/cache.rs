//! The key cache: one immutable snapshot swapped atomically, refreshed by a
//! background task that alone talks to the key server.
//!
//! Requests only read: [`RemoteKeySet::lookup`] loads the snapshot (no
//! lock), and for an unknown `kid` may wake the task (at most once per
//! cooldown) and wait for the fetch it runs. The task holds a weak
//! reference and ends when the last handle is dropped.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::{ArcSwap, ArcSwapOption};
use tokio::sync::{Notify, watch};

use crate::keys::{VerifyingKey, select_key};
use crate::remote::fetch::{Fetcher, discovery_url, jwks_uri, parse_set};
use crate::remote::{
    FetchEvent, FetchTrigger, FetchedKeys, KeyFetchError, KeyFetchErrorKind, KeysHealth, Location,
    RemoteKeys,
};

/// A remote key set in use: cheap to clone (one `Arc`). Add it to a
/// configuration with
/// [`SimpleJwtBuilder::with_remote_keys`](crate::SimpleJwtBuilder::with_remote_keys);
/// keep a clone to ask for its [`health`](Self::health).
#[derive(Clone)]
pub struct RemoteKeySet {
    source: Arc<Source>,
}

impl fmt::Debug for RemoteKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeySet")
            .field("config", &self.source.config)
            .field("health", &self.health())
            .finish()
    }
}

/// The keys of one successful fetch.
pub(crate) struct Snapshot {
    pub(crate) keys: Vec<VerifyingKey>,
    /// Until when the set is fresh; the task refreshes it before.
    fresh_until: Instant,
    /// Until when the set may serve while fetches fail.
    usable_until: Instant,
    /// Encoded token headers seen on tokens this snapshot verified, with
    /// the key each selects: such a header needs no decoding. Only tokens
    /// that passed every check add one, and at most [`LEARNED_HEADERS`].
    learned: ArcSwap<Vec<(Box<[u8]>, usize)>>,
}

/// How many token headers a snapshot remembers (a provider writes one per key).
const LEARNED_HEADERS: usize = 16;

impl Snapshot {
    fn new(keys: Vec<VerifyingKey>, fresh_until: Instant, stale_for: Duration) -> Self {
        Self {
            keys,
            fresh_until,
            usable_until: fresh_until + stale_for,
            learned: ArcSwap::default(),
        }
    }
}

struct Source {
    config: RemoteKeys,
    fetcher: Fetcher,
    snapshot: ArcSwapOption<Snapshot>,
    /// The key set's URL once known (discovery finds it).
    jwks_url: Mutex<Option<reqwest::Url>>,
    /// The instant the durations below count from.
    base: Instant,
    /// When an unknown `kid` last started a fetch, in milliseconds since
    /// `base`, plus one (0: never).
    last_trigger: AtomicU64,
    fetching: AtomicBool,
    wake: Arc<Notify>,
    /// Counts finished fetches; waiting requests watch it.
    done: watch::Sender<u64>,
    health: Mutex<HealthState>,
}

#[derive(Default)]
struct HealthState {
    last_success: Option<SystemTime>,
    last_failure: Option<(SystemTime, String)>,
    fetches: u64,
    failures: u64,
    /// Failures since the last success.
    streak: u32,
}

impl Drop for Source {
    fn drop(&mut self) {
        // Wakes the task so that it sees the set is gone and ends.
        self.wake.notify_one();
    }
}

/// What the cache says about a token's key.
pub(crate) enum Lookup {
    /// The key, from a usable snapshot.
    Found(Arc<Snapshot>, usize),
    /// Not in the set, and no fetch may be started now (cooldown).
    Unknown,
    /// Not in the set; a fetch is under way: wait for it, then look again.
    Pending(Wait),
    /// No usable set: the key server could not be reached.
    Unavailable,
}

/// Waiting for the fetch under way.
#[derive(Debug)]
pub(crate) struct Wait {
    done: watch::Receiver<u64>,
    limit: Duration,
}

impl Wait {
    /// Resolves when the fetch under way finished (or after its time limit).
    pub(crate) async fn finished(mut self) {
        let _ = tokio::time::timeout(self.limit, self.done.changed()).await;
    }
}

impl RemoteKeySet {
    pub(crate) async fn load(config: RemoteKeys) -> Result<Self, KeyFetchError> {
        let set = Self::new(config)?;
        let next = set
            .source
            .refresh(FetchTrigger::Startup)
            .await
            .map_err(|(_, e)| e)?;
        set.spawn(Some(next));
        Ok(set)
    }

    pub(crate) fn start(config: RemoteKeys) -> Result<Self, KeyFetchError> {
        let set = Self::new(config)?;
        set.spawn(None);
        Ok(set)
    }

    fn new(config: RemoteKeys) -> Result<Self, KeyFetchError> {
        config.check()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(KeyFetchError::new(
                KeyFetchErrorKind::Config,
                "remote keys are refreshed by a background task: load or start them \
                 inside a tokio runtime",
            ));
        }
        let fetcher = Fetcher::new(&config)?;
        let first_url = match &config.location {
            Location::JwksUrl(url) => Some(fetcher.url(url)?),
            Location::Discovery(issuer) => {
                fetcher.url(&discovery_url(issuer))?;
                None
            }
        };
        let base = Instant::now();
        let snapshot = match &config.initial {
            None => None,
            Some(set) => {
                let body = serde_json::to_vec(set).unwrap_or_default();
                let parsed = parse_set(&body, config.algorithm)?;
                let fresh_until = base + config.default_ttl;
                Some(Arc::new(Snapshot::new(
                    parsed.keys,
                    fresh_until,
                    config.stale_for,
                )))
            }
        };
        let (done, _) = watch::channel(0);
        Ok(Self {
            source: Arc::new(Source {
                fetcher,
                snapshot: ArcSwapOption::new(snapshot),
                jwks_url: Mutex::new(first_url),
                base,
                last_trigger: AtomicU64::new(0),
                fetching: AtomicBool::new(false),
                wake: Arc::new(Notify::new()),
                done,
                health: Mutex::new(HealthState::default()),
                config,
            }),
        })
    }

    /// Starts the background task; `first` is the delay until its first
    /// fetch (`None`: the startup fetch, at once).
    fn spawn(&self, first: Option<Duration>) {
        let weak = Arc::downgrade(&self.source);
        let wake = self.source.wake.clone();
        tokio::spawn(run(weak, wake, first));
    }

    /// The issuer tokens verified with these keys must carry, if configured.
    pub fn issuer(&self) -> Option<&str> {
        self.source.config.issuer.as_deref()
    }

    /// The audiences this provider's tokens must name (empty: the
    /// configuration's audience).
    pub(crate) fn audience(&self) -> &[String] {
        &self.source.config.audience
    }

    /// Whether keys are loaded and usable, and how the fetches went.
    pub fn health(&self) -> KeysHealth {
        let source = &self.source;
        let snapshot = source.snapshot.load();
        let now = Instant::now();
        let usable = snapshot.as_ref().filter(|s| now < s.usable_until);
        let state = source.health_state();
        KeysHealth {
            ready: usable.is_some(),
            stale: usable.is_some_and(|s| now >= s.fresh_until),
            keys: usable.map_or(0, |s| s.keys.len()),
            last_success: state.last_success,
            last_failure: state.last_failure.clone(),
            fetches: state.fetches,
            failures: state.failures,
        }
    }

    /// The key an encoded token header selected before, in the usable
    /// snapshot: no decoding, no lookup.
    #[inline]
    pub(crate) fn known_header(&self, header_b64: &[u8]) -> Option<(Arc<Snapshot>, usize)> {
        let snapshot = self.source.snapshot.load_full()?;
        let index = snapshot
            .learned
            .load()
            .iter()
            .find(|(h, _)| &h[..] == header_b64)
            .map(|(_, i)| *i)?;
        (Instant::now() < snapshot.usable_until).then_some((snapshot, index))
    }

    /// Remembers that `header_b64` selects key `index` of `snapshot`, after
    /// a token with it passed every check.
    pub(crate) fn learn(&self, snapshot: &Snapshot, header_b64: &[u8], index: usize) {
        snapshot.learned.rcu(|learned| {
            let mut learned = Vec::clone(learned);
            if learned.len() < LEARNED_HEADERS && !learned.iter().any(|(h, _)| &h[..] == header_b64)
            {
                learned.push((header_b64.into(), index));
            }
            learned
        });
    }

    /// The key for `kid`: at once when the snapshot has it; otherwise see
    /// [`Lookup`].
    pub(crate) fn lookup(&self, kid: Option<&str>) -> Lookup {
        let source = &self.source;
        let found = |snapshot: Option<Arc<Snapshot>>, now: Instant| match snapshot {
            Some(s) if now < s.usable_until => match select_key(&s.keys, kid) {
                Some(i) => Ok(Lookup::Found(s, i)),
                None => Err(true),
            },
            _ => Err(false),
        };
        let now = Instant::now();
        if let Ok(hit) = found(source.snapshot.load_full(), now) {
            return hit;
        }
        // A miss. Subscribe, then look again: a fetch that ended in between
        // is in the snapshot, and one that ends later wakes the wait.
        let done = source.done.subscribe();
        match found(source.snapshot.load_full(), now) {
            Ok(hit) => return hit,
            Err(false) => return Lookup::Unavailable,
            Err(true) => {}
        }
        let wait = Wait {
            done,
            limit: source.config.timeout + Duration::from_secs(1),
        };
        if source.fetching.load(Ordering::Acquire) {
            return Lookup::Pending(wait);
        }
        let now_ms = source.millis(now);
        let last = source.last_trigger.load(Ordering::Acquire);
        let cooldown = u64::try_from(source.config.cooldown.as_millis()).unwrap_or(u64::MAX);
        if last != 0 && now_ms < (last - 1).saturating_add(cooldown) {
            return Lookup::Unknown;
        }
        if source
            .last_trigger
            .compare_exchange(last, now_ms + 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            source.wake.notify_one();
        }
        // Whoever won the race started the fetch; everyone waits for it.
        Lookup::Pending(wait)
    }
}

impl Source {
    fn millis(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_millis()).unwrap_or(u64::MAX)
    }

    fn health_state(&self) -> std::sync::MutexGuard<'_, HealthState> {
        self.health.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Fetches the set once and swaps it in; returns the delay until the
    /// next fetch, with the error when it failed (the last good set is kept).
    async fn refresh(&self, trigger: FetchTrigger) -> Result<Duration, (Duration, KeyFetchError)> {
        self.fetching.store(true, Ordering::Release);
        let started = Instant::now();
        let (url, outcome) = self.fetch().await;
        let now = Instant::now();
        let outcome = outcome.map(|(parsed, ttl)| {
            let fetched = FetchedKeys {
                kids: parsed.keys.iter().map(|k| k.kid.clone()).collect(),
                skipped: parsed.skipped,
                ttl,
            };
            let fresh_until = now + ttl;
            self.snapshot.store(Some(Arc::new(Snapshot::new(
                parsed.keys,
                fresh_until,
                self.config.stale_for,
            ))));
            fetched
        });
        let delay = {
            let mut state = self.health_state();
            state.fetches += 1;
            match &outcome {
                Ok(fetched) => {
                    state.last_success = Some(SystemTime::now());
                    state.streak = 0;
                    // Refreshed ahead of expiry: at four fifths of the TTL.
                    fetched.ttl * 4 / 5
                }
                Err(e) => {
                    let url = match &self.config.location {
                        Location::JwksUrl(url) | Location::Discovery(url) => url,
                    };
                    crate::observe::key_fetch_failed(url, e.kind(), e);
                    state.last_failure = Some((SystemTime::now(), e.to_string()));
                    state.failures += 1;
                    state.streak = state.streak.saturating_add(1);
                    // Retries back off from 1 second to 1 minute.
                    Duration::from_secs(1 << state.streak.min(7).saturating_sub(1))
                        .min(Duration::from_secs(60))
                }
            }
        };
        if outcome.is_err() && matches!(self.config.location, Location::Discovery(_)) {
            // The set may have moved: discover it again next time.
            *self.jwks_url.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
        self.fetching.store(false, Ordering::Release);
        self.done.send_modify(|n| *n += 1);
        if let Some(hook) = &self.config.on_fetch {
            hook(&FetchEvent {
                url,
                trigger,
                elapsed: now.duration_since(started),
                outcome: outcome.clone(),
            });
        }
        outcome.map(|_| delay).map_err(|e| (delay, e))
    }

    /// Discovers the set's URL if needed, then fetches and parses the set.
    async fn fetch(
        &self,
    ) -> (
        String,
        Result<(crate::remote::fetch::ParsedSet, Duration), KeyFetchError>,
    ) {
        let known = self
            .jwks_url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let url = match (known, &self.config.location) {
            (Some(url), _) => url,
            (None, Location::JwksUrl(url)) => match self.fetcher.url(url) {
                Ok(url) => url,
                Err(e) => return (url.clone(), Err(e)),
            },
            (None, Location::Discovery(issuer)) => {
                let doc_url = discovery_url(issuer);
                let found = async {
                    let doc = self.fetcher.get(&self.fetcher.url(&doc_url)?).await?;
                    self.fetcher.url(&jwks_uri(&doc.body, issuer)?)
                }
                .await;
                match found {
                    Ok(url) => {
                        *self.jwks_url.lock().unwrap_or_else(PoisonError::into_inner) =
                            Some(url.clone());
                        url
                    }
                    Err(e) => return (doc_url, Err(e)),
                }
            }
        };
        let outcome = async {
            let fetched = self.fetcher.get(&url).await?;
            let parsed = parse_set(&fetched.body, self.config.algorithm)?;
            let ttl = fetched
                .max_age
                .map_or(self.config.default_ttl, Duration::from_secs)
                .clamp(self.config.min_ttl, self.config.max_ttl);
            Ok((parsed, ttl))
        }
        .await;
        (url.to_string(), outcome)
    }
}

/// The background task: sleeps until the next scheduled fetch or until an
/// unknown `kid` wakes it, and ends once the key set is dropped.
async fn run(weak: Weak<Source>, wake: Arc<Notify>, first: Option<Duration>) {
    let mut next = first;
    let mut failed = false;
    loop {
        let trigger = match next {
            None => FetchTrigger::Startup,
            Some(delay) => tokio::select! {
                () = tokio::time::sleep(delay) => if failed {
                    FetchTrigger::Retry
                } else {
                    FetchTrigger::Scheduled
                },
                () = wake.notified() => FetchTrigger::UnknownKey,
            },
        };
        // Held only while fetching, so that dropping the set ends the task.
        let Some(source) = weak.upgrade() else {
            return;
        };
        let outcome = source.refresh(trigger).await;
        drop(source);
        failed = outcome.is_err();
        next = Some(outcome.unwrap_or_else(|(delay, _)| delay));
    }
}
