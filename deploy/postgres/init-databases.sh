#!/usr/bin/env bash
# Runs once, when the PostgreSQL data volume is first initialised (/docker-entrypoint-initdb.d): one role and one
# database per service, each owned by its role, none reachable by the others. Each service's alembic migrations
# create its tables on start (or `owes migrate <service>`).
# Passwords come from OWES_DB_PASSWORD_<SERVICE> (e.g. OWES_DB_PASSWORD_RECRUITMENT).
# The audit log is append-only for the service's role: its tables do not exist yet here, so every migration run
# takes UPDATE, DELETE and TRUNCATE on audit_log from the role that owns it (owes_messaging.migrations); the role
# is no superuser (superusers ignore privileges) and may not create roles.
set -euo pipefail

create_service_database() {
  local service=$1
  local password_var="OWES_DB_PASSWORD_${service^^}"
  local password=${!password_var:-}
  if [[ -z $password ]]; then
    echo "$password_var is not set" >&2
    exit 2
  fi
  # The password also goes into a URL (<SERVICE>_DATABASE_URL): keep it URL-safe.
  if [[ ! $password =~ ^[A-Za-z0-9._~-]+$ ]]; then
    echo "$password_var may contain only letters, digits and . _ ~ - (try: openssl rand -hex 24)" >&2
    exit 2
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
    -v service="$service" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD %L', :'service', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'service', :'service') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'service') \gexec
SQL
  echo "database $service ready"
}

for service in ${OWES_SERVICES:-recruitment advisory grants reporting}; do
  create_service_database "$service"
done
