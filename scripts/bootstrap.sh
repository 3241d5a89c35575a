#!/usr/bin/env bash
# Installs the system libraries swift-llava links against, when they are missing
# (Debian/Ubuntu: OpenBLAS, libjpeg-turbo, libpng, pkg-config). Swift itself must be on PATH.
set -euo pipefail
missing=()
for pkg in libopenblas-dev libjpeg62-turbo-dev libpng-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "bootstrap: swift not found on PATH (expected /opt/swift/usr/bin)" >&2; exit 1; }
