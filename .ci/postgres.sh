# Start a throwaway PostgreSQL cluster on 127.0.0.1 and export SURVEYAPP_TEST_POSTGRES_URL.
# Source it (`. .ci/postgres.sh`); the cluster stops and is deleted when the shell exits.
# Works as root (runs the server as the `postgres` user) or as an ordinary user.
# SURVEYAPP_PG_DIR=<dir>: keep the cluster there between runs (not deleted; `make bench` reuses its
# databases) and run it with the default durable settings (fsync on), as production would.

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2
  return 1 2>/dev/null || exit 1
fi
pg_port=${SURVEYAPP_PG_PORT:-5433}
if [ -n "${SURVEYAPP_PG_DIR:-}" ]; then
  pg_dir=$(mkdir -p "$SURVEYAPP_PG_DIR" && cd "$SURVEYAPP_PG_DIR" && pwd)
  pg_options="-c shared_buffers=512MB"  # durable (fsync on); more cache than the 128 MB default
else
  pg_dir=$(mktemp -d /tmp/surveyapp-pg.XXXXXX)
  pg_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"  # a throwaway test server
fi
mkdir -p "$pg_dir/data" "$pg_dir/socket"
if [ "$(id -u)" = 0 ]; then
  chown -R postgres:postgres "$pg_dir"
  as_pg() { su postgres -s /bin/sh -c "$*"; }
else
  as_pg() { sh -c "$*"; }
fi
if [ ! -f "$pg_dir/data/PG_VERSION" ]; then
  as_pg "'$pg_bin/initdb' -D '$pg_dir/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >'$pg_dir/initdb.log' 2>&1" \
    || { cat "$pg_dir/initdb.log" >&2; return 1 2>/dev/null || exit 1; }
fi
as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -o \"-p $pg_port -k '$pg_dir/socket' -c listen_addresses=127.0.0.1 $pg_options\" -l '$pg_dir/server.log' -w start >/dev/null" \
  || { cat "$pg_dir/server.log" >&2; return 1 2>/dev/null || exit 1; }
_surveyapp_pg_stop() {
  as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -m fast -w stop >/dev/null 2>&1"
  [ -n "${SURVEYAPP_PG_DIR:-}" ] || rm -rf "$pg_dir"
}
trap _surveyapp_pg_stop EXIT
export SURVEYAPP_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') running on 127.0.0.1:$pg_port (data in $pg_dir)"
