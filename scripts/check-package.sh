#!/usr/bin/env bash
# Packs rxdaemon and uses it as a new project would: ESM and CommonJS consumers load every entry
# point (without the optional fast-check), and a strict TypeScript consumer without skipLibCheck
# type-checks against the published .d.ts files. Run by .ci/run after the build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
tarball="$(npm pack --silent --ignore-scripts --pack-destination "$work" | tail -1)"
cd "$work"
npm init -y > /dev/null
npm install --no-audit --no-fund --prefer-offline --silent "./$tarball" bullmq@^6.7.0 ioredis@^6.0.0
cp "$root"/scripts/consumer/{esm.mjs,cjs.cjs,index.ts,tsconfig.json} .
node esm.mjs
node cjs.cjs
npm install --no-audit --no-fund --prefer-offline --silent -D @types/node@^20 fast-check@^4
"$root/node_modules/.bin/tsc" -p tsconfig.json
echo "strict TypeScript consumer: the published types check without skipLibCheck"
# The published types must not send readers to documents that do not ship.
if grep -rl "DESIGN" node_modules/rxdaemon/dist --include=*.d.ts; then
  echo "these .d.ts files cite DESIGN.md, which is not in the package" >&2
  exit 1
fi
echo "the published .d.ts files cite only what ships"
