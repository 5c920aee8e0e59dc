//! `sqlx::migrate!` embeds the migration folders at compile time, but cargo does not know the
//! macro reads them: without this a new migration is left out of an incremental build.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=feed_follower_migrations");
}
