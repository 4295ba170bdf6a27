#!/usr/bin/env bash
# Installs the system packages hpo builds against (OpenBLAS, SQLite, pkg-config) when they are missing.
set -euo pipefail
needed=()
for package in libopenblas-dev libsqlite3-dev pkg-config; do
    dpkg -s "$package" >/dev/null 2>&1 || needed+=("$package")
done
if [ ${#needed[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    echo "installing ${needed[*]}" >&2
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${needed[@]}" >/dev/null
fi
