//! Logging in Django's users from its own user table (feature `django`).

use std::fmt;

use crate::django::hashers::{
    DJANGO_PBKDF2_ITERATIONS, check_password, make_password, must_update, revoke_claim,
};
use crate::endpoints::{CredentialChecker, LoginUser};
use crate::store::{StoreError, StoreErrorKind};
use crate::token::VerifiedToken;
use crate::user::{LookupError, UserRecord, UserResolver};

#[derive(Clone)]
enum Pool {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// A user of the Django table, as the resolver hands it to handlers
/// (`CurrentUser<DjangoUser>`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DjangoUser {
    /// The primary key, as text.
    pub id: String,
    /// The value of the username field (`username`, or `email` for models
    /// that log in with it).
    pub username: String,
}

/// How the table's primary key is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdKind {
    /// An integer (`AutoField`, `BigAutoField`): Django's default.
    Integer,
    /// Text (a `CharField` primary key).
    Text,
}

/// A [`CredentialChecker`] and [`UserResolver`] over an existing Django
/// user table (`auth_user` by default), on PostgreSQL or SQLite.
///
/// - Passwords are checked against Django's own hashes ([`hashers`](crate::django::hashers)).
/// - An inactive user never logs in (with the same answer as a wrong password).
/// - An unknown user costs the same work as a known one: a password is
///   checked against a hash of Django's cost either way, so neither the
///   answer nor its timing tells them apart.
/// - `last_login` is set on login when Simple JWT's `UPDATE_LAST_LOGIN` is
///   on ([`SimpleJwtBuilder::with_update_last_login`](crate::SimpleJwtBuilder::with_update_last_login)).
/// - With [`with_rehash`](Self::with_rehash), a hash of another algorithm or
///   fewer iterations is replaced on login, in Django's format, as Django does.
/// - Every login and every resolved user carries Simple JWT's revoke claim
///   (`CHECK_REVOKE_TOKEN`, with
///   [`SimpleJwtBuilder::with_check_revoke_token`](crate::SimpleJwtBuilder::with_check_revoke_token)),
///   so a password change on either side ends the other side's tokens.
///
/// Call [`verify`](Self::verify) at startup: it checks the names and the
/// table, and says what to fix.
#[derive(Clone)]
pub struct DjangoUsers {
    pool: Pool,
    table: String,
    id_column: String,
    id_kind: IdKind,
    username_field: String,
    active_column: Option<String>,
    rehash: Option<u32>,
    /// A hash of Django's cost, checked when the user is unknown.
    decoy: String,
}

impl fmt::Debug for DjangoUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DjangoUsers")
            .field("table", &self.table)
            .field("username_field", &self.username_field)
            .finish_non_exhaustive()
    }
}

fn plain_identifier(name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().next().is_some_and(|c| !c.is_ascii_digit())
}

fn lookup_error(e: sqlx::Error) -> LookupError {
    LookupError::with_source("Django user table query failed", e)
}

impl DjangoUsers {
    fn with_pool(pool: Pool) -> Self {
        Self {
            pool,
            table: "auth_user".to_owned(),
            id_column: "id".to_owned(),
            id_kind: IdKind::Integer,
            username_field: "username".to_owned(),
            active_column: Some("is_active".to_owned()),
            rehash: None,
            decoy: make_password("decoy password of no user", DJANGO_PBKDF2_ITERATIONS),
        }
    }

    /// Django's users in a PostgreSQL database.
    #[cfg(feature = "postgres")]
    pub fn postgres(pool: sqlx::PgPool) -> Self {
        Self::with_pool(Pool::Postgres(pool))
    }

    /// Django's users in a SQLite database.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(pool: sqlx::SqlitePool) -> Self {
        Self::with_pool(Pool::Sqlite(pool))
    }

    /// The user table (defaults to `auth_user`; a custom model's table is
    /// `<app>_<model>`).
    #[must_use]
    pub fn with_table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// The primary key column and its type (defaults to `id`, an integer).
    #[must_use]
    pub fn with_id_column(mut self, column: impl Into<String>, kind: IdKind) -> Self {
        self.id_column = column.into();
        self.id_kind = kind;
        self
    }

    /// The model's `USERNAME_FIELD` (defaults to `username`; `email` for
    /// models that log in with it).
    #[must_use]
    pub fn with_username_field(mut self, field: impl Into<String>) -> Self {
        self.username_field = field.into();
        self
    }

    /// The `is_active` column, or `None` for a model without one (its users
    /// are all active). Defaults to `is_active`.
    #[must_use]
    pub fn with_active_column(mut self, column: Option<&str>) -> Self {
        self.active_column = column.map(str::to_owned);
        self
    }

    /// Rehashes a password on login, as Django does, when its hash is of
    /// another algorithm or has fewer than `iterations` (Django 5.2 uses
    /// [`DJANGO_PBKDF2_ITERATIONS`]). The new hash is `pbkdf2_sha256` in
    /// Django's format, so Django still verifies it. Defaults to off.
    #[must_use]
    pub fn with_rehash(mut self, iterations: u32) -> Self {
        self.rehash = Some(iterations);
        self
    }

    /// Checks the configured names and that the table has the columns:
    /// call it at startup. The error says what to fix.
    pub async fn verify(self) -> Result<Self, StoreError> {
        let names = [
            Some(&self.table),
            Some(&self.id_column),
            Some(&self.username_field),
            self.active_column.as_ref(),
        ];
        for name in names.into_iter().flatten() {
            if !plain_identifier(name) {
                return Err(StoreError::new(
                    StoreErrorKind::Backend,
                    format!("{name:?} is not a plain SQL identifier: use letters, digits and '_'"),
                    None,
                ));
            }
        }
        let probe = format!("{} WHERE 1 = 0", self.select());
        let result = match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(probe))
                .fetch_all(p)
                .await
                .map(|_| ()),
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(probe))
                .fetch_all(p)
                .await
                .map(|_| ()),
        };
        result.map_err(|e| {
            StoreError::new(
                StoreErrorKind::Backend,
                format!(
                    "the Django user table {} does not have the columns {}, {}, password{}: set with_table, with_id_column, with_username_field or with_active_column",
                    self.table,
                    self.id_column,
                    self.username_field,
                    self.active_column.as_ref().map_or(String::new(), |c| format!(", {c}")),
                ),
                Some(Box::new(e)),
            )
        })?;
        Ok(self)
    }

    /// `SELECT <id as text>, <username>, password, <active as 0/1> FROM <table>`.
    fn select(&self) -> String {
        let active = self.active_column.as_ref().map_or("1".to_owned(), |c| {
            format!("CASE WHEN {c} THEN 1 ELSE 0 END")
        });
        format!(
            "SELECT CAST({id} AS TEXT), CAST({user} AS TEXT), password, {active} FROM {table}",
            id = self.id_column,
            user = self.username_field,
            table = self.table,
        )
    }

    fn names_ok(&self) -> Result<(), LookupError> {
        let names = [
            Some(&self.table),
            Some(&self.id_column),
            Some(&self.username_field),
            self.active_column.as_ref(),
        ];
        if names.into_iter().flatten().all(|n| plain_identifier(n)) {
            Ok(())
        } else {
            Err(LookupError::new(
                "the Django user table names are not plain identifiers (see DjangoUsers::verify)",
            ))
        }
    }

    /// `id` as the table's key is typed; `None` when it cannot be one (no
    /// such user).
    fn key(&self, id: &str) -> Option<Key> {
        match self.id_kind {
            IdKind::Integer => id.parse().ok().map(Key::Integer),
            IdKind::Text => Some(Key::Text(id.to_owned())),
        }
    }

    /// The row of the user whose id (`by_id`) or username is `value`.
    async fn row(&self, by_id: bool, value: &str) -> Result<Option<Row>, LookupError> {
        self.names_ok()?;
        let (column, key) = if by_id {
            match self.key(value) {
                Some(key) => (&self.id_column, key),
                None => return Ok(None),
            }
        } else {
            (&self.username_field, Key::Text(value.to_owned()))
        };
        let sql = format!("{} WHERE {column} = $1", self.select());
        macro_rules! fetch {
            ($pool:expr) => {{
                let query =
                    sqlx::query_as::<_, (String, String, String, i32)>(sqlx::AssertSqlSafe(sql));
                let query = match key {
                    Key::Integer(id) => query.bind(id),
                    Key::Text(id) => query.bind(id),
                };
                query.fetch_optional($pool).await.map_err(lookup_error)?
            }};
        }
        let row = match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => fetch!(p),
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => fetch!(p),
        };
        Ok(row.map(|(id, username, password, active)| Row {
            id,
            username,
            password,
            active: active != 0,
        }))
    }

    /// Sets user `id`'s password hash to `new_hash`, or with `None` its
    /// `last_login` to now (the database's clock, as Django's own update).
    async fn update(&self, new_hash: Option<&str>, id: &str) -> Result<(), LookupError> {
        self.names_ok()?;
        let Some(key) = self.key(id) else {
            return Ok(());
        };
        let set = match (new_hash, &self.pool) {
            (Some(_), _) => "password = $1",
            #[cfg(feature = "sqlite")]
            (None, Pool::Sqlite(_)) => "last_login = strftime('%Y-%m-%d %H:%M:%f', 'now')",
            #[cfg(feature = "postgres")]
            (None, Pool::Postgres(_)) => "last_login = now()",
        };
        let id_param = if new_hash.is_some() { "$2" } else { "$1" };
        let sql = format!(
            "UPDATE {table} SET {set} WHERE {id_col} = {id_param}",
            table = self.table,
            id_col = self.id_column
        );
        macro_rules! run {
            ($pool:expr) => {{
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                if let Some(hash) = new_hash {
                    query = query.bind(hash.to_owned());
                }
                let query = match key {
                    Key::Integer(id) => query.bind(id),
                    Key::Text(id) => query.bind(id),
                };
                query.execute($pool).await.map_err(lookup_error)?;
            }};
        }
        match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => run!(p),
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => run!(p),
        }
        Ok(())
    }
}

/// A primary key value, bound as the column is typed.
enum Key {
    Integer(i64),
    Text(String),
}

struct Row {
    id: String,
    username: String,
    password: String,
    active: bool,
}

impl CredentialChecker for DjangoUsers {
    async fn check(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<LoginUser>, LookupError> {
        let Some(row) = self.row(false, username).await? else {
            // The same work as for a known user: no timing difference.
            let _ = check_password(password, &self.decoy);
            return Ok(None);
        };
        if !check_password(password, &row.password) {
            return Ok(None);
        }
        let mut stored = row.password;
        if let Some(iterations) = self.rehash {
            if must_update(&stored, iterations) {
                let new = make_password(password, iterations);
                self.update(Some(&new), &row.id).await?;
                stored = new;
            }
        }
        let user = if row.active {
            LoginUser::active(row.id)
        } else {
            LoginUser::inactive(row.id)
        };
        Ok(Some(user.with_password_fingerprint(revoke_claim(&stored))))
    }

    async fn update_last_login(&self, user: &LoginUser) {
        // A failed update must not fail the login (Django's signal does
        // not either).
        let _ = self.update(None, &user.user_id).await;
    }
}

impl UserResolver for DjangoUsers {
    type User = DjangoUser;

    async fn resolve(
        &self,
        user_id: &str,
        _token: &VerifiedToken,
    ) -> Result<Option<UserRecord<DjangoUser>>, LookupError> {
        let Some(row) = self.row(true, user_id).await? else {
            return Ok(None);
        };
        let user = DjangoUser {
            id: row.id,
            username: row.username,
        };
        let record = if row.active {
            UserRecord::active(user)
        } else {
            UserRecord::inactive(user)
        };
        Ok(Some(
            record.with_password_fingerprint(revoke_claim(&row.password)),
        ))
    }
}
