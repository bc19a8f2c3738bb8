#!/usr/bin/env sh
# Runs Node >= 22.22 (the project runs TypeScript natively): the machine's node when new enough,
# else Node 24 LTS from the npm registry (package node-<os>-<arch>), cached in .cache/node24.
# Every npm script goes through here, so `npm start` and `npm test` work on a machine with an older Node.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
want_major=22
want_minor=22
ok=0
if command -v node >/dev/null 2>&1; then
  ok=$(node -e "const [a,b]=process.versions.node.split('.').map(Number);process.stdout.write(String(a>$want_major||(a===$want_major&&b>=$want_minor)?1:0))" 2>/dev/null || echo 0)
fi
if [ "$ok" = 1 ]; then exec node "$@"; fi

cache="$root/.cache/node24"
if [ ! -x "$cache/bin/node" ]; then
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "scripts/node.sh: install Node >= 22.22 yourself on $(uname -s)" >&2; exit 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "scripts/node.sh: no Node package for $(uname -m); install Node >= 22.22" >&2; exit 1 ;; esac
  echo "scripts/node.sh: Node >= 22.22 not found; fetching node-$os-$arch@24 from the npm registry into .cache/node24" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-$os-$arch@24" >/dev/null)
  mkdir -p "$cache"
  tar xzf "$tmp"/node-"$os"-"$arch"-*.tgz -C "$cache" --strip-components=1
  rm -rf "$tmp"
  "$cache/bin/node" --version >/dev/null
fi
exec "$cache/bin/node" "$@"
