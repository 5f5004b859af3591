#!/usr/bin/env bash
# Runs `npm ci && npm test` in a fresh clone on a machine that has nothing but a minimal Debian,
# a C++ compiler (g++, make; python3 for node-gyp), git and Node >= 20: the README's promise.
# The "machine" is a debootstrap root: nothing the host installed (python3-torch, sklearn,
# chromium, espeak-ng, valgrind, slurm, cmake, the host's node_modules) is visible inside it.
#
# Usage (as root, on Debian or Ubuntu):
#   scripts/fresh-machine-test.sh [options] [-- vitest arguments]
# Options:
#   --root DIR     where the minimal root lives (default: $TMPDIR/nnlab-fresh-root); it is made by
#                  debootstrap the first time and reused after that (the clone inside is always new)
#   --ref REF      the branch or commit to clone (default: the current branch of this checkout)
#   --keep-clone   reuse the clone and node_modules of the last run (to re-run a few test files)
#   --shell        open a shell in the clone instead of running the tests
# Anything after `--` goes to `npx vitest run` instead of `npm test` (e.g. a few test files).
# Environment: FRESH_MIRROR (the Debian mirror, default: the host's), FRESH_SUITE (bookworm).
# The log of the run is written to DIR/root/fresh-test.log and the exit code is npm test's.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
root="${TMPDIR:-/tmp}/nnlab-fresh-root"
ref=$(git -C "$repo" rev-parse --abbrev-ref HEAD)
keep=0
shell=0
vitest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; shift 2 ;;
    --ref) ref=$2; shift 2 ;;
    --keep-clone) keep=1; shift ;;
    --shell) shell=1; shift ;;
    --) shift; vitest=("$@"); break ;;
    *) echo "fresh-machine-test: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "fresh-machine-test: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
root=$(realpath -m "$root")

# The mirror the host's apt already uses (deb822 or one-line sources), else Debian's default.
host_mirror() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed -n 's/^URIs: *\([^ ]*\/debian\)\/\?$/\1/p; s/^deb \(\[[^]]*\] \)\?\([^ ]*\/debian\)\/\? .*/\2/p' | head -n1 || true
}
mirror=${FRESH_MIRROR:-$(host_mirror)}
mirror=${mirror:-http://deb.debian.org/debian}
suite=${FRESH_SUITE:-bookworm}

# Node >= 20 comes from the host (the binary, npm, and the headers node-gyp compiles against:
# with no internet beyond the registries it cannot download them).
node_bin=$(command -v node)
node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "fresh-machine-test: the host's node is $("$node_bin" --version); need >= 20" >&2; exit 2; }
npm_dir=$(dirname "$(dirname "$(realpath "$(command -v npm)")")")
node_inc=$(realpath "$(dirname "$node_bin")/../include/node")

if [ ! -f "$root/etc/debian_version" ] || [ -d "$root/debootstrap" ]; then  # (that folder: unfinished)
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  echo "== debootstrap $suite from $mirror into $root"
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
    { tail -n 20 "$root.debootstrap.log"; exit 1; }
fi

mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -R "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true; done
}
trap cleanup EXIT
mnt() { mkdir -p "${@: -1}"; mount "$@"; mounts+=("${@: -1}"); }
mnt -t proc proc "$root/proc"
mnt --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
# /sys with the cgroup file systems: the memory-cgroup test creates a cgroup as root.
mnt --rbind /sys "$root/sys"
mount --make-rslave "$root/sys"
# The repository (of a worktree too: the common git folder holds every branch), read-only.
mnt --bind -o ro "$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir)" "$root/mnt/repo.git"
cp /etc/resolv.conf "$root/etc/resolv.conf"

in_root() { chroot "$root" env -i HOME=/root LANG=C.UTF-8 TERM=dumb PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"; }

if [ ! -x "$root/usr/bin/g++" ]; then
  echo "== the fresh machine's tools: g++ make python3 git"
  # dpkg syncs every file it writes; a throw-away root does not need that (minutes on a busy disk).
  echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/unsafe-io"
  in_root apt-get update -qq
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    g++ make python3 git ca-certificates >/dev/null
fi
echo "== node $("$node_bin" --version) and npm from the host"
install -m 755 "$node_bin" "$root/usr/bin/node"
rm -rf "$root/usr/lib/node_modules/npm" "$root/usr/include/node"
mkdir -p "$root/usr/lib/node_modules" "$root/usr/include"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
cp -a "$node_inc" "$root/usr/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
# The registry settings of the host (its mirror, if any; the certificate authorities npm trusts
# there, where the way out goes through a proxy with its own), and the headers just copied.
cafile=$(npm config get cafile 2>/dev/null || true)
{
  [ -f "$HOME/.npmrc" ] && grep -v '^\(nodedir\|cafile\)=' "$HOME/.npmrc"
  echo "nodedir=/usr"
  if [ -f "$cafile" ]; then
    cp "$cafile" "$root/etc/ssl/host-npm-ca.crt"
    echo "cafile=/etc/ssl/host-npm-ca.crt"
  fi
} >"$root/root/.npmrc"

clone=/root/nnlab
if [ "$keep" = 0 ] || [ ! -d "$root$clone/node_modules" ]; then
  echo "== git clone ($ref) and npm ci"
  rm -rf "${root:?}$clone"
  in_root git -c safe.directory='*' clone -q --no-checkout /mnt/repo.git "$clone"
  in_root git -C "$clone" checkout -q "$(git -C "$repo" rev-parse "$ref")"
  # JOBS: node-gyp compiles the addon on every core (it defaults to one).
  in_root sh -c "cd $clone && git log -1 --format='commit %H %s' && JOBS=$(nproc) npm ci --no-audit --no-fund"
fi

if [ "$shell" = 1 ]; then
  chroot "$root" env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" PATH=/usr/local/bin:/usr/bin:/bin bash -c "cd $clone && exec bash -i"
  exit
fi
log="$root/root/fresh-test.log"
if [ ${#vitest[@]} -eq 0 ]; then cmd="npm test"; else cmd="npx vitest run $(printf '%q ' "${vitest[@]}")"; fi
echo "== $cmd (log: $log)"
set +e
in_root sh -c "cd $clone && $cmd" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
echo "== $cmd exited $rc; skipped tests and their reasons:"
grep -E '^skipped: ' "$log" | sort | uniq -c
exit "$rc"
