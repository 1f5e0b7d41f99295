#!/usr/bin/env bash
# Installs msa-gateway on Linux and macOS: checks Node.js and npm, installs the locked
# dependencies (npm ci) and builds. Usage: ./install.sh   (or: bash install.sh)
set -euo pipefail
cd "$(dirname "$0")"

MIN_NODE="20.18"
MIN_NPM="9"

fail() {
  printf '✗ %s\n' "$*" >&2
  exit 1
}

command -v node >/dev/null 2>&1 || fail "Node.js is not installed: install Node.js ${MIN_NODE} or newer (https://nodejs.org), then run this again."
NODE_VERSION=$(node -p 'process.versions.node')
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 18) ? 0 : 1)' ||
  fail "Node.js ${NODE_VERSION} is too old: msa-gateway needs ${MIN_NODE} or newer (see README, Troubleshooting)."

command -v npm >/dev/null 2>&1 || fail "npm is not installed (it ships with Node.js): reinstall Node.js ${MIN_NODE} or newer."
NPM_VERSION=$(npm --version)
[ "${NPM_VERSION%%.*}" -ge "$MIN_NPM" ] || fail "npm ${NPM_VERSION} is too old: run npm install -g npm@latest (npm ${MIN_NPM} or newer)."
echo "✓ Node.js ${NODE_VERSION}, npm ${NPM_VERSION}"

echo "Installing dependencies (npm ci). Compiling the SQLite module can take a minute ..."
npm ci --no-audit --no-fund ||
  fail "npm ci failed. If better-sqlite3 failed to build: install python3, make and a C++ compiler (Debian/Ubuntu: sudo apt-get install python3 make g++; macOS: xcode-select --install), then run this again."
echo "✓ dependencies installed"

echo "Building ..."
npm run build --silent || fail "the build failed; the errors are above."
echo "✓ built into dist/"

cat <<'NEXT'

msa-gateway is installed. Next steps:
  npm start                 gateway + the three sample services (http://localhost:8000, Swagger UI at /docs)
  npm run start:gateway     the gateway alone
  npm run check-install     check this installation
  npm test                  run the tests
NEXT
