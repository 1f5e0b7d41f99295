#!/usr/bin/env bash
# Docker command guide for msa-gateway. Without arguments it prints the commands; with one
# it runs it:  ./docker-commands.sh up | up-d | down | logs [service] | ps | prod | prod-down |
#              build | build-dev | clean | help
set -euo pipefail
cd "$(dirname "$0")"

# Compose v2 is `docker compose`; the older stand-alone tool is `docker-compose`.
compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  elif command -v docker-compose >/dev/null 2>&1; then
    docker-compose "$@"
  else
    echo "✗ Docker Compose is not installed (https://docs.docker.com/compose/install/)" >&2
    exit 1
  fi
}

guide() {
  cat <<'GUIDE'
msa-gateway: Docker commands

| command                                              | what it does                          | helper                                 |
|------------------------------------------------------|---------------------------------------|----------------------------------------|
| docker compose up --build                            | development: gateway + 3 samples      | ./docker-commands.sh up                |
| docker compose up -d --build                         | the same, in the background           | ./docker-commands.sh up-d              |
| docker compose -f docker-compose.prod.yml up --build | production (Redis store, admin token) | ./docker-commands.sh prod              |
| docker compose down                                  | stop the development services         | ./docker-commands.sh down              |
| docker ps                                            | running containers                    | ./docker-commands.sh ps                |
| docker logs msa-gateway                              | gateway logs                          | ./docker-commands.sh logs              |
| docker compose logs -f user-service                  | one service's logs                    | ./docker-commands.sh logs user-service |
| docker build -f Dockerfile -t msa-gateway:prod .     | production image                      | ./docker-commands.sh build             |
| docker build -f Dockerfile.dev -t msa-gateway:dev .  | development image                     | ./docker-commands.sh build-dev         |
| docker compose down -v --remove-orphans              | stop, delete the volumes (registry)   | ./docker-commands.sh clean             |

With the stand-alone Compose v1, write docker-compose instead of docker compose.
Production needs GATEWAY_ADMIN_TOKEN:  GATEWAY_ADMIN_TOKEN=<8+ characters> ./docker-commands.sh prod
Gateway http://localhost:8000 (Swagger UI /docs), samples on ports 8001, 8002, 8003.
GUIDE
}

case "${1:-help}" in
  help | -h | --help) guide ;;
  up) compose up --build ;;
  up-d) compose up -d --build ;;
  down) compose down ;;
  ps) docker ps --filter name=msa- ;;
  logs)
    if [ -n "${2:-}" ]; then compose logs -f "$2"; else docker logs -f msa-gateway; fi
    ;;
  prod)
    [ -n "${GATEWAY_ADMIN_TOKEN:-}" ] || { echo "✗ set GATEWAY_ADMIN_TOKEN first (8 or more characters)" >&2; exit 1; }
    compose -f docker-compose.prod.yml up --build
    ;;
  prod-down) compose -f docker-compose.prod.yml down ;;
  build) docker build -f Dockerfile -t msa-gateway:prod . ;;
  build-dev) docker build -f Dockerfile.dev -t msa-gateway:dev . ;;
  clean) compose down -v --remove-orphans ;;
  *)
    echo "✗ unknown command: $1" >&2
    guide >&2
    exit 2
    ;;
esac
